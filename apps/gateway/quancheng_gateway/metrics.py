"""Prometheus metrics of one gateway (its own registry, so tests can run several).

With several worker processes (``QC_GW_WORKERS``) a scrape reaches one of them, so the
workers keep their values in prometheus_client's multiprocess files (the directory in
``PROMETHEUS_MULTIPROC_DIR``, set by ``python -m quancheng_gateway`` before the workers start)
and every scrape adds them up: counters and histograms are the gateway's totals (a worker that
died still counts), gauges the value the worker answering the scrape has just refreshed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from quancheng_gateway.shared_dir import MULTIPROC_ENV, shared_dir

if TYPE_CHECKING:
    from quancheng_gateway.receipt_log import GroupCommit

__all__ = ["MULTIPROC_ENV", "GatewayMetrics", "shared_dir"]

#: Gauges read the newest value among live workers (each scrape refreshes the answering one's).
_GAUGE_MODE: Final = "livemostrecent"
_LIVE_FILE = re.compile(r"^gauge_live\w+_(\d+)\.db$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _forget_dead_workers(path: Path) -> None:
    """Drop the live gauges of workers that are gone (their counters stay in the totals)."""
    for file in path.glob("gauge_live*.db"):
        match = _LIVE_FILE.match(file.name)
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), str(path))  # type: ignore[no-untyped-call]


_GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
_TURN_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5)
_LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


class GatewayMetrics:
    """Queries by outcome, latency, receipts, backlog, batches and view freshness."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.queries = Counter(
            "qc_gateway_queries",
            "Queries by outcome code (OK or a refusal)",
            ["outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "qc_gateway_query_seconds",
            "Query latency",
            ["outcome_class"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.receipts = Counter("qc_gateway_receipts", "Receipts committed", registry=r)
        self.commit_groups = Counter("qc_gateway_commit_groups", "Group commits", registry=r)
        self.group_size = Histogram(
            "qc_gateway_commit_group_size",
            "Receipts per group commit (sum / count: the average group)",
            buckets=_GROUP_BUCKETS,
            registry=r,
        )
        self.commit_wait = Histogram(
            "qc_gateway_commit_wait_seconds",
            "Time a receipt group waited for the database's write turn (another worker "
            "process's group, the chain view's or the anchorer's write)",
            buckets=_TURN_BUCKETS,
            registry=r,
        )
        self.commit_hold = Histogram(
            "qc_gateway_commit_hold_seconds",
            "Time a receipt group held the write turn, commit included (sum over elapsed "
            "time: how busy the write lock is; near 1, commits queue)",
            buckets=_TURN_BUCKETS,
            registry=r,
        )
        self.resigned = Counter(
            "qc_gateway_receipts_resigned",
            "Receipts signed again when placed in the log, having waited over 500 ms for "
            "their position since they were signed (a write lock queue or a stalled writer)",
            registry=r,
        )
        self.lingered = Counter(
            "qc_gateway_commit_groups_lingered",
            "Group commits the receipt writer held open for receipts arriving close behind "
            "(QC_GW_COMMIT_LINGER_MS), rather than committing one receipt at a time",
            registry=r,
        )
        self.backlog = Gauge(
            "qc_gateway_unanchored_receipts",
            "Receipts not anchored yet",
            registry=r,
            multiprocess_mode=_GAUGE_MODE,
        )
        self.batches = Counter("qc_gateway_batches_anchored", "Batches anchored", registry=r)
        self.anchored = Counter("qc_gateway_receipts_anchored", "Receipts anchored", registry=r)
        self.view_lag = Gauge(
            "qc_gateway_view_lag_seconds",
            "Seconds since the view confirmed the chain head",
            registry=r,
            multiprocess_mode=_GAUGE_MODE,
        )
        self.view_block = Gauge(
            "qc_gateway_view_block",
            "Last block in the view",
            registry=r,
            multiprocess_mode=_GAUGE_MODE,
        )
        self.chain_head = Gauge(
            "qc_gateway_chain_head", "Chain head seen", registry=r, multiprocess_mode=_GAUGE_MODE
        )

    def group_committed(self, group: GroupCommit) -> None:
        """The receipt writer committed one group (its thread)."""
        self.commit_groups.inc()
        self.group_size.observe(group.size)
        self.commit_wait.observe(group.waited_s)
        self.commit_hold.observe(group.held_s)
        if group.resigned:
            self.resigned.inc(group.resigned)
        if group.lingered:
            self.lingered.inc()

    def observe(self, outcome: str, seconds: float) -> None:
        self.queries.labels(outcome=outcome).inc()
        self.latency.labels(outcome_class="ok" if outcome == "OK" else "refused").observe(seconds)

    def exposition(self) -> bytes:
        """The text a scrape gets: this process's registry, or every worker's added up."""
        path = shared_dir()
        if path is None:
            return generate_latest(self.registry)
        _forget_dead_workers(path)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(path))  # type: ignore[no-untyped-call]
        return generate_latest(registry)
