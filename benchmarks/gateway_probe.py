"""What a running gateway says about itself while a benchmark loads it.

CPU seconds of a process (and of its main thread, the event loop that handles every query)
straight from ``/proc`` (user + system); the receipt writer's group commits from
``/metrics`` (``qc_gateway_commit_groups``, ``qc_gateway_commit_group_size``); and a
:class:`BacklogSampler` that polls ``/healthz`` in the background for the anchoring backlog,
the receipt log's size and its group commits, with load phases marked on the same clock.
"""

from __future__ import annotations

import os
import re
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

from benchmarks.rss import PeriodicSampler
from quancheng.errors import GatewayError
from quancheng_gateway.process import GatewayProcess

_TICK = os.sysconf("SC_CLK_TCK")
_METRIC = re.compile(r"^(qc_gateway_commit_\w*)(?:\{[^}]*\})?\s+([0-9.eE+-]+)$", re.M)


def proc_cpu_s(pid: int, tid: int | None = None) -> float:
    """User + system CPU seconds of process ``pid`` (or of its thread ``tid``), from /proc."""
    path = Path(f"/proc/{pid}/stat") if tid is None else Path(f"/proc/{pid}/task/{tid}/stat")
    try:
        raw = path.read_text()
    except OSError:
        return float("nan")
    fields = raw[raw.rindex(")") + 2 :].split()  # the name may hold spaces; fields 3.. follow
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of ``pid`` and every descendant still running (the node and its helpers)."""
    try:
        children = [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        children = []
    return sum(proc_cpu_s(p) for p in [pid, *children])


def commit_groups(proc: GatewayProcess) -> dict[str, float]:
    """The receipt writer's group commits so far, from the gateway's ``/metrics``: how many,
    the receipts in them, and the seconds they waited for the write turn and held it."""
    request = urllib.request.Request(proc.url + "/metrics", headers=proc.operator_headers())
    context = None if proc.tls is None else proc.tls.ssl_context()
    with urllib.request.urlopen(request, timeout=5, context=context) as resp:
        text = resp.read().decode()
    found = {name: float(value) for name, value in _METRIC.findall(text)}
    return {
        "groups": found.get("qc_gateway_commit_groups_total", 0.0),
        "grouped": found.get("qc_gateway_commit_group_size_sum", 0.0),
        "observed": found.get("qc_gateway_commit_group_size_count", 0.0),
        "held_s": found.get("qc_gateway_commit_hold_seconds_sum", 0.0),
        "waited_s": found.get("qc_gateway_commit_wait_seconds_sum", 0.0),
    }


class AnchoringHalted(GatewayError):
    """The gateway under load stopped anchoring, so its backlog would never drain."""

    code = "BENCH_ANCHORING_HALTED"

    def __init__(self, reason: object) -> None:
        super().__init__(
            f"the gateway stopped anchoring ({reason}); its receipt log must be the only one of "
            "its provider on this chain: give every gateway of a run the same database"
        )


class BacklogSampler(PeriodicSampler):
    """Poll ``/healthz`` every ``interval`` s while the ``with`` block runs.

    Each sample is ``(t, unanchored, log_size, commit_groups)``, ``t`` in seconds since the
    sampler started; ``phase(label)`` marks a stretch of load on the same clock.
    """

    sample_on_exit = False

    def __init__(self, proc: GatewayProcess, interval: float = 0.25) -> None:
        super().__init__(interval, "backlog-sampler")
        self.proc = proc
        self.samples: list[tuple[float, int, int, int]] = []
        #: ``(t, view_lag_s)``: how far behind the chain the gateway's view was.
        self.view_lags: list[tuple[float, float]] = []

    def sample(self) -> dict[str, Any] | None:
        """One /healthz now (recorded), or None when the gateway does not answer."""
        health = self.proc.health()
        if health is not None and "unanchored" in health:
            unanchored, size, groups = (
                int(health[k]) for k in ("unanchored", "log_size", "commit_groups")
            )
            self.samples.append((round(self.now(), 3), unanchored, size, groups))
            if isinstance(health.get("view_lag_s"), int | float):
                self.view_lags.append((round(self.now(), 3), float(health["view_lag_s"])))
        return health

    def between(self, start: float, end: float) -> list[tuple[float, int, int, int]]:
        return [s for s in self.samples if start <= s[0] <= end]

    def drain(self, timeout: float) -> float:
        """Wait until nothing is left to anchor; seconds it took (NaN if it never did).

        Raises:
            AnchoringHalted: The gateway says its anchoring halted.
        """
        began = self.now()
        while self.now() - began < timeout:
            health = self.sample()
            if health is not None and health.get("unanchored") == 0:
                return self.now() - began
            if health is not None and health.get("anchor_error") and not health["anchoring_ok"]:
                raise AnchoringHalted(health["anchor_error"])
            time.sleep(0.05)
        return float("nan")
