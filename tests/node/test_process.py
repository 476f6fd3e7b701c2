"""The local node: lifecycle, clear errors, and a chain that survives restarts."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from quancheng_node.errors import NodeStateRefused, PortInUse
from quancheng_node.process import HardhatNode
from tests.conftest import start_node
from tests.utils.evm import RawSender


def _snapshot(w3: Web3, address: str) -> dict[str, object]:
    """Everything a restart must preserve: head, storage, code and the whole event history."""
    head = w3.eth.get_block("latest")
    logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": address})
    return {
        "number": head["number"],
        "hash": head["hash"],
        "timestamp": head["timestamp"],
        "state_root": head["stateRoot"],
        "counter": w3.eth.get_storage_at(address, 0),
        "code": w3.eth.get_code(address),
        "logs": [
            (log["blockNumber"], log["topics"], log["data"], log["transactionHash"]) for log in logs
        ],
    }


@pytest.fixture
def node(tmp_path: Path) -> Iterator[HardhatNode]:
    node = start_node(tmp_path / "chain")
    yield node
    node.stop()


def _fill(node: HardhatNode, txs: int = 25) -> tuple[Web3, str]:
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    sender = RawSender(w3, node.dev_private_keys(1)[0])
    address = sender.deploy_counter()
    for i in range(txs):
        sender.send(address, f"call {i}".encode())
    return w3, address


def test_chain_state_and_event_history_survive_a_graceful_restart(node: HardhatNode) -> None:
    w3, address = _fill(node)
    before = _snapshot(w3, address)
    assert int.from_bytes(before["counter"], "big") == 25  # type: ignore[arg-type]
    node.restart()
    assert _snapshot(w3, address) == before


def test_chain_state_survives_kill_9(node: HardhatNode) -> None:
    w3, address = _fill(node, txs=10)
    before = _snapshot(w3, address)
    node.kill()
    node.start()
    assert _snapshot(w3, address) == before


def test_chain_keeps_growing_after_restart_with_consistent_nonces(node: HardhatNode) -> None:
    w3, address = _fill(node, txs=3)
    node.restart()
    sender = RawSender(w3, node.dev_private_keys(1)[0])
    receipt = sender.send(address, b"after restart")
    assert receipt["status"] == 1
    assert int.from_bytes(w3.eth.get_storage_at(address, 0), "big") == 4
    node.restart()
    assert int.from_bytes(w3.eth.get_storage_at(address, 0), "big") == 4


def test_time_advanced_before_restart_is_kept_after_it(node: HardhatNode) -> None:
    w3, address = _fill(node, txs=1)
    w3.provider.make_request("evm_increaseTime", [7 * 86400])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    advanced = w3.eth.get_block("latest")["timestamp"]
    assert advanced >= time.time() + 7 * 86400 - 60
    node.restart()
    RawSender(w3, node.dev_private_keys(1)[0]).send(address, b"x")
    after = w3.eth.get_block("latest")["timestamp"]
    # The clock continues from where it was, neither jumping back to wall time nor replay time.
    assert advanced <= after <= advanced + 60


def test_block_time_follows_the_wall_clock_under_a_burst(node: HardhatNode) -> None:
    w3, _ = _fill(node, txs=60)
    assert w3.eth.get_block("latest")["timestamp"] <= time.time() + 2


def test_history_rewriting_methods_are_refused(node: HardhatNode) -> None:
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    for method in ("evm_snapshot", "evm_revert", "hardhat_reset", "evm_setIntervalMining"):
        reply = w3.provider.make_request(method, [])  # type: ignore[arg-type]
        assert reply["error"]["code"] == -32005, reply
        assert method in reply["error"]["message"]


def test_torn_last_journal_line_is_dropped_on_restart(node: HardhatNode) -> None:
    w3, address = _fill(node, txs=5)
    before = _snapshot(w3, address)
    node.kill()
    with node.journal_file.open("a") as f:
        f.write('{"m":"eth_sendRawTransaction","p":["0x02f8')  # a write cut short by a crash
    node.start()
    assert _snapshot(w3, address) == before


def test_a_tampered_journal_is_refused_at_start(node: HardhatNode) -> None:
    _fill(node, txs=3)
    node.stop()
    lines = node.journal_file.read_text().splitlines()
    entry = json.loads(lines[-1])
    entry["t"] += 1  # a block at another time would rebuild a different chain
    lines[-1] = json.dumps(entry)
    node.journal_file.write_text("\n".join(lines) + "\n")
    with pytest.raises(NodeStateRefused, match="diverged") as err:
        node.start()
    assert err.value.reason == "JOURNAL_DIVERGED"
    assert err.value.code == "NODE_STATE_REFUSED"


def test_a_journal_from_another_chain_id_is_refused(node: HardhatNode, tmp_path: Path) -> None:
    _fill(node, txs=1)
    node.stop()
    other = HardhatNode(node.settings.model_copy(update={"chain_id": 777}))
    with pytest.raises(NodeStateRefused, match="5310") as err:
        other.start()
    # The archive beside the journal is checked first; either names the other chain id.
    assert err.value.reason in ("ARCHIVE_FOREIGN", "JOURNAL_FOREIGN")


def test_start_on_a_taken_port_fails_clearly(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        node = HardhatNode(
            HardhatNode().settings.model_copy(update={"port": port, "state_dir": tmp_path})
        )
        with pytest.raises(PortInUse) as err:
            node.start()
    assert err.value.port == port
    assert not (tmp_path / "node.pid").exists()


def test_status_reports_a_stopped_node(tmp_path: Path) -> None:
    node = HardhatNode(HardhatNode().settings.model_copy(update={"state_dir": tmp_path, "port": 1}))
    status = node.status()
    assert status["running"] is False
    assert status["pid"] is None


def test_a_client_holding_a_connection_open_does_not_stall_a_graceful_stop(
    node: HardhatNode,
) -> None:
    # A request whose headers never end keeps its connection busy: server.close() alone
    # would wait for it until the stop timeout and the node would then be SIGKILLed.
    host, port = node.rpc_url.removeprefix("http://").split(":")
    held = socket.create_connection((host, int(port)))
    held.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
    w3, address = _fill(node, txs=2)
    before = _snapshot(w3, address)
    try:
        started = time.monotonic()
        node.stop()
        took = time.monotonic() - started
    finally:
        held.close()
    assert took < node.settings.stop_timeout - 2, took
    assert node.log_file.read_text().rstrip().endswith("stopped")  # not SIGKILLed
    node.start()
    assert _snapshot(w3, address) == before
