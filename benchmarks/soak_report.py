"""Judging and reporting a soak run (``benchmarks.soak``): checks, memory trend, timeline,
plot and the BENCHMARKS.md section.

Everything here works on what the run measured (:class:`Soak`); nothing talks to the node,
the gateway or locust.
"""

from __future__ import annotations

import csv
import json
import math
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.report import benchmarks_md, machine_line
from quancheng_audit import AuditReport, ReceiptLog

REPRODUCE = ".venv/bin/python -m benchmarks.soak --duration 600"
#: Seconds at the start of a locust run not counted in its rate (users spawning, connecting).
RAMP_S = 5.0


@dataclass
class Check:
    name: str
    passed: bool | None  # None: not judged (e.g. memory trend of a run too short to tell)
    detail: str


@dataclass(frozen=True)
class Sample:
    """The gateway process at one moment of the load."""

    t: float  # wall-clock seconds
    rss_mib: float
    unanchored: int  # receipts not anchored yet (-1: /healthz did not answer)
    gateway_cores: float  # CPU the gateway used since the previous sample, in cores
    busy_cores: float  # CPU the whole machine used since the previous sample, in cores


@dataclass
class Phase:
    """One locust run: its outcome lines and csv prefix."""

    name: str
    users: int
    seconds: int
    started: float
    exit_code: int
    answers: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    csv_prefix: Path

    def rate(self, skip_s: float) -> float:
        """Answers/s after ``skip_s`` of ramp-up, up to the last answer."""
        times = sorted(a["t"] for a in self.answers if a["t"] >= self.started + skip_s)
        return len(times) / max(times[-1] - times[0], 1e-9) if len(times) > 1 else 0.0


@dataclass
class Soak:
    """Everything a run measured; checks are judged from it."""

    duration: int
    fraction: float
    capacity: Phase
    load: Phase
    target: float
    samples: list[Sample] = field(default_factory=list)
    settle_s: float = 0.0
    log: ReceiptLog | None = None
    db_request_ids: dict[str, int] = field(default_factory=dict)
    onchain: dict[int, tuple[str, int, int]] = field(default_factory=dict)
    report: AuditReport | None = None
    cores: dict[str, float] = field(default_factory=dict)  # mean cores used during the load
    verified: bool = True  # answers verified by the SDK (else only parsed)
    work: Path = Path()  # the run's node state, gateway database, locust output


# ---------------------------------------------------------------------------- the checks


def checks(soak: Soak) -> list[Check]:
    """Every check of the run, in the order the report lists them."""
    assert soak.log is not None and soak.report is not None
    phases = (soak.capacity, soak.load)
    answers = [a for p in phases for a in p.answers]
    failures = [f for p in phases for f in p.failures]
    l_requests, l_failures, l_exceptions = _locust_totals(phases)
    # Each entry: the receipt's fields and its position (receipt/4 keeps it beside them).
    entries = [{**e["receipt"], "log_index": e["log_index"]} for e in soak.log.entries]
    by_hash: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_hash.setdefault(e["request_hash"], []).append(e)
    unmatched = [
        a
        for a in answers
        if len(by_hash.get(a["h"], [])) != 1
        or by_hash[a["h"]][0]["receipt_id"] != a["id"]
        or by_hash[a["h"]][0]["log_index"] != a["i"]
        or soak.db_request_ids.get(a["r"]) != 1
    ]
    answered_hashes = {a["h"] for a in answers}
    orphans = [e for e in entries if e["request_hash"] not in answered_hashes]
    gaps = [i for i, e in enumerate(entries) if e["log_index"] != i]
    return [
        Check(
            "zero failed requests",
            not failures
            and (l_failures, l_exceptions) == (0, 0)
            and l_requests == len(answers)
            and all(p.exit_code == 0 for p in phases)
            and not any((soak.log.refusals or {}).values())
            and soak.log.answered == len(answers),
            f"{len(failures)} failures recorded; locust counted {l_requests} requests, "
            f"{l_failures} failures, {l_exceptions} exceptions, exit codes "
            f"{[p.exit_code for p in phases]}; the gateway's metrics: {soak.log.answered} "
            f"answered, refusals {soak.log.refusals or {}}"
            + (f"; first failure: {failures[0]['fail']}" if failures else ""),
        ),
        _held(soak),
        Check(
            "every answered request has exactly one receipt",
            bool(answers) and not unmatched,
            f"{len(answers)} answers{' (verified by the SDK)' if soak.verified else ''}; "
            f"{len(unmatched)} without exactly one "
            "receipt of the same hash, id and log index in the log and its request id once in "
            "the gateway's database",
        ),
        Check(
            "no receipt without an answer",
            not orphans
            and len(entries) == len(answers) == sum(soak.db_request_ids.values()) == soak.log.total,
            f"{len(entries)} receipts in the log ({soak.log.total} reported, "
            f"{sum(soak.db_request_ids.values())} rows in the gateway's database), "
            f"{len(orphans)} not matching an answer",
        ),
        _anchoring(soak, len(entries), gaps),
        Check(
            "audit clean over the same receipts",
            soak.report.passed
            and not soak.report.findings
            and soak.report.counts.get("receipts") == len(answers),
            f"{len(soak.report.findings)} findings, {soak.report.counts.get('receipts')} "
            f"receipts audited, {len(soak.report.pending)} pending"
            + (f"; first: {soak.report.findings[0].line()}" if soak.report.findings else ""),
        ),
        _memory(soak),
    ]


def _held(soak: Soak) -> Check:
    """The load really was the target: a saturated system falls behind its users' pace."""
    achieved = soak.load.rate(skip_s=RAMP_S)
    return Check(
        "target rate held",
        achieved >= 0.9 * soak.target,
        f"{achieved:.0f}/s answered after the first {RAMP_S:.0f} s, target {soak.target:.0f}/s "
        "(limit: 90 %)",
    )


def _anchoring(soak: Soak, total: int, gaps: list[int]) -> Check:
    assert soak.log is not None
    covered, problems = 0, []
    for seq, b in enumerate(soak.log.batches):
        if b["seq"] != seq or b["first_index"] != covered:
            problems.append(f"batch {seq} starts at {b['first_index']}, expected {covered}")
        if b["status"] != "done":
            problems.append(f"batch {seq} is {b['status']}")
        if soak.onchain.get(seq) != (b["root"], b["first_index"], b["size"]):
            problems.append(f"batch {seq} is not anchored on chain as logged")
        covered = b["first_index"] + b["size"]
    if covered != total or soak.log.total != total:
        problems.append(f"batches cover {covered} of {total} receipts")
    if len(soak.onchain) != len(soak.log.batches):
        problems.append(f"{len(soak.onchain)} anchors on chain, {len(soak.log.batches)} logged")
    return Check(
        "log gap-free, every receipt in a batch anchored on chain",
        not gaps and not problems,
        f"{total} receipts at positions 0..{total - 1} ({len(gaps)} out of place), "
        f"{len(soak.log.batches)} batches, all on chain; anchored "
        f"{soak.settle_s:.1f} s after the load" + (f"; {problems[0]}" if problems else ""),
    )


def _locust_totals(phases: tuple[Phase, ...]) -> tuple[int, int, int]:
    """Requests and failures locust counted (its final ``--json-file``), and task exceptions."""
    requests = failures = exceptions = 0
    for p in phases:
        path = Path(f"{p.csv_prefix}.json")
        entries = json.loads(path.read_text()) if path.exists() else []
        requests += sum(int(e["num_requests"]) for e in entries)
        failures += sum(int(e["num_failures"]) for e in entries)
        exceptions += sum(int(r["Count"]) for r in _csv(Path(f"{p.csv_prefix}_exceptions.csv")))
    return requests, failures, exceptions


def _csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def memory(soak: Soak) -> dict[str, float]:
    """First- and last-window RSS medians (MiB), and the least-squares slope (MiB/min) of the
    samples after the first window (the steady state: caches fill during the first)."""
    t0 = soak.load.started
    pts = [(x.t - t0, x.rss_mib) for x in soak.samples]
    window = min(60.0, soak.duration / 4)
    first = [r for t, r in pts if t < window]
    last = [r for t, r in pts if t >= soak.duration - window]
    steady = [(t / 60, r) for t, r in pts if t >= window]
    slope = (
        statistics.linear_regression([t for t, _ in steady], [r for _, r in steady]).slope
        if len(steady) > 2
        else math.nan
    )
    return {
        "window_s": window,
        "first": statistics.median(first) if first else float("nan"),
        "last": statistics.median(last) if last else float("nan"),
        "slope": slope,
        "max": max((r for _, r in pts), default=math.nan),
    }


def _memory(soak: Soak) -> Check:
    m = memory(soak)
    growth = m["last"] - m["first"]
    detail = (
        f"RSS median {m['first']:.1f} MiB in the first {m['window_s']:.0f} s, {m['last']:.1f} "
        f"MiB in the last; slope after the first window {m['slope']:+.2f} MiB/min"
    )
    if soak.duration < 300:
        return Check("memory flat", None, detail + " (not judged: run shorter than 5 min)")
    flat = growth <= max(8.0, 0.05 * m["first"]) and m["slope"] <= 1.0
    return Check(
        "memory flat", flat, detail + " (limits: growth ≤ max(8 MiB, 5 %), slope ≤ 1 MiB/min)"
    )


# --------------------------------------------------------------------------- the report


def timeline(soak: Soak) -> list[dict[str, float]]:
    """Per window of the load phase: answered/s and latency percentiles (client-measured)."""
    t0, dur = soak.load.started, soak.duration
    width = 60.0 if dur >= 300 else max(5.0, dur / 4)
    rows = []
    for k in range(math.ceil(dur / width)):
        lo, hi = t0 + k * width, t0 + min((k + 1) * width, dur)
        lat = sorted(a["ms"] for a in soak.load.answers if lo <= a["t"] < hi)
        window = [x for x in soak.samples if lo <= x.t < hi]
        rss = [x.rss_mib for x in window]
        if not lat or not window:
            continue
        cores = statistics.fmean(x.gateway_cores for x in window)
        rows.append(
            {
                "from": lo - t0,
                "to": hi - t0,
                "rate": len(lat) / (hi - lo),
                "p50": _pct(lat, 0.50),
                "p95": _pct(lat, 0.95),
                "p99": _pct(lat, 0.99),
                "max": lat[-1],
                "rss": statistics.median(rss),
                "gw_cores": cores,
                "cpu_ms": cores * 1000 * (hi - lo) / len(lat),
                "busy": statistics.fmean(x.busy_cores for x in window),
            }
        )
    return rows


def _pct(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(p * len(sorted_ms)))]


def plot(data: dict[str, Any], path: Path) -> None:
    """Draw from :func:`summary`'s JSON alone (so it can be redrawn without measuring): over
    the load, answered/s and p95 (locust's stats history); gateway RSS and unanchored
    backlog; CPU of the gateway and of the whole machine."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scale, unit = (60.0, "minutes") if data["duration_s"] >= 180 else (1.0, "seconds")
    fig, (top, middle, bottom) = plt.subplots(3, 1, sharex=True, figsize=(9, 8), dpi=100)
    _plot_rate(data, top, scale)
    samples = data["samples"]
    t = [x["t"] / scale for x in samples]
    rss = [x["rss_mib"] for x in samples]
    middle.plot(t, rss, color="tab:green", label="gateway RSS")
    middle.set_ylabel("RSS MiB")
    middle.set_ylim(0, max(rss, default=1.0) * 1.3)
    middle.legend(loc="lower left")
    backlog = middle.twinx()
    backlog.plot(t, [max(x["unanchored"], 0) for x in samples], color="tab:gray", lw=1)
    backlog.set_ylabel("unanchored receipts (grey)")
    backlog.set_ylim(bottom=0)
    bottom.plot(t, [x["gateway_cores"] for x in samples], color="tab:purple", label="gateway")
    bottom.plot(t, [x["busy_cores"] for x in samples], color="tab:gray", lw=1, label="machine")
    bottom.set_ylabel("CPU, cores")
    bottom.set_ylim(0, data["cpus"] * 1.05)
    bottom.legend(loc="lower left")
    bottom.set_xlabel(f"{unit} into the load")
    fig.suptitle(f"Soak: {data['target_per_s']:.0f} queries/s for {data['duration_s']} s")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def _plot_rate(data: dict[str, Any], ax: Any, scale: float) -> None:
    history = data["history"]
    t = [h["t"] / scale for h in history]
    ax.plot(t, [h["rps"] for h in history], color="tab:blue", label="answered/s")
    ax.axhline(data["target_per_s"], color="tab:blue", ls=":", lw=1, label="target rate")
    ax.set_ylabel("answered / s")
    ax.set_ylim(0, data["target_per_s"] * 1.3)
    ax.legend(loc="lower left")
    p95 = ax.twinx()
    p95.plot(t, [h["p95_ms"] for h in history], color="tab:red", lw=1)
    p95.set_ylabel("p95 ms, 10 s window (red)")
    p95.set_ylim(bottom=0)


def _history(soak: Soak) -> list[dict[str, float]]:
    """locust's stats history of the load (one row a second): rate and p95 over 10 s."""
    return [
        {
            "t": round(float(r["Timestamp"]) - soak.load.started, 2),
            "rps": float(r["Requests/s"]),
            "p95_ms": float(r["95%"]),
        }
        for r in _csv(Path(f"{soak.load.csv_prefix}_stats_history.csv"))
        if r["Name"] == "Aggregated" and r["95%"] not in ("N/A", "")
    ]


def report(soak: Soak, results: list[Check], plot_path: Path) -> str:
    """The ``soak`` section of BENCHMARKS.md."""
    base = benchmarks_md().parent
    rel = plot_path.relative_to(base) if plot_path.is_relative_to(base) else plot_path
    lines = [*_intro(soak), *_over_time(soak), "", "| check | result | detail |", "|---|---|---|"]
    for c in results:
        verdict = "n/a" if c.passed is None else ("pass" if c.passed else "**FAIL**")
        lines.append(f"| {c.name} | {verdict} | {c.detail} |")
    lines += ["", f"![answered/s, p95 latency, gateway RSS and CPU over the soak]({rel})", ""]
    return "\n".join(lines)


def _intro(soak: Soak) -> list[str]:
    cap, load = soak.capacity, soak.load
    answers = "verified by its `verify_answer_body`" if soak.verified else "only parsed"
    return [
        "## Soak (sustained load, then every receipt accounted for)",
        "",
        f"Machine: {machine_line()}. Reproduce: `{REPRODUCE}`.",
        "",
        "One gateway process (uvicorn, SQLite WAL `synchronous=FULL`) on its own node; load from",
        "locust (`benchmarks/locustfile.py`, headless, one process), every query built and",
        f"SM2-signed afresh by the SDK's `ConsumerCore.prepare_query`, every answer {answers}.",
        "The node, the gateway and locust share the machine's cores. Afterwards each answer's",
        "request id is looked up in the gateway's receipts table, its request hash, receipt id",
        "and log index in the public log (`/v1/receipts`), the log's batches against the chain's",
        "anchors, and `quancheng_audit` re-verifies the chain's events and that log offline.",
        "",
        "Capacity, same run and same client: "
        f"{cap.rate(min(RAMP_S, cap.seconds / 4)):.0f} answered/s "
        f"({cap.users} closed-loop users, {cap.seconds} s). Held: {soak.fraction:.0%} of it, "
        f"{soak.target:.0f}/s ({load.users} users under `constant_throughput`) for "
        f"{soak.duration} s: {len(load.answers):,} answered, {load.rate(RAMP_S):.0f}/s after "
        f"the first {RAMP_S:.0f} s. Mean cores used during the load: "
        + ", ".join(f"{k} {v:.2f}" for k, v in soak.cores.items())
        + ".",
    ]


def _over_time(soak: Soak) -> list[str]:
    lines = [
        "",
        "| window s | answered/s | p50 ms | p95 ms | p99 ms | max ms | gateway RSS MiB "
        "| gateway cores | gateway CPU ms/query | machine busy cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in timeline(soak):
        lines.append(
            f"| {r['from']:.0f}–{r['to']:.0f} | {r['rate']:.0f} | {r['p50']:.1f} | "
            f"{r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.0f} | {r['rss']:.0f} | "
            f"{r['gw_cores']:.2f} | {r['cpu_ms']:.2f} | {r['busy']:.2f} |"
        )
    m = memory(soak)
    backlog = max((x.unanchored for x in soak.samples), default=0)
    return [
        *lines,
        "",
        f"Latency is measured by the client per query. Memory: {m['first']:.1f} MiB median in "
        f"the first {m['window_s']:.0f} s, {m['last']:.1f} MiB in the last, least-squares "
        f"slope after the first window {m['slope']:+.2f} MiB/min, peak {m['max']:.1f} MiB. "
        f"Largest unanchored backlog sampled: {backlog} receipts.",
    ]


def summary(soak: Soak, results: list[Check], plot_path: Path) -> dict[str, Any]:
    """The run's figures and verdicts as JSON (not the per-query lines); :func:`plot` draws
    from it."""
    return {
        "duration_s": soak.duration,
        "fraction": soak.fraction,
        "capacity_per_s": soak.capacity.rate(min(RAMP_S, soak.capacity.seconds / 4)),
        "target_per_s": soak.target,
        "achieved_per_s": soak.load.rate(RAMP_S),
        "users": {"capacity": soak.capacity.users, "load": soak.load.users},
        "answered": len(soak.capacity.answers) + len(soak.load.answers),
        "cores": soak.cores,
        "memory_mib": memory(soak),
        "timeline": timeline(soak),
        "cpus": os.cpu_count() or 1,
        "history": _history(soak),
        "samples": [
            {k: round(v, 3) for k, v in x.__dict__.items()}
            | {"t": round(x.t - soak.load.started, 2)}
            for x in soak.samples
        ],
        "checks": {c.name: {"passed": c.passed, "detail": c.detail} for c in results},
        "plot": str(plot_path),
    }
