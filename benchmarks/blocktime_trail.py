"""The gateway's trail under a block period: a burst to anchor, then the auditor over it.

Helpers of :mod:`benchmarks.blocktime_latency`, which runs them on its stack (a local node at
the block time, the test department's gateway in process behind a ``TestClient``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from benchmarks.rss import PeriodicSampler
from benchmarks.workload import FIELDS, VR
from quancheng.errors import QuanchengError
from quancheng.http_bounds import AllowedEndpoints
from quancheng_audit import AuditConfig, audit, collect
from quancheng_gateway.service import Gateway
from tests.utils.readers import reader_of
from tests.utils.scenario import Scenario, active_grant, signed_request

__all__ = [
    "FIELDS",
    "MAX_USES",
    "POLL_S",
    "VR",
    "BenchStalled",
    "anchoring_burst",
    "audit_trail",
    "status",
    "wait",
]

POLL_S = 0.05
#: Every poll before the change is an answered (or refused) query: room for all of them.
MAX_USES = 100_000
#: The in-process gateway answers at the test client's address, not the catalogue's.
HERE = "http://testserver"
#: How long anything here may take before the run is called stuck.
PATIENCE_S = 120.0


class BenchStalled(QuanchengError):
    """Something the benchmark waits for (a changed answer, an anchored backlog) never came."""

    code = "BENCH_BLOCKTIME_STALLED"

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"{what} did not happen within {PATIENCE_S:g} s: check that the node still seals "
            "blocks (its node.log) and that the gateway anchors (/healthz anchor_error), then "
            "run again on a quieter machine"
        )


def wait(predicate: Callable[[], bool], what: str) -> None:
    """Poll ``predicate`` every 50 ms; a run stuck for 2 minutes is an error, not a figure."""
    deadline = time.monotonic() + PATIENCE_S
    while not predicate():
        if time.monotonic() > deadline:
            raise BenchStalled(what)
        time.sleep(POLL_S)


def _gateway(client: TestClient) -> Gateway:
    gateway: Gateway = client.app.state.gateway  # type: ignore[attr-defined]
    return gateway


def status(client: TestClient, sc: Scenario, doc: Any) -> int:
    """The HTTP status of one fresh verified query under ``doc`` (200 answered, 403 refused)."""
    signed = signed_request(sc.consumer, doc, VR, FIELDS)
    return int(client.post("/v1/query", content=signed.model_dump_json()).status_code)


class _Backlog(PeriodicSampler):
    """The in-process gateway's un-anchored receipts, every ``interval`` s."""

    sample_on_exit = True

    def __init__(self, gateway: Gateway, interval: float = 0.02) -> None:
        super().__init__(interval, "blocktime-backlog")
        self.gateway = gateway
        self.peak = 0

    def sample(self) -> int:
        backlog = self.gateway.anchorer.backlog()
        self.peak = max(self.peak, backlog)
        return backlog


def anchoring_burst(sc: Scenario, client: TestClient, n: int) -> dict[str, Any]:
    """``n`` pre-signed verified queries one after another, then until all are anchored."""
    gateway = _gateway(client)
    doc = active_grant(sc, sc.subjects[-1], {VR: FIELDS}, max_uses=MAX_USES)
    wait(lambda: status(client, sc, doc) == 200, "the burst's grant reaching the view")
    wait(lambda: gateway.anchorer.backlog() == 0, "the earlier receipts being anchored")
    bodies = [signed_request(sc.consumer, doc, VR, FIELDS).model_dump_json() for _ in range(n)]
    first_block = int(sc.net.w3.eth.block_number) + 1
    before = gateway.health()
    with _Backlog(gateway) as backlog:
        began = time.perf_counter()
        refused = sum(client.post("/v1/query", content=b).status_code != 200 for b in bodies)
        answered = time.perf_counter()
        wait(lambda: gateway.anchorer.backlog() == 0, "the burst's backlog draining")
        drained = time.perf_counter()
    after = gateway.health()
    anchors = sc.net.contracts.receipts.events.BatchAnchored().get_logs(from_block=first_block)
    return {
        "queries": n,
        "refused": refused,
        "answers_per_s": n / (answered - began),
        "receipts": after["anchored_upto"] - before["anchored_upto"],
        "rate": (after["anchored_upto"] - before["anchored_upto"]) / (drained - began),
        "backlog_peak": backlog.peak,
        "drain_s": drained - answered,
        "anchor_txs": after["batches_anchored"] - before["batches_anchored"],
        "anchor_blocks": len({int(log["blockNumber"]) for log in anchors}),
    }


def audit_trail(sc: Scenario, client: TestClient) -> dict[str, Any]:
    """Collect the chain and the gateway's log as an auditor does; audit with the defaults."""
    chain, logs = collect(
        sc.net.contracts,
        gateways=[HERE],
        http=client,
        reader=reader_of(sc.auditor),
        endpoints=AllowedEndpoints.of([HERE]),
    )
    config = AuditConfig(workers=1)  # the default bounds; one process beside the others
    report = audit(chain, logs, config)
    (source,) = report.sources
    return {
        "passed": report.passed,
        "failures": report.failures,
        "warnings": report.warnings,
        "finding_codes": sorted({f.code for f in report.findings}),
        "receipts": source.entries,
        "view_lag_max_s": source.view_lag_max_s,
        "view_lag_p99_s": source.view_lag_p99_s,
        "receipts_behind_view": source.receipts_behind_view,
        "receipts_near_status_change": report.stats.get("receipts_near_status_change", 0),
        "view_lag_bound_s": config.view_lag_bound_s,
        "clock_tolerance_s": config.clock_tolerance_s,
    }
