"""Every setting of a generated topology that the local node can honour, on a real node.

The local journaled node is started from the topology's ``env/localnode.env`` (chain id,
block gas limit, EVM, and block time: it seals every QBFT block period, as the validators do).
Our side does not depend on when blocks come: a gateway configured from the topology's gateway
env answers while its anchor transaction waits for a block that has not been sealed yet (a
JSON-RPC proxy hides the receipts until the test "seals" the block).
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3
from web3.exceptions import Web3RPCError

from quancheng.chain.client import TransactionRejected, make_web3, send_transaction
from quancheng.chain.types import code32
from quancheng.crypto import SM2PrivateKey
from quancheng_node.deploy import FoundingMember, deploy
from quancheng_node.deployment import (
    MembersFile,
    TopologySpec,
    check_live,
    generate_topology,
    read_env,
)
from quancheng_node.process import HardhatNode
from tests.conftest import start_node
from tests.gateway.conftest import in_process_gateway, wait_until
from tests.utils.evm import RawSender
from tests.utils.readers import OPERATOR
from tests.utils.scenario import active_grant, build_scenario, signed_request

#: 2 s blocks, as ``make test-blocktime``; a gas limit that holds a full batch's anchor.
CHAIN_ID, GAS_LIMIT, BLOCK_PERIOD = 7717, 55_555_555, 2
VR, FIELDS = "vehicle.registration", ("plate_no", "status")
#: Init code PUSH1 32 PUSH1 0 PUSH1 0 MCOPY STOP: valid from Cancun on, invalid before.
MCOPY_INIT = bytes.fromhex("6020600060005e00")


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Path:
    members = MembersFile.model_validate(
        {"members": [{"id": "jinan.vmo", "name": "车管所", "role": "PROVIDER",
                      "account": "0x90F79bf6EB2c4f870365E785982E1f101E93b906"}]}
    )  # fmt: skip
    out = tmp_path_factory.mktemp("topology") / "net"
    spec = TopologySpec(
        chain_id=CHAIN_ID, gas_limit=GAS_LIMIT, block_period_seconds=BLOCK_PERIOD,
        genesis_timestamp=1_767_225_600, seed="local", members=members,
    )  # fmt: skip
    generate_topology(spec, out)
    return out


@pytest.fixture(scope="module")
def node(topology: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HardhatNode]:
    """The local node with the topology's chain parameters (QC_NODE_* of localnode.env)."""
    env = read_env(topology / "env" / "localnode.env")
    settings = {k.removeprefix("QC_NODE_").lower(): v for k, v in env.items()}
    started = start_node(tmp_path_factory.mktemp("chain"), **settings)
    yield started
    started.stop()


def test_the_local_node_seals_on_the_networks_block_period(
    topology: Path, node: HardhatNode
) -> None:
    genesis = json.loads((topology / "genesis.json").read_text(encoding="utf-8"))
    assert genesis["config"]["qbft"]["blockperiodseconds"] == BLOCK_PERIOD
    assert node.settings.block_time_s == BLOCK_PERIOD
    sealing = f"sealing a block of pending transactions every {BLOCK_PERIOD} s"
    assert sealing in node.log_file.read_text(encoding="utf-8")


def test_the_local_node_runs_the_topologys_chain_id_gas_limit_and_evm(
    topology: Path, node: HardhatNode, tmp_path: Path
) -> None:
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    head = w3.eth.get_block("latest")
    assert (w3.eth.chain_id, head["gasLimit"]) == (CHAIN_ID, GAS_LIMIT)
    assert "blobGasUsed" in head  # a Cancun header
    report = check_live(topology, node.rpc_url)
    assert report.ok, report.problems
    assert any("no QBFT validators" in w for w in report.warnings)  # not a Besu node
    keys = node.dev_private_keys(3)
    founder = FoundingMember(
        id="jinan.bdb",
        name="济南市大数据局",
        account=Account.from_key(keys[2]).address,
        sm2_public_key=SM2PrivateKey.generate().public_key().to_bytes(),
    )
    deploy(node.rpc_url, keys[1], [founder], 1, 3600, manifest_path=tmp_path / "m.json")
    assert json.loads((tmp_path / "m.json").read_text())["chain_id"] == CHAIN_ID


def test_a_transaction_over_the_block_gas_limit_is_refused_and_one_at_it_is_mined(
    node: HardhatNode,
) -> None:
    w3 = make_web3(node.rpc_url)
    account = Account.from_key(node.dev_private_keys(4)[3])
    before = w3.eth.block_number
    tx = {"to": account.address, "data": b""}
    with pytest.raises(TransactionRejected, match=f"exceeds block gas limit of {GAS_LIMIT}"):
        send_transaction(w3, account, tx, gas=GAS_LIMIT + 1)  # type: ignore[arg-type]
    assert w3.eth.block_number == before
    receipt = send_transaction(w3, account, tx, gas=GAS_LIMIT)  # type: ignore[arg-type]
    assert receipt["status"] == 1 and receipt["blockNumber"] == before + 1


def test_the_hardfork_setting_decides_which_evm_runs(node: HardhatNode, tmp_path: Path) -> None:
    cancun = RawSender(Web3(Web3.HTTPProvider(node.rpc_url)), node.dev_private_keys(6)[5])
    assert cancun.send(None, MCOPY_INIT)["status"] == 1
    older = start_node(tmp_path / "shanghai", chain_id=CHAIN_ID, hardfork="shanghai")
    try:
        w3 = Web3(Web3.HTTPProvider(older.rpc_url))
        assert "blobGasUsed" not in w3.eth.get_block("latest")
        with pytest.raises(Web3RPCError, match="invalid opcode"):
            RawSender(w3, older.dev_private_keys(1)[0]).send(None, MCOPY_INIT)
    finally:
        older.stop()


# ------------------------------------------------------------------------------ block time


class UnsealedBlockProxy:
    """A JSON-RPC proxy that hides the receipts of the transactions sent through it until
    :meth:`seal`: to its client, those transactions wait in a block not produced yet."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.pending: set[str] = set()
        self.sealed = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                answer = json.dumps(proxy.handle(json.loads(body))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        method, params = request.get("method"), request.get("params") or []
        held = not self.sealed.is_set() and bool(params) and str(params[0]).lower() in self.pending
        if method == "eth_getTransactionReceipt" and held:
            return {"jsonrpc": "2.0", "id": request.get("id"), "result": None}
        req = urllib.request.Request(
            self.upstream, json.dumps(request).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            answer: dict[str, Any] = json.loads(resp.read())
        if method == "eth_sendRawTransaction" and "result" in answer:
            self.pending.add(str(answer["result"]).lower())
        return answer

    def seal(self) -> None:
        self.sealed.set()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_gateway_answers_while_its_anchor_waits_for_the_next_block(
    topology: Path, node: HardhatNode, tmp_path: Path
) -> None:
    env = read_env(topology / "env" / "gateway.jinan.vmo.env")
    timing = {
        k.removeprefix("QC_GW_").lower(): float(v)
        for k, v in env.items()
        if k.endswith(("_TIMEOUT_S", "_AGE_S", "_INTERVAL_S"))
    }
    assert timing["batch_max_age_s"] == BLOCK_PERIOD
    sc = build_scenario(node.rpc_url, node.dev_private_keys(9)[8], tmp_path / "sc")
    doc = active_grant(sc, sc.subjects[0], {VR: FIELDS}, max_uses=10)
    proxy = UnsealedBlockProxy(node.rpc_url)
    # The view's freshness bound is not what this test is about: a loaded machine (the node
    # sealing beside other work) can stall a poll past the 2 s default, so it is widened.
    gen = in_process_gateway(
        sc, tmp_path / "gw.db", rpc_url=proxy.url, use_websocket=False, view_max_lag_s=30.0,
        **timing,
    )  # fmt: skip
    gw = next(gen)
    try:
        gw.sync()
        for _ in range(3):
            answer = gw.query(signed_request(sc.consumer, doc, VR, FIELDS))
            assert answer.status_code == 200, answer.text
        gw.clock.advance(BLOCK_PERIOD)  # the batch is old enough: it closes and is sent
        wait_until(lambda: proxy.pending, 10, "the anchor transaction was sent")
        assert gw.query(signed_request(sc.consumer, doc, VR, FIELDS)).status_code == 200
        health = gw.client.get("/healthz", headers=OPERATOR).json()
        assert (health["unanchored"], health["batches_anchored"]) == (4, 0)
        proxy.seal()  # the next block: the anchor is mined
        wait_until(lambda: gw.gateway.anchorer.batches_anchored == 1, 30, "batch anchored")
        assert gw.gateway.anchorer.anchored_upto == 3
        anchor = sc.net.contracts.anchor(code32(sc.provider.code), 0)
        assert anchor.size == 3
    finally:
        gen.close()
        proxy.close()
