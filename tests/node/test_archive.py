"""The node's on-disk archive: a chain copied into it is served so a Hardhat fork sees it whole.

A plain node makes a chain (blocks of many transactions, storage writes, logs with topics);
``scripts/archive-copy.js`` copies it into an archive and serves it; a second node forks from
that archive at its head and must see the same history and state.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from eth_account import Account
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import Wei

from quancheng_node.config import HARDHAT_DIR
from tests.utils.evm import init_code
from tests.utils.ports import free_port

# Runtime: sstore(calldata[0], calldata[32]); log2(0, 0, topics = [calldata[0], calldata[32]]).
STORE_RUNTIME = bytes.fromhex("6020356000355560203560003560006000a200")
SLOTS = 24
START_TIMEOUT_S = 90.0


@dataclass
class Proc:
    """A Node process started by a test, stopped by its fixture."""

    popen: subprocess.Popen[str]
    log: Path

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def _start(args: list[str], log: Path, env: dict[str, str] | None = None) -> Proc:
    out = log.open("w")
    popen = subprocess.Popen(
        ["node", *args], cwd=HARDHAT_DIR, stdout=out, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true", **(env or {})},
    )  # fmt: skip
    return Proc(popen, log)


def _wait_rpc(proc: Proc, url: str) -> Web3:
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.log} exited: {proc.log.read_text()}")
        if w3.is_connected():
            return w3
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {START_TIMEOUT_S} s: {proc.log.read_text()}")


def _rpc(url: str, method: str, params: list[Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    answer: dict[str, Any] = requests.post(url, json=body, timeout=60).json()
    return answer


def _node(script: str, *args: str) -> Any:
    """Runs a Node snippet in hardhat-network; its last stdout line is JSON."""
    done = subprocess.run(
        ["node", "-e", f"(async () => {{ {script} }})().catch((e) => {{ console.log("
         "JSON.stringify({ error: e.code || String(e), message: e.message })); });", *args],
        cwd=HARDHAT_DIR, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Chain:
    """The source chain as the tests check it."""

    w3: Web3
    url: str
    contracts: list[ChecksumAddress]
    accounts: list[ChecksumAddress]
    head: int


def _make_chain(w3: Web3) -> tuple[list[ChecksumAddress], list[ChecksumAddress]]:
    sender, other = list(w3.eth.accounts)[:2]
    payee = Web3.to_checksum_address("0x" + "ab" * 20)
    contracts: list[ChecksumAddress] = []
    for _ in range(2):
        tx = w3.eth.send_transaction({"from": sender, "data": init_code(STORE_RUNTIME)})
        address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        assert address is not None
        contracts.append(address)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    for block in range(12):  # 12 blocks of 20 transactions
        for i in range(20):
            slot, value = (block * 20 + i) % SLOTS, (block * 7 + i) % 5  # value 0 clears a slot
            data = slot.to_bytes(32, "big") + value.to_bytes(32, "big")
            w3.eth.send_transaction(
                {"from": sender, "to": contracts[i % 2], "data": data, "gas": 100_000}
            )
        w3.eth.send_transaction(
            {"from": other, "to": payee, "value": Wei(block + 1), "gas": 21_000}
        )
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    return contracts, [sender, other, payee]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    tmp = tmp_path_factory.mktemp("source")
    port = free_port()
    proc = _start(["scripts/node.js", "--port", str(port)], tmp / "source.log")
    try:
        url = f"http://127.0.0.1:{port}"
        w3 = _wait_rpc(proc, url)
        contracts, accounts = _make_chain(w3)
        yield Chain(w3, url, contracts, accounts, w3.eth.block_number)
    finally:
        proc.stop()


def _copy_args(chain: Chain, archive: Path) -> list[str]:
    storage = [f"{c}:{hex(s)}" for c in chain.contracts for s in range(SLOTS)]
    return [
        "scripts/archive-copy.js", "--from", chain.url, "--dir", str(archive),
        "--accounts", ",".join(chain.accounts + chain.contracts), "--storage", ",".join(storage),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def archive_url(source: Chain, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("archive")
    proc = _start([*_copy_args(source, tmp / "db"), "--serve"], tmp / "archive.log")
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while "serving " not in proc.log.read_text() and time.monotonic() < deadline:
            assert proc.popen.poll() is None, proc.log.read_text()
            time.sleep(0.1)
        yield proc.log.read_text().split("serving ")[1].split()[0]
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def fork(
    archive_url: str, source: Chain, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Web3]:
    tmp = tmp_path_factory.mktemp("fork")
    config = tmp / "fork.config.js"
    config.write_text(
        f"const base = require({json.dumps(str(HARDHAT_DIR / 'hardhat.config.js'))});\n"
        f"const hardhat = {{ ...base.networks.hardhat, forking: {{ url: {json.dumps(archive_url)},"
        f" blockNumber: {source.head} }},\n"
        "  chains: { 5310: { hardforkHistory: { cancun: 0 } } } };\n"
        f"module.exports = {{ ...base, networks: {{ hardhat }}, paths: {{ sources: "
        f"{json.dumps(str(HARDHAT_DIR / 'no-sources'))}, cache: {json.dumps(str(tmp / 'cache'))},"
        f" artifacts: {json.dumps(str(tmp / 'artifacts'))} }} }};\n"
    )
    port = free_port()
    proc = _start(
        ["scripts/node.js", "--port", str(port)], tmp / "fork.log", {"HARDHAT_CONFIG": str(config)}
    )
    try:
        yield _wait_rpc(proc, f"http://127.0.0.1:{port}")
    finally:
        proc.stop()


def test_a_fork_of_the_archive_has_the_source_history_and_state(source: Chain, fork: Web3) -> None:
    src, n = source.w3, source.head
    assert n >= 14 and sum(len(src.eth.get_block(b)["transactions"]) for b in range(n + 1)) >= 250
    for number in range(n + 1):
        assert fork.eth.get_block(number)["hash"] == src.eth.get_block(number)["hash"]
    logs = src.eth.get_logs({"fromBlock": 0, "toBlock": n})
    assert len(logs) == 240
    assert fork.eth.get_logs({"fromBlock": 0, "toBlock": n}) == logs
    for block in (1, 3, n):
        for tx in src.eth.get_block(block)["transactions"]:
            assert isinstance(tx, bytes)
            assert fork.eth.get_transaction_receipt(tx) == src.eth.get_transaction_receipt(tx)
    for address in source.accounts + source.contracts:
        assert fork.eth.get_balance(address, n) == src.eth.get_balance(address, n)
        assert fork.eth.get_transaction_count(address, n) == src.eth.get_transaction_count(
            address, n
        )
        assert fork.eth.get_code(address, n) == src.eth.get_code(address, n)
    for contract in source.contracts:
        for slot in range(SLOTS):
            assert fork.eth.get_storage_at(contract, slot, n) == src.eth.get_storage_at(
                contract, slot, n
            )


def test_a_new_transaction_on_the_fork_links_to_the_archive_head(source: Chain, fork: Web3) -> None:
    data = (5).to_bytes(32, "big") + (77).to_bytes(32, "big")
    tx = fork.eth.send_transaction(
        {"from": source.accounts[0], "to": source.contracts[0], "data": data}
    )
    receipt = fork.eth.wait_for_transaction_receipt(tx)
    assert receipt["blockNumber"] == source.head + 1
    assert (
        fork.eth.get_block(source.head + 1)["parentHash"]
        == source.w3.eth.get_block(source.head)["hash"]
    )
    assert int.from_bytes(fork.eth.get_storage_at(source.contracts[0], 5)) == 77


def _raw(w3: Web3, method: str, params: list[Any]) -> Any:
    return w3.provider.make_request(method, params)["result"]  # type: ignore[arg-type]


def test_the_archive_filters_logs_as_the_source_does(source: Chain, archive_url: str) -> None:
    n = source.head
    topic = "0x" + (3).to_bytes(32, "big").hex()
    values = ["0x" + v.to_bytes(32, "big").hex() for v in (1, 4)]
    filters: list[dict[str, Any]] = [
        {
            "fromBlock": "earliest",
            "toBlock": "latest",
            "address": [c.lower() for c in source.contracts],
        },
        {"fromBlock": "0x0", "toBlock": hex(n + 50), "address": source.contracts[1]},  # clamped
        {"fromBlock": "0x0", "topics": [topic]},
        {"fromBlock": "0x0", "topics": [None, values]},
        {"fromBlock": "0x0", "topics": [[topic, "0x" + (7).to_bytes(32, "big").hex()], values]},
        {"blockHash": source.w3.eth.get_block(5)["hash"].to_0x_hex()},
    ]
    for f in filters:
        expected = _raw(
            source.w3, "eth_getLogs", [{**f, "toBlock": hex(n)} if "toBlock" in f else f]
        )
        answer = _rpc(archive_url, "eth_getLogs", [f])
        assert answer["result"] == expected and expected, f
    assert _rpc(archive_url, "eth_getBlockByNumber", [hex(n + 1), False])["result"] is None
    block = _rpc(archive_url, "eth_getBlockByNumber", ["latest", True])["result"]
    assert block == _raw(source.w3, "eth_getBlockByNumber", [hex(n), True])
    by_hash = _rpc(archive_url, "eth_getBlockByHash", [block["hash"], False])["result"]
    assert by_hash["transactions"] == [tx["hash"] for tx in block["transactions"]]


def test_the_archive_refuses_state_before_its_head_and_unknown_methods(
    source: Chain, archive_url: str
) -> None:
    n, account = source.head, source.accounts[0]
    old = _rpc(archive_url, "eth_getBalance", [account, hex(n - 1)])["error"]
    assert old["data"] == {"code": "ARCHIVE_STATE_NOT_KEPT"}
    assert f"at block {n - 1} is not kept by the archive" in old["message"]
    assert f"ask at block {n} or later" in old["message"]
    head_hash = _raw(source.w3, "eth_getBlockByNumber", [hex(n), False])["hash"]
    head = _rpc(archive_url, "eth_getBalance", [account, {"blockHash": head_hash}])
    assert int(head["result"], 16) == source.w3.eth.get_balance(account, n)
    assert _rpc(archive_url, "eth_getCode", ["0x" + "00" * 20, "latest"])["result"] == "0x"
    assert _rpc(archive_url, "debug_traceTransaction", [])["error"]["code"] == -32601
    batch = [
        {"jsonrpc": "2.0", "id": i, "method": m, "params": []}
        for i, m in enumerate(["eth_chainId", "eth_blockNumber"])
    ]
    answers = requests.post(archive_url, data=json.dumps(batch), timeout=10).json()
    # The head is reported 128 blocks deep (EDR's reorg-safety depth): final, so cacheable.
    assert [a["result"] for a in answers] == [hex(5310), hex(n + 128)]
    too_big = requests.post(archive_url, data=b" " * (9 * 1024 * 1024), timeout=30)
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == -32600


# Node snippets over a fresh archive in argv[2], copying from the source node at argv[1].
PRELUDE = """
  const { Archive } = require("./scripts/archive");
  const { copyChain, httpRequester } = require("./scripts/archive-copy");
  const [url, dir] = process.argv.slice(1);
  const request = httpRequester(url);
  const net = require("./hardhat.config.js").networks.hardhat;
  const H = { chainId: net.chainId, hardfork: net.hardfork, genesisDate: net.initialDate };
"""


def test_two_commits_in_a_row_extend_the_head_and_survive_a_reopen(
    source: Chain, tmp_path: Path
) -> None:
    script = """
      let a = await Archive.open(dir, H);
      const first = await copyChain(a, request, { toBlock: 5 });
      const second = await copyChain(a, request);
      const [address, slot, nine] = ["0x" + "cd".repeat(20), "0x1", "0x" + "9".padStart(64, "0")];
      const stateOnly = await a.commit({ blocks: [], storage: [{ address, slot, value: nine }] });
      const written = (await a.storage(address, slot)).value;
      await a.commit({ blocks: [], storage: [{ address, slot, value: "0x0" }] });
      const cleared = (await a.storage(address, slot)).value;
      await a.close();
      a = await Archive.open(dir, H);
      const stats = a.stats();
      await a.close();
      const state = { head: stateOnly.head, written, cleared };
      console.log(JSON.stringify({ first: first.head, second: second.head, stats, state }));
    """
    out = _node(PRELUDE + script, source.url, str(tmp_path / "db"))
    head = source.w3.eth.get_block(source.head)
    assert out["first"]["number"] == 5
    assert out["second"] == {
        "number": source.head,
        "hash": head["hash"].to_0x_hex(),
        "timestamp": head["timestamp"],
    }
    assert out["stats"]["head"] == out["second"] and out["stats"]["blocks"] == source.head + 1
    assert out["stats"]["logs"] == 240
    # A state-only commit keeps the head; a zero value deletes the slot.
    assert out["state"] == {
        "head": out["second"],
        "written": "0x" + "9".rjust(64, "0"),
        "cleared": "0x" + "0" * 64,
    }


def test_a_non_contiguous_commit_is_refused_and_changes_nothing(
    source: Chain, tmp_path: Path
) -> None:
    script = """
      const a = await Archive.open(dir, H);
      await copyChain(a, request, { toBlock: 5 });
      const block = async (n) => request("eth_getBlockByNumber", ["0x" + n.toString(16), true]);
      const receipts = async (b) =>
        Promise.all(b.transactions.map((t) => request("eth_getTransactionReceipt", [t.hash])));
      const b7 = await block(7), b6 = await block(6);
      const refusals = [];
      for (const blocks of [[b7], [b6, b6], [{ ...b6, parentHash: b7.hash }]]) {
        try {
          await a.commit({ blocks, receipts: await receipts(b6), accounts: [], storage: [] });
          refusals.push(null);
        } catch (e) {
          refusals.push(e.code);
        }
      }
      const stillTx = await a.transactions([b6.transactions[0].hash]);
      const head = a.head();
      const after = await a.commit({ blocks: [b6], receipts: await receipts(b6) });
      await a.close();
      console.log(JSON.stringify({ refusals, head, stillTx, after: after.head.number }));
    """
    out = _node(PRELUDE + script, source.url, str(tmp_path / "db"))
    assert out["refusals"] == ["ARCHIVE_NOT_CONTIGUOUS"] * 3
    assert out["head"]["number"] == 5 and out["stillTx"] == [None]
    assert out["after"] == 6


def test_a_foreign_or_tampered_archive_is_refused(source: Chain, tmp_path: Path) -> None:
    script = """
      const { ClassicLevel } = require("classic-level");
      const a = await Archive.open(dir, H);
      await copyChain(a, request, { toBlock: 3 });
      await a.close();
      const codes = [];
      const refusal = async (header) => {
        try {
          await (await Archive.open(dir, header)).close();
          return null;
        } catch (e) {
          return e.code;
        }
      };
      codes.push(await refusal({ ...H, chainId: 1 }));
      codes.push(await refusal({ ...H, genesisDate: "2030-01-01T00:00:00Z" }));
      const db = new ClassicLevel(dir, { valueEncoding: "json" });
      const key = "b:" + (3).toString(16).padStart(16, "0");
      await db.put(key, { ...(await db.get(key)), gasUsed: "0x1" });
      await db.close();
      codes.push(await refusal(H));
      console.log(JSON.stringify({ codes }));
    """
    out = _node(PRELUDE + script, source.url, str(tmp_path / "db"))
    assert out["codes"] == ["ARCHIVE_FOREIGN", "ARCHIVE_FOREIGN", "ARCHIVE_CORRUPT"]


def test_a_deployment_is_told_from_a_call_in_every_transaction_type() -> None:
    # The snapshot reads traces only for deployments (a new contract's storage never came from
    # the archive), so the node must recognise one in each signed form it accepts.
    account = Account.create()
    common: dict[str, Any] = {"nonce": 3, "gas": 100_000, "value": 0, "data": "0x6001600055"}
    kinds: dict[str, dict[str, Any]] = {
        "legacy": {"gasPrice": 10**9},
        "eip2930": {"gasPrice": 10**9, "chainId": 5310, "accessList": []},
        "eip1559": {"maxFeePerGas": 10**9, "maxPriorityFeePerGas": 1, "chainId": 5310},
    }
    cases: list[tuple[str, bool]] = []
    for fields in kinds.values():
        for to in (None, Web3.to_checksum_address("0x" + "ab" * 20)):
            tx: dict[str, Any] = {**common, **fields}
            if to is not None:
                tx["to"] = to
            raw = account.sign_transaction(tx).raw_transaction.to_0x_hex()
            cases.append((raw, to is None))
    big = {**common, **kinds["eip1559"], "data": "0x" + "00" * 30_000}  # long RLP forms
    cases.append((account.sign_transaction(big).raw_transaction.to_0x_hex(), True))
    script = """
      const { createsContract } = require("./scripts/snapshot");
      const cases = JSON.parse(process.argv[1]);
      const raw = cases.map(([tx]) => createsContract("eth_sendRawTransaction", [tx]));
      const [from, to] = ["0x" + "11".repeat(20), "0x" + "22".repeat(20)];
      const sent = [
        createsContract("eth_sendTransaction", [{ from, data: "0x00" }]),
        createsContract("eth_sendTransaction", [{ from, to }]),
      ];
      console.log(JSON.stringify({ raw, sent }));
    """
    out = _node(script, json.dumps(cases))
    assert out["raw"] == [creates for _, creates in cases]
    assert out["sent"] == [True, False]
