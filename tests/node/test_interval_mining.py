"""Interval mining: the local node seals blocks every N seconds, as a QBFT network does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from hexbytes import HexBytes
from web3 import Web3

from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode
from tests.conftest import start_node
from tests.utils.evm import RawSender

BLOCK_TIME_S = 2.0


@pytest.fixture
def node(tmp_path: Path) -> Iterator[HardhatNode]:
    node = start_node(tmp_path / "chain", block_time_s=BLOCK_TIME_S)
    yield node
    node.stop()


def _send_unmined(w3: Web3, sender: RawSender, to: str, data: bytes) -> tuple[HexBytes, str]:
    """Sends a signed transaction without waiting for its receipt: (hash, raw hex)."""
    signed = Account.from_key(sender.account.key).sign_transaction(
        {
            "nonce": sender.nonce,
            "gas": 200_000,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 1,
            "data": data,
            "to": to,
            "chainId": sender.chain_id,
            "value": 0,
        }
    )
    sender.nonce += 1
    return w3.eth.send_raw_transaction(signed.raw_transaction), signed.raw_transaction.to_0x_hex()


def _journal_entries(node: HardhatNode) -> list[dict[str, Any]]:
    return [json.loads(line) for line in node.journal_file.read_text().splitlines()[1:]]


def _receipt_view(w3: Web3, tx_hash: HexBytes) -> tuple[object, ...]:
    r = w3.eth.get_transaction_receipt(tx_hash)
    return (r["blockNumber"], r["blockHash"], r["transactionIndex"], r["status"], r["logs"])


def test_block_time_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QC_NODE_BLOCK_TIME_S", "2")
    settings = NodeSettings()
    assert settings.block_time_s == 2.0
    command = HardhatNode(settings).build_command()
    assert command[command.index("--block-time") + 1] == "2"
    monkeypatch.delenv("QC_NODE_BLOCK_TIME_S")
    assert NodeSettings().block_time_s == 0.0  # instant mining by default


def test_a_negative_block_time_is_refused() -> None:
    with pytest.raises(ValueError, match="block_time_s"):
        NodeSettings(block_time_s=-1)


def test_a_transaction_is_journaled_before_its_ack_and_mined_in_the_next_block(
    node: HardhatNode,
) -> None:
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    sender = RawSender(w3, node.dev_private_keys(1)[0])
    address = sender.deploy_counter()
    head = w3.eth.block_number
    tx_hash, raw = _send_unmined(w3, sender, address, b"under 2 s blocks")
    # Acknowledged, hence already in the journal, as a pooled transaction (no block of its own).
    entry = _journal_entries(node)[-1]
    assert (entry["m"], entry["p"], entry["n"]) == ("eth_sendRawTransaction", [raw], head)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["blockNumber"] == head + 1
    seal = next(e for e in _journal_entries(node) if e["m"] == "evm_mine" and e["n"] == head + 1)
    assert HexBytes(seal["h"]) == receipt["blockHash"]
    before = _receipt_view(w3, tx_hash)
    node.restart()
    assert _receipt_view(w3, tx_hash) == before
    assert int.from_bytes(w3.eth.get_storage_at(address, 0), "big") == 1


def test_transactions_are_pooled_and_sealed_by_the_timer_not_by_their_sends(
    node: HardhatNode,
) -> None:
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    sender = RawSender(w3, node.dev_private_keys(1)[0])
    address = sender.deploy_counter()
    sent = [_send_unmined(w3, sender, address, b"%d" % i) for i in range(5)]
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=30) for h, _ in sent]
    entries = _journal_entries(node)
    raws = {raw for _, raw in sent}
    sends = [e for e in entries if e["m"] == "eth_sendRawTransaction" and e["p"][0] in raws]
    assert len(sends) == 5 and all(e["n"] == e["b"] for e in sends)  # no send made a block
    sealed = {e["n"]: HexBytes(e["h"]) for e in entries if e["m"] == "evm_mine"}
    assert {(r["blockNumber"], r["blockHash"]) for r in receipts} <= set(sealed.items())
    assert all(r["status"] == 1 for r in receipts)


def test_an_acknowledged_pooled_transaction_survives_kill_9(node: HardhatNode) -> None:
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    sender = RawSender(w3, node.dev_private_keys(1)[0])
    address = sender.deploy_counter()
    tx_hash, _ = _send_unmined(w3, sender, address, b"acked, then the node dies")
    node.kill()  # sealed or still pooled: either way it was acknowledged, so it must come back
    node.start()
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["status"] == 1
    assert int.from_bytes(w3.eth.get_storage_at(address, 0), "big") == 1


def test_a_chain_made_under_interval_mining_restarts_under_instant_mining(
    node: HardhatNode,
) -> None:
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    sender = RawSender(w3, node.dev_private_keys(1)[0])
    address = sender.deploy_counter()
    tx_hash, _ = _send_unmined(w3, sender, address, b"interval")
    w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    before = _receipt_view(w3, tx_hash)
    node.stop()
    instant = HardhatNode(node.settings.model_copy(update={"block_time_s": 0.0}))
    instant.start()
    try:
        assert _receipt_view(w3, tx_hash) == before
        receipt = RawSender(w3, node.dev_private_keys(1)[0]).send(address, b"instant")
        assert receipt["blockNumber"] == before[0] + 1  # mined at once, in its own block
    finally:
        instant.stop()
