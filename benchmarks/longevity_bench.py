"""Longevity of the local node: restart time and memory against the chain's length.

One chain is grown in steps (10^3, 10^4, 10^5 transactions by default; each a call of a tiny
counter contract that writes storage and emits a log, sent pre-signed in JSON-RPC batches).
At each length the node is stopped gracefully and started again: the start is timed until
it answers JSON-RPC, its resident memory is read before the stop and after the start, and the
restarted chain is checked (head hash, and eth_getLogs from block 0 returns every event).
The baseline is the same run's start on an empty state directory.

Run: ``python -m benchmarks.longevity_bench [--lengths 1000,10000,100000] [--block-time 2]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import coincurve
import psutil
import requests
import rlp
from eth_hash.auto import keccak
from web3 import Web3

from benchmarks.report import add_output_args, apply_output_args, machine_line, publish
from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode
from tests.utils.evm import COUNTER_RUNTIME, init_code
from tests.utils.ports import free_port

MIB = 1 << 20
BATCH = 250  # raw transactions per JSON-RPC batch
QUICK_LENGTHS = (100, 300)
DEFAULT_LENGTHS = (1_000, 10_000, 100_000)


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
            raise RuntimeError(f"{method}: {reply['error']}")
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
            raise RuntimeError(f"eth_sendRawTransaction refused: {failed[0]}")
        return [str(r["result"]) for r in replies]

    def _receipt(self, tx_hash: str) -> dict[str, Any]:
        while (receipt := self.rpc("eth_getTransactionReceipt", tx_hash)) is None:
            time.sleep(0.05)
        assert isinstance(receipt, dict)
        return receipt

    def fingerprint(self) -> tuple[str, int]:
        """The head's hash and the number of counter events from block 0."""
        head = self.rpc("eth_getBlockByNumber", "latest", False)
        logs = self.rpc("eth_getLogs", {"fromBlock": "0x0", "address": self.counter})
        return str(head["hash"]), len(logs)


def _rss_mib(node: HardhatNode) -> float:
    assert node.pid is not None
    return float(psutil.Process(node.pid).memory_info().rss) / MIB


def _timed_start(node: HardhatNode) -> float:
    started = time.perf_counter()
    node.start()
    return time.perf_counter() - started


def measure(lengths: tuple[int, ...], block_time_s: float) -> dict[str, Any]:
    """Grow one chain through ``lengths`` transactions, restarting the node at each."""
    state = Path(tempfile.mkdtemp(prefix="qc-longevity-"))
    settings = NodeSettings(
        state_dir=state, port=free_port(), block_time_s=block_time_s, start_timeout=7200
    )
    node = HardhatNode(settings)
    try:
        empty_start = _timed_start(node)
        empty = {"start_s": round(empty_start, 2), "rss_mib": round(_rss_mib(node), 1)}
        print(f"empty chain: start {empty['start_s']} s, RSS {empty['rss_mib']} MiB", flush=True)
        chain = Chain(node)
        chain.deploy()
        points = []
        for length in lengths:
            rate = chain.grow_to(length)
            before, rss_before = chain.fingerprint(), _rss_mib(node)
            head = int(chain.rpc("eth_blockNumber"), 16)
            node.stop()
            restart = _timed_start(node)
            if chain.fingerprint() != before or before[1] != length:
                raise RuntimeError(f"chain differs after restart at {length} transactions")
            point = {
                "txs": length,
                "blocks": head,
                "journal_mib": round(node.journal_file.stat().st_size / MIB, 2),
                "send_tx_per_s": round(rate),
                "restart_s": round(restart, 2),
                "rss_before_mib": round(rss_before, 1),
                "rss_after_mib": round(_rss_mib(node), 1),
            }
            print(point, flush=True)
            points.append(point)
        return {"block_time_s": block_time_s, "empty": empty, "points": points}
    finally:
        node.stop()
        shutil.rmtree(state, ignore_errors=True)


_COLUMNS = (
    "transactions", "blocks", "journal (MiB)", "restart (s)", "beyond an empty start (s)",
    "RSS before stop (MiB)", "RSS after restart (MiB)",
)  # fmt: skip
_TABLE_HEAD = "| " + " | ".join(_COLUMNS) + " |\n" + "|---:" * len(_COLUMNS) + "|"


def render(data: dict[str, Any]) -> str:
    """The BENCHMARKS.md section."""
    mode = f"{data['block_time_s']:g}-second blocks" if data["block_time_s"] else "instant mining"
    empty = data["empty"]
    rows = "\n".join(
        f"| {p['txs']:,} | {p['blocks']:,} | {p['journal_mib']} | {p['restart_s']} | "
        f"{p['restart_s'] - empty['start_s']:.2f} | {p['rss_before_mib']} | "
        f"{p['rss_after_mib']} |"
        for p in data["points"]
    )
    last = data["points"][-1]  # the longest chain gives the best estimate of the cliff
    cliff_txs = 512 / max(last["journal_mib"], 0.01) * last["txs"]
    return f"""## Longevity: restart time and memory against chain length

{machine_line()}

The local node (Hardhat network behind the write-ahead journal, {mode}) grown to each
length with counter calls (a storage write and a log each), then stopped and started again;
the restarted chain is checked: same head hash, and eth_getLogs from block 0 returns every
event.  Baseline, same run: start on an empty state directory in **{empty["start_s"]} s**,
RSS {empty["rss_mib"]} MiB.

{_TABLE_HEAD}
{rows}

Restart replays the whole journal, so it grows linearly with the chain.  The journal is read
streamed; the reader before it held the whole file in one string, which Node caps at 512 MiB:
at {cliff_txs:,.0f} transactions at this run's journal rate it could not have restarted at all.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_output_args(parser)
    parser.add_argument("--lengths", help="comma-separated chain lengths in transactions")
    parser.add_argument("--block-time", type=float, default=0.0, help="seconds (0: instant)")
    args = parser.parse_args()
    apply_output_args(args)
    lengths: tuple[int, ...] = DEFAULT_LENGTHS
    if args.lengths:
        lengths = tuple(int(x) for x in args.lengths.split(","))
    elif args.quick:
        lengths = QUICK_LENGTHS
    data = measure(lengths, args.block_time)
    text = render(data)
    print(text)
    if not args.no_write:
        publish("longevity", text, data, quick=args.quick)


if __name__ == "__main__":
    main()
