"""The chain the longevity benchmark grows: pre-signed counter calls over raw JSON-RPC.

Each transaction calls a tiny counter contract (a storage write and a log), signed here
directly and sent in JSON-RPC batches, so that the node, not the client, sets the rate.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from typing import Any

import coincurve
import requests
import rlp
from eth_hash.auto import keccak
from web3 import Web3

from quancheng_node.process import HardhatNode
from tests.utils.evm import COUNTER_RUNTIME, init_code

BATCH = 250  # raw transactions per JSON-RPC batch
LIMIT_EXCEEDED = -32005  # the archive's "narrow the range" error code


class RpcError(RuntimeError):
    """The node answered a JSON-RPC request with an error."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        self.method = method
        self.code = int(error.get("code", 0))
        super().__init__(f"{method}: {error.get('message', error)}")


class Chain:
    """Talks raw JSON-RPC to the node and grows its chain with pre-signed transactions."""

    def __init__(self, node: HardhatNode) -> None:
        self.node = node
        self.http = requests.Session()
        self.key = coincurve.PrivateKey(bytes.fromhex(node.dev_private_keys(1)[0][2:]))
        self.nonce = 0
        self.sent = 0
        self.counter = ""

    def rpc(self, method: str, *params: Any) -> Any:
        reply = self.http.post(
            self.node.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        ).json()
        if "error" in reply:
            raise RpcError(method, reply["error"])
        return reply["result"]

    def deploy(self) -> None:
        tx_hash = self._send_batch([self._sign(None, init_code(COUNTER_RUNTIME))])[0]
        self.counter = Web3.to_checksum_address(self._receipt(tx_hash)["contractAddress"])

    def grow_to(self, txs: int) -> float:
        """Send counter calls until ``txs`` have been sent; the achieved tx/s."""
        started, first = time.perf_counter(), self.sent
        last = ""
        for raws in self._batches(txs - self.sent):
            last = self._send_batch(raws)[-1]
        if last:
            self._receipt(last)
        took = time.perf_counter() - started
        return (txs - first) / took if took else 0.0

    def _batches(self, count: int) -> Iterator[list[str]]:
        while count > 0:
            n = min(BATCH, count)
            yield [self._sign(self.counter, b"longevity %d" % (self.sent + i)) for i in range(n)]
            self.sent += n
            count -= n

    def _sign(self, to: str | None, data: bytes) -> str:
        # An EIP-1559 transaction signed directly (byte for byte what eth-account signs, ~6x
        # faster here): signing must not be what limits the rate the chain grows at.
        fields = [self.node.settings.chain_id, self.nonce, 1, 10**11, 100_000,
                  bytes.fromhex(to[2:]) if to else b"", 0, data, []]  # fmt: skip
        sig = self.key.sign_recoverable(keccak(b"\x02" + rlp.encode(fields)), hasher=None)
        r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big")
        self.nonce += 1
        raw: bytes = rlp.encode([*fields, sig[64], r, s])
        return "0x02" + raw.hex()

    def _send_batch(self, raws: list[str]) -> list[str]:
        body: list[Any] = [
            {"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [raw]}
            for i, raw in enumerate(raws)
        ]
        replies = sorted(self.http.post(self.node.rpc_url, json=body).json(), key=lambda r: r["id"])
        failed = [r["error"] for r in replies if "error" in r]
        if failed:
            raise RpcError("eth_sendRawTransaction", failed[0])
        return [str(r["result"]) for r in replies]

    def _receipt(self, tx_hash: str) -> dict[str, Any]:
        while (receipt := self.rpc("eth_getTransactionReceipt", tx_hash)) is None:
            time.sleep(0.05)
        assert isinstance(receipt, dict)
        return receipt

    def head(self) -> dict[str, Any]:
        block = self.rpc("eth_getBlockByNumber", "latest", False)
        assert isinstance(block, dict)
        return block

    def history(self, page_logs: int) -> tuple[int, str, int]:
        """Every counter event from block 0, paged by block range: (count, digest, requests).

        A page spans as many blocks as hold about ``page_logs`` logs at the chain's mean
        density; a page the node refuses as too large is halved and asked again.
        """
        head = int(self.rpc("eth_blockNumber"), 16)
        span = max(1, page_logs * (head + 1) // max(self.sent, 1))
        digest, count, requests_made, start = hashlib.sha256(), 0, 0, 0
        while start <= head:
            end = min(head, start + span - 1)
            try:
                requests_made += 1
                logs = self.rpc("eth_getLogs", {"fromBlock": hex(start), "toBlock": hex(end),
                                                "address": self.counter})  # fmt: skip
            except RpcError as exc:
                if exc.code != LIMIT_EXCEEDED or span == 1:
                    raise
                span //= 2
                continue
            for log in logs:
                digest.update(f"{log['transactionHash']}{log['data']}".encode())
            count += len(logs)
            start = end + 1
        return count, digest.hexdigest()[:16], requests_made

    def old_state_refusal(self) -> str:
        """What the node answers when asked for state at block 1 (the archive keeps the head's)."""
        try:
            self.rpc("eth_getStorageAt", self.counter, "0x0", "0x1")
        except RpcError as exc:
            # EDR wraps the archive's answer in its own message: keep the archive's words.
            reason = re.search(r"`([^`]*not kept[^`]*)`", str(exc))
            code = re.search(r'"code": String\("(\w+)"\)', str(exc))
            if reason is None:
                return str(exc)[:300].replace("`", "'")
            return reason[1] + (f" ({code[1]})" if code else "")
        return ""
