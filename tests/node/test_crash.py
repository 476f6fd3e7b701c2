"""Kill -9 in the middle of a burst: every acknowledged transaction comes back, same hash.

The node takes a snapshot every few dozen journal entries, so the burst crosses several
snapshots (archive written, journal replaced, network forked) before the kill lands.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from eth_account import Account
from hexbytes import HexBytes
from web3 import Web3

from quancheng_node.process import HardhatNode
from tests.conftest import start_node
from tests.utils.evm import RawSender

BURST = 400  # more than can be acknowledged before the kill lands
SNAPSHOT_EVERY = 40


@pytest.fixture(params=[0.0, 2.0], ids=["instant", "2s-blocks"])
def node(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[HardhatNode]:
    node = start_node(tmp_path / "chain", block_time_s=request.param, snapshot_every=SNAPSHOT_EVERY)
    yield node
    node.stop()


def _signed_burst(w3: Web3, key: str, to: str, count: int) -> list[str]:
    account = Account.from_key(key)
    nonce = w3.eth.get_transaction_count(account.address)
    chain_id = w3.eth.chain_id
    return [
        account.sign_transaction(
            {
                "nonce": nonce + i,
                "gas": 100_000,
                "maxFeePerGas": 10**11,
                "maxPriorityFeePerGas": 1,
                "data": b"burst %d" % i,
                "to": to,
                "chainId": chain_id,
                "value": 0,
            }
        ).raw_transaction.to_0x_hex()
        for i in range(count)
    ]


def _send_until_refused(url: str, raws: list[str], acked: list[str], half: threading.Event) -> None:
    """Sends one by one; records each acknowledged hash; stops at the first failure."""
    with requests.Session() as http:
        for raw in raws:
            body = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]}
            try:
                reply = http.post(url, json=body, timeout=10).json()
            except (requests.RequestException, ValueError):
                return
            if "result" not in reply:
                return
            acked.append(reply["result"])
            if len(acked) == len(raws) // 4:
                half.set()


def test_every_acknowledged_transaction_survives_kill_9_during_a_burst(node: HardhatNode) -> None:
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    key = node.dev_private_keys(2)[1]
    address = RawSender(w3, key).deploy_counter()
    raws = _signed_burst(w3, key, address, BURST)
    acked: list[str] = []
    started = threading.Event()
    sender = threading.Thread(target=_send_until_refused, args=(node.rpc_url, raws, acked, started))
    sender.start()
    assert started.wait(120), "the burst did not get going"
    deadline = time.monotonic() + 60
    while "snapshot at block" not in node.log_file.read_text():  # one block period at most
        assert time.monotonic() < deadline, "no snapshot was taken during the burst"
        time.sleep(0.02)
    node.kill()
    sender.join(30)
    assert 0 < len(acked) < BURST  # the kill landed mid-burst
    node.start()
    expected = [HexBytes(Web3.keccak(HexBytes(raw))) for raw in raws[: len(acked)]]
    assert [HexBytes(h) for h in acked] == expected
    for tx_hash in expected:
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        assert receipt["status"] == 1
    # Nothing beyond the acknowledged ones was lost or invented: the counter says how many ran.
    count = int.from_bytes(w3.eth.get_storage_at(address, 0), "big")
    assert len(acked) <= count <= len(acked) + 1  # + one sent whose ack the kill cut off
