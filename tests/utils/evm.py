"""Tiny hand-assembled contracts and raw-transaction helpers for node-level tests.

Node tests must not depend on the project's Solidity: they exercise the node itself.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from web3 import Web3

# Runtime: counter = sload(0) + 1; sstore(0, counter); log1(calldata, topic0 = counter).
COUNTER_RUNTIME = bytes.fromhex("6000546001018060005536600060003780366000a100")


def init_code(runtime: bytes) -> bytes:
    """Init code that deploys ``runtime`` (at most 32 bytes)."""
    n = len(runtime)
    assert 0 < n <= 32
    return (
        bytes([0x5F + n]) + runtime  # PUSHn runtime
        + bytes([0x60, 0x00, 0x52])  # PUSH1 0 MSTORE
        + bytes([0x60, n, 0x60, 32 - n, 0xF3])  # PUSH1 n PUSH1 32-n RETURN
    )  # fmt: skip


class RawSender:
    """Signs transactions locally and sends them raw, as institutions do."""

    def __init__(self, w3: Web3, private_key: str) -> None:
        self.w3 = w3
        self.account = Account.from_key(private_key)
        self.nonce: int = w3.eth.get_transaction_count(self.account.address)
        self.chain_id = w3.eth.chain_id

    def send(self, to: str | None, data: bytes, gas: int = 200_000) -> Any:
        tx: dict[str, Any] = {
            "nonce": self.nonce,
            "gas": gas,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 1,
            "data": data,
            "chainId": self.chain_id,
            "value": 0,
        }
        if to is not None:
            tx["to"] = to
        self.nonce += 1
        tx_hash = self.w3.eth.send_raw_transaction(
            self.account.sign_transaction(tx).raw_transaction
        )
        return self.w3.eth.wait_for_transaction_receipt(tx_hash)

    def deploy_counter(self) -> str:
        receipt = self.send(None, init_code(COUNTER_RUNTIME))
        return str(receipt["contractAddress"])
