"""The ``gateway_openloop`` section of BENCHMARKS.md, from the open-loop benchmark's figures.

Pure formatting: every number comes from the run's raw data (``results/gateway_openloop.json``),
so the section can be regenerated from that file alone.
"""

from __future__ import annotations

import math
from typing import Any

from benchmarks.report import machine_line

REPRODUCE = ".venv/bin/python -m benchmarks.gateway_openloop"
#: Cores the CPU-per-query prediction is stated for (the first is this machine, as a check).
PREDICT_CORES = (2, 4, 8)


def variant_name(v: dict[str, Any]) -> str:
    workers = v.get("workers", 1)
    name = f"{v['transport']}, {'sealed' if v['sealed'] else 'clear'}"
    name = name if workers == 1 else f"{name}, {workers} processes"
    return f"{name}, anchoring process" if v.get("anchor_process") else name


def bound_of(v: dict[str, Any]) -> float:
    """The SM2 bound of the variant's processes: one core's per worker process."""
    workers: int = v.get("workers", 1)
    return float(v["sm2"]["bound"]) * workers


def basis(v: dict[str, Any]) -> dict[str, Any]:
    """The row a variant's summary stands on: its highest sustained rate (else its highest)."""
    held = [r for r in v["rows"] if r["sustained"]]
    return max(held or v["rows"], key=lambda r: r["rate"])


def predict(row: dict[str, Any], cores: int, *, with_loadgen: bool = False) -> float:
    """Queries/s on ``cores`` cores if every core spent this row's CPU per query on queries."""
    per = row["gw_cpu_ms"] + row["node_cpu_ms"] + (row["loadgen_cpu_ms"] if with_loadgen else 0)
    return cores * 1000 / per if per > 0 else math.nan


def _rate_rows(v: dict[str, Any]) -> list[str]:
    bound = bound_of(v)
    return [
        f"| {variant_name(v)} | {r['rate']:,.0f}{' (search)' if r.get('search') else ''} "
        f"| {r['qps']:,.0f} | {r['on_time']:.1%} | {_refused(r)} "
        f"| {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.0f} "
        f"| {'yes' if r['sustained'] else 'no'} | {r['qps'] / bound:.2f} "
        f"| {r['gw_cpu_ms']:.2f} ({r['loop_cpu_ms']:.2f}) | {r['node_cpu_ms']:.2f} "
        f"| {r['group_size']:.1f} | {_lock(r)} | {r['backlog_peak']} | {r['drain_s']:.1f} "
        f"| {r.get('view_lag_max_s', math.nan):.2f} |"
        for r in sorted(v["rows"], key=lambda r: r["rate"])
    ]


def _lock(row: dict[str, Any]) -> str:
    """How busy the write lock was, and a group's mean wait for it (rows before they were
    measured have neither)."""
    if "lock_busy" not in row:
        return "–"
    return f"{row['lock_busy']:.0%} ({row['turn_wait_ms']:.1f})"


def _refused(row: dict[str, Any]) -> str:
    """How many were refused, and by which error codes."""
    codes = row.get("refusal_codes") or {}
    named = ", ".join(f"{n} {c}" for c, n in sorted(codes.items(), key=lambda kv: -kv[1]))
    return f"{row['refused']} ({named})" if named else str(row["refused"])


def _summary_row(v: dict[str, Any]) -> str:
    sm2, b = v["sm2"], basis(v)
    held = "" if b["sustained"] else " (none sustained: highest tried)"
    preds = " | ".join(f"{predict(b, n, with_loadgen=n == 2):,.0f}" for n in PREDICT_CORES)
    return (
        f"| {variant_name(v)} | {sm2['sign']:,.0f} / {sm2['verify']:,.0f} | {sm2['bound']:,.0f} "
        f"| {b['rate']:,.0f}{held} | {b['qps'] / bound_of(v):.2f} | {b['gw_cores']:.2f} "
        f"| {b['gw_cpu_ms']:.2f} ({b['loop_cpu_ms']:.2f}) | {b['node_cpu_ms']:.2f} "
        f"| {b['loadgen_cpu_ms']:.2f} | {preds} |"
    )


def backlog_timeline(v: dict[str, Any], phase: str, step: float = 0.5) -> str:
    """The anchoring backlog from the start of ``phase`` until drained, every ``step`` s."""
    found = [p for p in v["backlog"]["phases"] if p[0] == phase]
    if not found:
        return "(not run)"
    _label, began, ended = found[0]
    points, next_t = [], began
    for t, unanchored, _size, _groups in v["backlog"]["samples"]:
        if t >= next_t:
            points.append(f"{t - began:.1f} s{'*' if t <= ended else ''}: {unanchored}")
            next_t = t + step
            if t > ended and unanchored == 0:
                break
    return ", ".join(points)


def report(data: dict[str, Any]) -> str:
    """The ``gateway_openloop`` section of BENCHMARKS.md."""
    variants = data["variants"]
    top = max(r["rate"] for v in variants for r in v["rows"] if not r.get("search"))
    lines = [
        "## Gateway, open loop (fixed arrival rates)",
        "",
        f"Machine: {machine_line()}. Reproduce: `{REPRODUCE}` (a quiet machine: nothing else "
        "may share its cores).",
        "",
        *_method(data),
        "",
        "| variant | rate q/s | answered/s | on schedule | refused | p50 ms | p95 ms | p99 ms "
        "| max ms | sustained | ÷ SM2 bound | gateway CPU ms/q (loop thread) | node CPU ms/q "
        "| commit group | write lock busy (wait ms) | backlog peak | drained after s "
        "| view lag max s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(line for v in variants for line in _rate_rows(v)),
        "",
        "Highest sustained rate of each variant, beside the `openssl speed sm2` measured just "
        "before it, and what its CPU per query predicts:",
        "",
        "| variant | openssl sign/s / verify/s | SM2 bound q/s (1 core) | highest sustained q/s "
        "| ÷ bound | gateway cores busy | gateway CPU ms/q (loop thread) | node CPU ms/q "
        "| load generator CPU ms/q | predicted 2 cores (check) | 4 cores | 8 cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(_summary_row(v) for v in variants),
        "",
        *_notes(data),
        "",
        f"Anchoring backlog from the start of the {top:,.0f}/s load until drained (sampled from "
        f"`/healthz` every {variants[0]['backlog']['interval_s']:g} s; * = during the load):",
        "",
        *(f"- {variant_name(v)}: {backlog_timeline(v, f'{top:g}/s')}" for v in variants),
    ]
    return "\n".join(lines) + "\n"


def _method(data: dict[str, Any]) -> list[str]:
    arrivals = "Poisson" if data["poisson"] else "uniform"
    return [
        f"Requests pre-signed by the consumer, then sent on a fixed {arrivals} schedule for "
        f"{data['seconds']:g} s per rate whatever the answers do, over a pool of keep-alive "
        "HTTP/1.1 connections opened beforehand (max(32, 64 ms of arrivals)); latency is "
        "measured from the time each request was *due* (no coordinated omission), by a load "
        "generator in its own process (`benchmarks.gateway_loadgen --rate`). A fresh gateway "
        "process per variant, all on one receipt log as one provider has (SQLite WAL, "
        "`synchronous=FULL`, each receipt durable before its answer); plain HTTP or TLS 1.3 "
        "with the consumer's client certificate (requests bound to its channel); answers in "
        "the clear or sealed to the consumer's SM2 key. A rate is "
        f"**sustained** when ≥ {data['on_time_share']:.0%} of its requests left within "
        f"{data['on_time_s'] * 1000:g} ms of schedule, every answer was 200 with a receipt and "
        f"p99 ≤ {data['p99_limit_ms']:g} ms; after the fixed rates a search (×1.25 up, then "
        "bisection) looks for the highest. After each rate the run waits until the anchoring "
        "backlog is empty. The node and the load generator share the machine's cores with the "
        "gateway. *refused* names the refusals' error codes; *view lag max* is the largest "
        "`/healthz` `view_lag_s` sampled during the load (the gateway refuses "
        "`CHAIN_UNAVAILABLE` past `QC_GW_VIEW_MAX_LAG_S`, 2 s).",
    ]


def _notes(data: dict[str, Any]) -> list[str]:
    first = data["variants"][0]
    return [
        "**SM2 bound.** A query now costs the gateway one SM2 verify (the request) and one SM2 "
        "sign (the receipt; the answer is bound by it): bound = 1 / (1/verify + 1/sign) per "
        "core, from the same variant's `openssl speed sm2`. Sealing adds one SM2 encryption "
        "the bound does not count. tongsuopy releases the GIL (see the crypto section: two "
        "threads ×1.8 of one): the request is verified on the request verifier's thread (the "
        "event loop goes on with other requests meanwhile), the receipt "
        "signed on the receipt writer's thread before it takes the write lock (receipt/4: "
        "the lock only places it), a sealed answer sealed on one of two sealing threads, each "
        "beside the others' Python. The "
        "bound stays one core's per process, as the "
        "goal defines it. "
        "*Gateway cores busy* is the process's CPU (every thread, `/proc/<pid>/stat` user + "
        "system) over the load's wall time; *loop thread* is the part of the CPU per query "
        "spent on the main thread. CPU is read before and after the load generator runs, so "
        "accepting its connections (and their TLS handshakes) is counted too. With several "
        "worker processes (the last variant) the bound is one core's per process, the CPU is "
        "the whole process tree's (uvicorn's supervisor and its workers) and *loop thread* "
        "sums the workers' main threads; every worker follows the chain itself, and the "
        "anchorer runs in the worker that holds the anchoring lock.",
        "",
        *_anchoring_note(data),
        "**Group commit.** While receipts arrive less than `QC_GW_COMMIT_LINGER_MS` (4 ms) "
        "apart, the receipt writer lets each group's first receipt wait that long for the "
        "ones behind it (not longer: a writer that is behind does not wait), so a commit and "
        "its fsync serve several answers; below ~250 q/s nothing waits. "
        "*commit group* is receipts per fsync during that rate, from "
        "`/metrics` (`qc_gateway_commit_group_size` sum ÷ `qc_gateway_commit_groups`); "
        f"`/healthz` `commit_group_avg` at the end of the first variant: "
        f"{first['rows'][-1]['commit_group_avg']:.1f} (over the gateway's life). *write lock "
        "busy* is the seconds receipt groups held the database's write turn per second of the "
        "load (`qc_gateway_commit_hold_seconds` sum; every worker process's writer together, "
        "commit and fsync included), and in brackets a group's mean wait for it "
        "(`qc_gateway_commit_wait_seconds`). Worker processes share one SQLite file: near 100 % "
        "their commits queue behind each other, whatever the cores.",
        "",
        "**Prediction.** *Predicted N cores* = N × 1000 / (gateway + node CPU ms per query) at "
        "the highest sustained rate, assuming N gateway worker processes (`QC_GW_WORKERS`) "
        "each spend what one spends here per query, share one receipt writer without "
        "contention (groups grow instead of fsyncs multiplying), the node's anchoring and "
        "view work per query stays as measured, and the load generator runs elsewhere. The "
        "2-core column counts the load generator too: compare it with what this machine "
        "sustained. The process's own idle use (chain follower, anchorer, `/healthz` polls) "
        f"was {first['idle_cores']:.2f} cores before the load and is included.",
    ]


def _anchoring_note(data: dict[str, Any]) -> list[str]:
    """The anchoring process beside the same variant without it, rate by rate (if both ran)."""
    pairs = [
        (v, w)
        for v in data["variants"]
        for w in data["variants"]
        if w.get("anchor_process") and not v.get("anchor_process")
        and (v["transport"], v["sealed"], v.get("workers", 1))
        == (w["transport"], w["sealed"], w.get("workers", 1))
    ]  # fmt: skip
    if not pairs:
        return []
    v, w = pairs[0]
    inside = {r["rate"]: r for r in v["rows"]}
    beside = [(inside[r["rate"]], r) for r in sorted(w["rows"], key=lambda r: r["rate"])
              if r["rate"] in inside]  # fmt: skip
    figures = "; ".join(
        f"{a['rate']:,.0f}/s: p95 {a['p95']:.0f} → {b['p95']:.0f} ms, p99 {a['p99']:.0f} → "
        f"{b['p99']:.0f} ms, CPU {a['gw_cpu_ms']:.2f} → {b['gw_cpu_ms']:.2f} ms/q"
        for a, b in beside
    )
    return [
        f"**Anchoring process.** *{variant_name(w)}* is *{variant_name(v)}* with its anchorer "
        "in a process of its own (`QC_GW_ANCHOR_PROCESS`, docs/deployment.md): the query "
        "process only follows the batches' state, and its CPU column counts the anchoring "
        f"process too. Anchorer inside → anchoring process: {figures}. On two cores shared "
        "with the load generator and the node, moving the anchorer's bursts off the query "
        "process's GIL moves them onto a core the query process also needs; one run of each "
        "is no verdict (docs/deployment.md, \"The anchoring process\", has repeated pairs).",
        "",
    ]
