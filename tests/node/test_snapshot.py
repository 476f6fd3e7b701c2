"""Snapshots into the node's archive: a restart forks from it and replays only the journal since.

What must hold whatever happens around a snapshot: the chain served after a restart is the chain
served before it — same block hashes, every receipt and every log from block 0, every account's
balance, nonce, code and storage — and no acknowledged transaction is lost, even when the node
is killed in the middle of a snapshot; a state directory whose archive and journal do not belong
together is refused with a typed reason.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import requests
import websockets.sync.client as ws_client
from eth_account import Account
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3

from quancheng_node.errors import NodeStateRefused
from quancheng_node.process import HardhatNode
from tests.conftest import start_node
from tests.utils.evm import RawSender, init_code

# Runtime: sstore(calldataload(0), calldataload(32)); log1(0, 0, topic0 = calldataload(0)).
STORE_RUNTIME = bytes.fromhex("602035600035556000356000" + "80a100")
# Init code whose constructor writes slot 5 = 7 before it returns STORE_RUNTIME.
CONSTRUCTOR_WRITE = bytes.fromhex("6007600555")

_REPLAYED = re.compile(r"from (?P<origin>genesis|archive block \d+), replayed (?P<n>\d+) requests")


def _store_init() -> bytes:
    return CONSTRUCTOR_WRITE + init_code(STORE_RUNTIME)


class Chain:
    """A chain with storage in many slots, value sent to fresh accounts, and a log per write."""

    def __init__(self, node: HardhatNode) -> None:
        self.w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        self.sender = RawSender(self.w3, node.dev_private_keys(3)[2])
        self.store = Web3.to_checksum_address(
            self.sender.send(None, _store_init())["contractAddress"]
        )
        self.payees: list[ChecksumAddress] = []
        self.writes = 0

    def write(self, count: int) -> None:
        for _ in range(count):
            self.writes += 1
            key, value = self.writes * 7919, self.writes * 31 + 1
            self.sender.send(self.store, key.to_bytes(32, "big") + value.to_bytes(32, "big"))

    def pay_a_new_account(self) -> None:
        payee = Web3.to_checksum_address(Account.create().address)
        self.payees.append(payee)
        tx = {
            "nonce": self.sender.nonce, "gas": 21_000, "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 1, "to": payee, "value": 10**15 + len(self.payees),
            "chainId": self.sender.chain_id,
        }  # fmt: skip
        self.sender.nonce += 1
        raw = self.sender.account.sign_transaction(tx).raw_transaction
        self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_raw_transaction(raw))

    def fingerprint(self) -> dict[str, Any]:
        """Everything a client can see of the chain's history and state."""
        w3 = self.w3
        head = w3.eth.get_block("latest")
        blocks = [w3.eth.get_block(n) for n in range(head["number"] + 1)]
        logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": self.store})
        tx_hashes = [cast(HexBytes, tx) for b in blocks for tx in b["transactions"]]
        receipts = [w3.eth.get_transaction_receipt(h) for h in tx_hashes]
        accounts = [self.sender.account.address, self.store, *self.payees]
        return {
            "blocks": [(b["number"], b["hash"], b["parentHash"], b["timestamp"]) for b in blocks],
            "logs": [
                (g["blockNumber"], g["transactionHash"], g["logIndex"], g["topics"]) for g in logs
            ],
            "receipts": [
                (r["transactionHash"], r["blockHash"], r["status"], r["gasUsed"]) for r in receipts
            ],
            "accounts": [
                (a, w3.eth.get_balance(a), w3.eth.get_transaction_count(a), w3.eth.get_code(a))
                for a in accounts
            ],
            "storage": [
                w3.eth.get_storage_at(self.store, k * 7919) for k in range(1, self.writes + 1)
            ] + [w3.eth.get_storage_at(self.store, 5)],
        }  # fmt: skip


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "chain"


@pytest.fixture
def node(state_dir: Path) -> Iterator[HardhatNode]:
    node = start_node(state_dir, snapshot_every=15)
    yield node
    node.stop()


def _last_start(node: HardhatNode) -> tuple[str, int]:
    starts = _REPLAYED.findall(node.log_file.read_text())
    assert starts, "the node logged no start"
    origin, replayed = starts[-1]
    return origin, int(replayed)


def test_a_restart_after_snapshots_serves_the_same_chain_and_replays_only_the_tail(
    node: HardhatNode,
) -> None:
    chain = Chain(node)
    chain.write(40)
    chain.pay_a_new_account()
    chain.write(6)  # after the last automatic snapshot: these come back from the journal
    before = chain.fingerprint()
    assert (node.archive_dir).is_dir()
    assert "snapshot at block" in node.log_file.read_text()
    assert int.from_bytes(before["storage"][-1], "big") == 7  # the constructor's write

    node.stop()
    node.start()
    origin, replayed = _last_start(node)
    assert origin.startswith("archive block ")
    assert 0 < replayed < 15  # the tail since the last snapshot, not the chain
    assert chain.fingerprint() == before

    node.kill()  # and once more without a graceful stop
    node.start()
    assert chain.fingerprint() == before


def test_the_chain_continues_after_a_snapshot_linked_to_the_archived_head(
    node: HardhatNode,
) -> None:
    chain = Chain(node)
    chain.write(3)
    written = node.snapshot()
    # The deployment was snapshotted on its own (a created contract is, at once); the writes now.
    assert written is not None and written["transactions"] == 3
    head = chain.w3.eth.get_block("latest")
    assert head["number"] == written["head"]
    chain.write(2)  # on the network forked at the archived head
    first_new = chain.w3.eth.get_block(head["number"] + 1)
    assert first_new["parentHash"] == head["hash"]
    assert len(chain.w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest"})) >= 5
    assert node.snapshot() is not None
    assert node.snapshot() is None  # nothing new to write


def test_a_websocket_subscription_lives_through_snapshots(node: HardhatNode) -> None:
    # The subscriptions lived in the network a snapshot replaces: the node makes them again on
    # the new one under the same ids, so a subscriber never waits on a dead id, and ids are
    # never given twice (a reused id would deliver one client's notifications to another).
    chain = Chain(node)
    url = node.rpc_url.replace("http://", "ws://")
    subscribe = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}
    )
    with ws_client.connect(url) as ws:
        ws.send(subscribe)
        first = json.loads(ws.recv(timeout=10))["result"]
        for snapshots in range(3):
            if snapshots > 0:
                assert node.snapshot() is not None  # the network underneath is replaced
            chain.write(1)
            note = json.loads(ws.recv(timeout=10))
            assert note["method"] == "eth_subscription"
            assert note["params"]["subscription"] == first
            assert int(note["params"]["result"]["number"], 16) == chain.w3.eth.block_number
        with ws_client.connect(url) as other:
            other.send(subscribe)
            second = json.loads(other.recv(timeout=10))["result"]
            assert second != first
            chain.write(1)
            for client, sub in ((ws, first), (other, second)):
                note = json.loads(client.recv(timeout=10))
                assert note["params"]["subscription"] == sub


@pytest.mark.parametrize("stage", ["archive committed", "journal rotated"])
def test_kill_9_in_the_middle_of_a_snapshot_loses_nothing(
    state_dir: Path, stage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QC_NODE_SNAPSHOT_PAUSE", f"{stage}:60000")
    node = start_node(state_dir, snapshot_every=10**9)  # snapshots only when asked
    try:
        chain = Chain(node)
        chain.write(5)
        acked = chain.fingerprint()
        # The snapshot pauses at each stage; the kill lands in the pause of `stage`.
        sender = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 1}))
        with pytest.raises(Exception):  # noqa: B017 - the request is cut off by the pause
            sender.provider.make_request("quancheng_snapshot", [])  # type: ignore[arg-type]
        deadline = time.monotonic() + 30
        while f"snapshot: {stage};" not in node.log_file.read_text():
            assert time.monotonic() < deadline, f"the snapshot never reached {stage!r}"
            time.sleep(0.05)
        node.kill()
        monkeypatch.delenv("QC_NODE_SNAPSHOT_PAUSE")
        node.start()
        assert chain.fingerprint() == acked
        origin, replayed = _last_start(node)
        assert origin == f"archive block {acked['blocks'][-1][0]}"
        assert replayed == 0  # the archive had it all; the older journal's entries were skipped
        chain.write(2)  # and it goes on
        node.stop()
        node.start()
        assert chain.w3.eth.get_block("latest")["number"] == acked["blocks"][-1][0] + 2
    finally:
        node.stop()


def _drop_archive(node: HardhatNode) -> None:
    shutil.rmtree(node.archive_dir)


def _drop_journal(node: HardhatNode) -> None:
    node.journal_file.unlink()


def _rebase_journal(hash_: str | None = None, ahead: int = 0) -> Callable[[HardhatNode], None]:
    """A journal continuing from another block than the archive's head (hash or number)."""

    def spoil(node: HardhatNode) -> None:
        header = json.loads(node.journal_file.read_text().splitlines()[0])
        header["base"]["number"] += ahead
        if hash_ is not None:
            header["base"]["hash"] = hash_
        node.journal_file.write_text(json.dumps(header) + "\n")

    return spoil


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_drop_archive, "ARCHIVE_MISSING"),  # a journal without its archive
        (_drop_journal, "JOURNAL_MISSING"),  # an archive without its journal
        # the journal continues from the archive's head block number, with another hash there
        (_rebase_journal(hash_=HexBytes(b"\x11" * 32).to_0x_hex()), "JOURNAL_FOREIGN"),
        (_rebase_journal(ahead=5), "ARCHIVE_BEHIND"),  # from a block the archive lacks
    ],
    ids=["journal-without-archive", "archive-without-journal", "foreign-journal", "journal-ahead"],
)
def test_an_archive_and_journal_that_do_not_belong_together_are_refused(
    node: HardhatNode, spoil: Callable[[HardhatNode], None], reason: str
) -> None:
    Chain(node).write(2)
    node.snapshot()
    node.stop()
    spoil(node)
    journal = node.journal_file.read_bytes() if node.journal_file.exists() else None
    with pytest.raises(NodeStateRefused) as refused:
        node.start()
    assert refused.value.reason == reason
    # Refused, not repaired: the journal is left as it was found.
    assert (node.journal_file.read_bytes() if node.journal_file.exists() else None) == journal


# Runtime: calldatacopy(0, 0, calldatasize); sstore(0, create(0, 0, calldatasize)).
FACTORY_RUNTIME = bytes.fromhex("3660006000373660006000f060005500")


def test_traces_are_read_only_for_a_deployment_and_snapshotted_at_once(node: HardhatNode) -> None:
    # The network is a fork of the archive: what it changes it first fetched from there, so a
    # snapshot needs no trace — except for a contract created since, whose storage is its own.
    chain = Chain(node)  # deploys: snapshotted at once (right after the answer), from its traces
    deadline = time.monotonic() + 30
    while node.status()["archive_head"] != chain.w3.eth.block_number:
        assert time.monotonic() < deadline, "the deployment was not snapshotted"
        time.sleep(0.05)
    chain.write(2)
    chain.pay_a_new_account()
    written = node.snapshot()
    assert written is not None and (written["traced"], written["retraced"]) == (False, False)
    assert written["slots"] >= 2 and written["accounts"] >= 3
    before = chain.fingerprint()
    node.stop()
    node.start()
    assert chain.fingerprint() == before


def test_a_contract_created_by_a_contract_keeps_its_storage(node: HardhatNode) -> None:
    # A contract a contract creates is seen by no trace (only top-level deployments turn them
    # on): the snapshot finds its new code, forks again at the last snapshot and replays the
    # journal since with traces on, so the constructor's write and the later ones are kept.
    chain = Chain(node)
    factory = chain.sender.send(None, init_code(FACTORY_RUNTIME))["contractAddress"]
    chain.sender.send(factory, _store_init(), gas=300_000)
    child_word = chain.w3.eth.get_storage_at(factory, 0)
    child = Web3.to_checksum_address(child_word[-20:])
    assert chain.w3.eth.get_code(child) == STORE_RUNTIME
    chain.sender.send(child, (42).to_bytes(32, "big") + (4242).to_bytes(32, "big"))
    head = chain.w3.eth.get_block("latest")["hash"]
    written = node.snapshot()
    assert written is not None and written["retraced"] is True
    assert chain.w3.eth.get_block("latest")["hash"] == head  # the replay rebuilt the same chain
    node.stop()
    node.start()
    w3 = chain.w3
    assert w3.eth.get_code(child) == STORE_RUNTIME
    assert int.from_bytes(w3.eth.get_storage_at(child, 5), "big") == 7
    assert int.from_bytes(w3.eth.get_storage_at(child, 42), "big") == 4242
    assert w3.eth.get_transaction_count(factory) == 2  # EIP-161: 1, and one creation
    chain.sender.send(child, (43).to_bytes(32, "big") + (1).to_bytes(32, "big"))
    assert node.snapshot() is not None
    node.stop()
    node.start()
    assert int.from_bytes(w3.eth.get_storage_at(child, 43), "big") == 1
    assert int.from_bytes(w3.eth.get_storage_at(child, 42), "big") == 4242


def test_state_before_a_snapshot_is_exact_or_refused_never_wrong(node: HardhatNode) -> None:
    # A read at an older block goes to the archive, which holds each account and slot from the
    # snapshot that last wrote it (every one the network fetched, so possibly changed): at a
    # block before that it does not know the value, and says so, as a pruned node does.
    chain = Chain(node)
    idle = chain.sender.send(None, _store_init())["contractAddress"]  # never called after
    chain.write(1)  # slot 7919 = 32
    old_block = chain.w3.eth.block_number
    assert int.from_bytes(chain.w3.eth.get_storage_at(chain.store, 7919, old_block), "big") == 32
    chain.sender.send(chain.store, (7919).to_bytes(32, "big") + (99).to_bytes(32, "big"))
    written = node.snapshot()
    assert written is not None
    for restarted in (False, True):
        with pytest.raises(Exception, match="ARCHIVE_STATE_NOT_KEPT"):
            chain.w3.eth.get_storage_at(chain.store, 7919, old_block)  # was 32, now 99
        at_head = chain.w3.eth.get_storage_at(chain.store, 7919, written["head"])
        assert int.from_bytes(at_head, "big") == 99
        # A contract nothing touched since its own snapshot is known at any block from there.
        assert int.from_bytes(chain.w3.eth.get_storage_at(idle, 5, old_block), "big") == 7
        assert chain.w3.eth.get_block_number() == written["head"]  # the refusal stopped nothing
        if not restarted:
            node.stop()
            node.start()


def test_chain_time_keeps_to_the_wall_clock_across_snapshots(node: HardhatNode) -> None:
    # A network forked anew starts its clock at the fork block's timestamp: without care each
    # snapshot set chain time back by the time since that block, and grants (judged by the
    # wall clock) read "not yet valid" ever longer.
    chain = Chain(node)
    for _ in range(5):
        chain.write(1)
        time.sleep(1.1)  # the head block ages before the snapshot forks from it
        assert node.snapshot() is not None
    chain.write(1)
    stamped = chain.w3.eth.get_block("latest")["timestamp"]
    assert -2 < stamped - time.time() < 2


def _replies(node: HardhatNode) -> Callable[..., dict[str, Any]]:
    """Raw JSON-RPC to ``node``: the whole reply, result or error."""
    session = requests.Session()

    def reply(method: str, *params: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        answer: dict[str, Any] = session.post(node.rpc_url, json=body, timeout=60).json()
        return answer

    return reply


def _rpc(node: HardhatNode) -> Callable[..., Any]:
    """Raw JSON-RPC to ``node``: the result (an error fails the test)."""
    reply = _replies(node)

    def call(method: str, *params: Any) -> Any:
        answer = reply(method, *params)
        assert "error" not in answer, (method, params, answer)
        return answer["result"]

    return call


def _history(rpc: Callable[..., Any], head: int) -> dict[str, Any]:
    """Every history answer a client can ask for, up to ``head``, as the node's raw JSON."""
    blocks = [rpc("eth_getBlockByNumber", hex(n), False) for n in range(head + 1)]
    txs = [h for b in blocks for h in b["transactions"]]
    return {
        "blocks": blocks,
        "full": [rpc("eth_getBlockByNumber", hex(n), True) for n in range(head + 1)],
        "earliest": rpc("eth_getBlockByNumber", "earliest", False),
        "by_hash": [rpc("eth_getBlockByHash", b["hash"], True) for b in blocks],
        "txs": [rpc("eth_getTransactionByHash", h) for h in txs],
        "receipts": [rpc("eth_getTransactionReceipt", h) for h in txs],
        "logs": rpc("eth_getLogs", {"fromBlock": "earliest", "toBlock": hex(head)}),
        "logs_by_block": [rpc("eth_getLogs", {"blockHash": b["hash"]}) for b in blocks],
    }


def test_history_from_the_archive_is_what_the_network_answered(state_dir: Path) -> None:
    # Blocks, transactions, receipts and logs up to the fork block are answered from the archive
    # directly (through the forked network they stayed in the node's memory for good); the
    # answers must be byte for byte the network's own, as a node without an archive gives them.
    plain = start_node(state_dir, snapshot_every=0)
    try:
        chain = Chain(plain)
        chain.write(4)
        chain.pay_a_new_account()
        head = chain.w3.eth.block_number
        expected = _history(_rpc(plain), head)
    finally:
        plain.stop()
    archived = start_node(state_dir, snapshot_every=15)  # snapshots the replayed journal at once
    try:
        rpc = _rpc(archived)
        assert int(rpc("eth_blockNumber"), 16) == head
        assert _history(rpc, head) == expected
        assert "from genesis" in archived.log_file.read_text()
        assert "snapshot at block" in archived.log_file.read_text()
        # After the fork: a range across it is the archive's part and the network's, in order.
        chain.w3 = chain.sender.w3 = Web3(Web3.HTTPProvider(archived.rpc_url))
        chain.write(2)
        logs = rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest"})
        assert logs[: len(expected["logs"])] == expected["logs"]
        newer = [
            rpc("eth_getLogs", {"blockHash": hex_hash}) for hex_hash in _hashes_after(rpc, head)
        ]
        assert logs[len(expected["logs"]) :] == [log for block in newer for log in block] != []
        tx = logs[-1]["transactionHash"]
        assert rpc("eth_getTransactionReceipt", tx)["logs"] == [logs[-1]]  # from the network
        # A malformed filter over archived blocks is refused as invalid, and changes nothing.
        before = rpc("eth_getBlockByNumber", "latest", False)
        refused = _replies(archived)(
            "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "topics": ["0x12"]}
        )
        assert refused["error"]["code"] == -32602, refused
        assert '"0x12"' in refused["error"]["message"] and "topic" in refused["error"]["message"]
        assert rpc("eth_getBlockByNumber", "latest", False) == before
    finally:
        archived.stop()


def _hashes_after(rpc: Callable[..., Any], block: int) -> list[str]:
    head = int(rpc("eth_blockNumber"), 16)
    return [rpc("eth_getBlockByNumber", hex(n), False)["hash"] for n in range(block + 1, head + 1)]
