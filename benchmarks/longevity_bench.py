"""Longevity of the local node: restart time and memory against the chain's length.

One chain is grown in steps (10^3, 10^4, 10^5, 10^6 transactions by default; each a call of a
tiny counter contract that writes storage and emits a log, pre-signed and sent in JSON-RPC
batches, one block per transaction) on a node that takes snapshots at its default interval.
At each length:

- the whole history is read back (eth_getLogs from block 0, paged by block range, since the
  archive answers at most 100,000 logs a request) and timed: the "history read";
- the node is stopped gracefully and started again, timed until it answers JSON-RPC; the head
  hash and every log (count and digest) must be the same after;
- then the worst case for a start: the chain grows until the journal holds one entry short of
  a snapshot, the node is killed with SIGKILL and started, then stopped and started again, each
  start timed and the head hash checked;
- resident memory is read before each stop and after each start; the archive and the journal
  are measured on disk; the node's log gives each snapshot's time and what each start replayed.

The baseline is the same run's start on an empty state directory.  Growing is capped by a time
budget (``--budget``, 15 minutes by default): a length that the measured growth rate says cannot
be reached in what is left is replaced by the longest round length that can, and the run says
so.  The figures of the previous design (the journal replayed from genesis) are printed beside.

Run: ``python -m benchmarks.longevity_bench [--lengths 1000,10000] [--block-time 2]
[--snapshot-every N] [--budget SECONDS]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from benchmarks.longevity_chain import Chain
from benchmarks.longevity_report import PREVIOUS, NodeLog, estimates, render, round_down
from benchmarks.report import add_output_args, apply_output_args, publish
from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode
from tests.utils.ports import free_port

MIB = 1 << 20
PAGE_LOGS = 50_000  # logs per eth_getLogs page; the archive refuses more than 100,000
DEFAULT_LENGTHS = (1_000, 10_000, 100_000, 1_000_000)
DEFAULT_BUDGET_S = 900.0
#: The node's default snapshot interval (QC_NODE_SNAPSHOT_EVERY).
DEFAULT_SNAPSHOT_EVERY = 2000
QUICK_LENGTHS = (100, 300)
QUICK_SNAPSHOT_EVERY = 50  # quick mode takes snapshots and pages the logs all the same
QUICK_PAGE_LOGS = 64


def _rss_mib(node: HardhatNode) -> float:
    assert node.pid is not None
    return float(psutil.Process(node.pid).memory_info().rss) / MIB


def _timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _dir_mib(path: Path) -> float:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0
    return total / MIB


def _journal_entries(node: HardhatNode) -> int:
    with node.journal_file.open("rb") as f:
        return sum(1 for _ in f) - 1  # the first line is the header


def _settle(node: HardhatNode, log: NodeLog, timeout_s: float = 600.0) -> None:
    """Wait for the snapshot the last transactions made due (it runs after their answers).

    A snapshot rotates the journal, so while the journal holds ``snapshot_every`` entries one
    is queued or running (measuring then would time it, or kill it); it is over once logged.
    """
    every, deadline = node.settings.snapshot_every, time.monotonic() + timeout_s
    if not every or _journal_entries(node) < every:
        return
    log.poll()
    logged = len(log.snapshot_ms) + log.failed
    while len(log.snapshot_ms) + log.failed == logged:
        time.sleep(0.1)
        log.poll()
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{node.journal_file} still holds {_journal_entries(node):,} entries after "
                f"{timeout_s:.0f} s (snapshot every {every:,}): no snapshot ran; "
                f"see {node.log_file}"
            )
        time.sleep(0.1)


def _check(chain: Chain, length: int, expected: dict[str, Any], what: str) -> None:
    head = chain.head()
    if head["hash"] != expected["hash"]:
        raise RuntimeError(
            f"at {length:,} transactions the head after {what} is {head['hash']} "
            f"(block {int(head['number'], 16)}), before it {expected['hash']}"
        )


def measure_length(
    node: HardhatNode, chain: Chain, log: NodeLog, length: int, page_logs: int
) -> dict[str, Any]:
    """Grow to ``length`` and measure there, then again with a full journal; the figures."""
    grown_from = chain.sent
    grow_s = _timed(lambda: chain.grow_to(length))
    checks_started = time.perf_counter()
    _settle(node, log)
    head = chain.head()
    point: dict[str, Any] = {
        "txs": length,
        "blocks": int(head["number"], 16),
        "grow_s": round(grow_s, 1),
        "send_tx_per_s": round((length - grown_from) / grow_s) if grow_s else 0,
        "snapshots": log.snapshots(),
        "journal_entries": _journal_entries(node),
        "state_root": head["stateRoot"],
    }
    point.update(_restart_at_length(node, chain, log, head, page_logs))
    point["archive_mib"] = round(_dir_mib(node.archive_dir), 2)
    point["full"] = _restart_with_full_journal(node, chain, log)
    point["check_s"] = round(time.perf_counter() - checks_started, 1)
    return point


def _restart_at_length(
    node: HardhatNode, chain: Chain, log: NodeLog, head: dict[str, Any], page_logs: int
) -> dict[str, Any]:
    """Read the history, stop gracefully, start; the same head and every event after."""
    length = chain.sent
    started = time.perf_counter()
    count, digest, pages = chain.history(page_logs)
    read_s = time.perf_counter() - started
    if count != length:
        raise RuntimeError(f"eth_getLogs from block 0 returned {count:,} events, sent {length:,}")
    rss_before = _rss_mib(node)
    stop_s, start_s = _timed(node.stop), _timed(node.start)
    rss_after = _rss_mib(node)  # at once: reading the history again grows the heap
    _check(chain, length, head, "a graceful restart")
    replayed = log.start()
    if chain.history(page_logs)[:2] != (count, digest):
        raise RuntimeError(f"at {length:,} transactions the events differ after the restart")
    return {
        "history": {"logs": count, "pages": pages, "s": round(read_s, 2)},
        "stop_s": round(stop_s, 2),
        "start_s": round(start_s, 2),
        "restart_s": round(stop_s + start_s, 2),
        "replayed": replayed,
        "rss_before_mib": round(rss_before, 1),
        "rss_after_mib": round(rss_after, 1),
    }


def _restart_with_full_journal(node: HardhatNode, chain: Chain, log: NodeLog) -> dict[str, Any]:
    """The worst case: one entry short of a snapshot, kill -9 and start, then stop and start.

    A start replays the journal since the archive's head; that is longest just before the next
    snapshot, so the chain is grown until the journal holds ``snapshot_every - 1`` entries.
    """
    every = node.settings.snapshot_every
    if every:
        chain.grow_to(chain.sent + max(every - 1 - _journal_entries(node), 0))
        _settle(node, log)
    head, entries = chain.head(), _journal_entries(node)
    journal_mib = node.journal_file.stat().st_size / MIB
    rss_before = _rss_mib(node)
    node.kill()
    kill_start_s = _timed(node.start)
    _check(chain, chain.sent, head, "kill -9 and a start")
    kill_replayed = log.start()
    stop_s, start_s = _timed(node.stop), _timed(node.start)
    _check(chain, chain.sent, head, "a graceful restart")
    return {
        "txs": chain.sent,
        "entries": entries,
        "journal_mib": round(journal_mib, 3),
        "rss_before_mib": round(rss_before, 1),
        "kill_start_s": round(kill_start_s, 2),
        "kill_replayed": kill_replayed,
        "restart_s": round(stop_s + start_s, 2),
        "replayed": log.start(),
        "rss_after_mib": round(_rss_mib(node), 1),
    }


def _next_length(wanted: int, last: dict[str, Any] | None, left_s: float) -> int:
    """``wanted`` if the last growth rate reaches it in the time left, else the longest that fits.

    The checks after growing take the last point's time, plus its history read (twice) scaled
    to the new length: that read grows with the chain.
    """
    if last is None:
        return wanted
    rate, history_s = max(last["send_tx_per_s"], 1), last["history"]["s"]

    def cost(length: int) -> float:
        grow = (length - last["full"]["txs"]) / rate
        return float(grow + last["check_s"] + 2 * history_s * (length / last["txs"] - 1))

    if cost(wanted) <= left_s:
        return wanted
    per_tx = 1 / rate + 2 * history_s / last["txs"]
    return round_down(last["full"]["txs"] + int((left_s - last["check_s"]) / per_tx))


def measure(
    lengths: tuple[int, ...],
    block_time_s: float,
    *,
    snapshot_every: int,
    budget_s: float,
    page_logs: int = PAGE_LOGS,
) -> dict[str, Any]:
    """Grow one chain through ``lengths`` transactions, restarting the node at each."""
    started = time.monotonic()
    load = [round(x, 2) for x in os.getloadavg()]
    state = Path(tempfile.mkdtemp(prefix="qc-longevity-"))
    settings = NodeSettings(
        state_dir=state, port=free_port(), block_time_s=block_time_s,
        snapshot_every=snapshot_every, start_timeout=7200,
    )  # fmt: skip
    node = HardhatNode(settings)
    log = NodeLog(node.log_file)
    try:
        empty_start = _timed(node.start)
        empty = {"start_s": round(empty_start, 2), "rss_mib": round(_rss_mib(node), 1)}
        log.start()
        print(f"empty chain: start {empty['start_s']} s, RSS {empty['rss_mib']} MiB", flush=True)
        chain = Chain(node)
        chain.deploy()
        points: list[dict[str, Any]] = []
        not_reached: list[int] = []
        for wanted in lengths:
            left = budget_s - (time.monotonic() - started)
            length = _next_length(wanted, points[-1] if points else None, left)
            if length < wanted and length < 1.5 * chain.sent:  # not worth a point of its own
                not_reached.append(wanted)
                continue
            point = measure_length(node, chain, log, length, page_logs)
            point["budget_cut"] = length != wanted
            print(point, flush=True)
            points.append(point)
            if length != wanted:
                not_reached.append(wanted)
        stale = chain.old_state_refusal()
        return {
            "block_time_s": block_time_s,
            "snapshot_every": snapshot_every,
            "snapshot_default": snapshot_every == DEFAULT_SNAPSHOT_EVERY,
            "budget_s": budget_s,
            "page_logs": page_logs,
            "load": {"start": load, "end": [round(x, 2) for x in os.getloadavg()]},
            "wall_s": round(time.monotonic() - started),
            "empty": empty,
            "points": points,
            "not_reached": not_reached,
            "old_state_refusal": stale,
            "previous": PREVIOUS,
        }
    finally:
        node.stop()
        shutil.rmtree(state, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_output_args(parser)
    parser.add_argument("--lengths", help="comma-separated chain lengths in transactions")
    parser.add_argument("--block-time", type=float, default=0.0, help="seconds (0: instant)")
    parser.add_argument(
        "--snapshot-every", type=int, help="journal entries between snapshots (default: the node's)"
    )
    parser.add_argument(
        "--budget", type=float, default=DEFAULT_BUDGET_S, help="seconds the whole run may take"
    )
    args = parser.parse_args()
    apply_output_args(args)
    lengths: tuple[int, ...] = DEFAULT_LENGTHS
    every = DEFAULT_SNAPSHOT_EVERY
    page_logs = PAGE_LOGS
    if args.quick:
        lengths, every, page_logs = QUICK_LENGTHS, QUICK_SNAPSHOT_EVERY, QUICK_PAGE_LOGS
    if args.lengths:
        lengths = tuple(int(x) for x in args.lengths.split(","))
    if args.snapshot_every is not None:
        every = args.snapshot_every
    data = measure(
        lengths, args.block_time, snapshot_every=every, budget_s=args.budget, page_logs=page_logs
    )
    data["estimates"] = estimates(data)
    text = render(data)
    print(text)
    if not args.no_write:
        publish("longevity", text, data, quick=args.quick)


if __name__ == "__main__":
    main()
