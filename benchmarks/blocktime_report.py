"""The ``blocktime`` section of BENCHMARKS.md, drawn from the results JSON alone.

:mod:`benchmarks.blocktime_latency` measures; this module only renders its figures: one
table with a column per block time (instant mining beside N-second blocks) and a paragraph
that says where the time goes, computed from the same figures.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from benchmarks.report import machine_line

__all__ = ["render", "timing_summary"]

Row = tuple[str, Callable[[dict[str, Any]], str]]
#: The owner decisions timed: approval → first answer, revoke → first refusal.
KINDS = ("approve", "revoke")


def timing_summary(changed_ms: list[float], included_ms: list[float]) -> dict[str, float]:
    """Median and max of one decision kind's timings, and the median of its two parts.

    ``changed_ms``: send → the gateway's first changed answer; ``included_ms``: send → the
    transaction's receipt (waiting for a block). The view part is their difference per trial
    (negative when the gateway saw the block before the sender's receipt poll returned).
    """
    views = [c - i for c, i in zip(changed_ms, included_ms, strict=True)]
    return {
        "median_ms": statistics.median(changed_ms),
        "max_ms": max(changed_ms),
        "inclusion_median_ms": statistics.median(included_ms),
        "view_median_ms": statistics.median(views),
    }


def _name(seconds: float) -> str:
    return "instant mining" if seconds == 0 else f"{seconds:g} s blocks"


def _ms(value: float) -> str:
    return f"{value:,.0f}"


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _decision(label: str) -> Callable[[dict[str, Any]], str]:
    def cell(run: dict[str, Any]) -> str:
        cases = run.get("decisions", {}).get("cases", [])
        case = next((c for c in cases if c["label"] == label), None)
        if case is None:
            return "–"
        p = case["percentiles"]
        return f"{p['p50']:.0f} / {p['p99']:.0f}"

    return cell


def _behind(run: dict[str, Any]) -> float:
    """Median over every timed decision of (send's wall clock − its block's timestamp)."""
    behind = run["approve"]["stamped_behind_s"] + run["revoke"]["stamped_behind_s"]
    return float(statistics.median(behind))


def _labels(runs: list[dict[str, Any]]) -> list[str]:
    """Decision kinds, in the order of the first run that has them."""
    for run in runs:
        if cases := run.get("decisions", {}).get("cases"):
            return [c["label"] for c in cases]
    return []


def _rows(runs: list[dict[str, Any]]) -> list[Row]:
    def t(kind: str, key: str) -> Callable[[dict[str, Any]], str]:
        return lambda r: _ms(r[kind]["summary"][key])

    rows: list[Row] = [
        ("approval → first answer, median ms", t("approve", "median_ms")),
        ("  max ms", t("approve", "max_ms")),
        ("  of which send → receipt (inclusion), median ms", t("approve", "inclusion_median_ms")),
        ("  of which receipt → gateway (view), median ms", t("approve", "view_median_ms")),
        ("revoke → first refusal, median ms", t("revoke", "median_ms")),
        ("  max ms", t("revoke", "max_ms")),
        ("  of which send → receipt (inclusion), median ms", t("revoke", "inclusion_median_ms")),
        ("  of which receipt → gateway (view), median ms", t("revoke", "view_median_ms")),
        ("node clock: send's wall time − its block's timestamp, median s",
         lambda r: f"{_behind(r):.2f}"),
    ]  # fmt: skip
    rows += [(f"decision {label}, p50 / p99 ms", _decision(label)) for label in _labels(runs)]
    rows += [
        ("anchoring: receipts anchored/s (first query → backlog empty)",
         lambda r: f"{r['anchoring']['rate']:,.0f}"),
        ("anchoring: burst answered/s (one query at a time)",
         lambda r: f"{r['anchoring']['answers_per_s']:,.0f}"),
        ("anchoring: backlog peak, receipts", lambda r: f"{r['anchoring']['backlog_peak']:,}"),
        ("anchoring: drained after the last answer, s",
         lambda r: f"{r['anchoring']['drain_s']:.2f}"),
        ("anchoring: anchor transactions / blocks holding them",
         lambda r: f"{r['anchoring']['anchor_txs']} / {r['anchoring']['anchor_blocks']}"),
        ("audit: view lag max / p99, s (the clock tolerance it needs)",
         lambda r: f"{_s(r['audit']['view_lag_max_s'])} / {_s(r['audit']['view_lag_p99_s'])}"),
        ("audit: receipts served after a block their view lacked / all",
         lambda r: f"{r['audit']['receipts_behind_view']} / {r['audit']['receipts']}"),
        ("audit: passes with the default bounds", _verdict),
        ("load average (1 min) at start / end",
         lambda r: f"{r['loadavg_before'][0]:.2f} / {r['loadavg_after'][0]:.2f}"),
    ]  # fmt: skip
    return rows


def _verdict(run: dict[str, Any]) -> str:
    a = run["audit"]
    codes = ", ".join(a["finding_codes"]) or "no findings"
    if a["passed"]:
        return f"yes ({a['warnings']} warnings: {codes})" if a["warnings"] else "yes"
    return f"**no**: {a['failures']} failures ({codes})"


def _table(runs: list[dict[str, Any]]) -> list[str]:
    head = "| figure | " + " | ".join(_name(r["block_time_s"]) for r in runs) + " |"
    lines = [head, "|---|" + "---:|" * len(runs)]
    for label, cell in _rows(runs):
        label = label.replace("  ", "&nbsp;&nbsp;", 1) if label.startswith("  ") else label
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in runs) + " |")
    return lines


def _worst_p99(run: dict[str, Any]) -> float | None:
    cases = [c for c in run.get("decisions", {}).get("cases", []) if not c["baseline"]]
    return max((c["percentiles"]["p99"] for c in cases), default=None)


def _owner_decisions(base: dict[str, Any], slow: dict[str, Any]) -> str:
    bt = slow["block_time_s"]
    parts = []
    for kind, what in (("approve", "an approval"), ("revoke", "a revocation")):
        s0, s1 = base[kind]["summary"], slow[kind]["summary"]
        parts.append(
            f"{what} reached the gateway in {_ms(s1['median_ms'])} ms (median) at {bt:g} s "
            f"blocks against {_ms(s0['median_ms'])} ms with instant mining: send → receipt "
            f"(gas estimate, then the block) {_ms(s1['inclusion_median_ms'])} ms against "
            f"{_ms(s0['inclusion_median_ms'])} ms, the follower (receipt → changed answer) "
            f"{_ms(s1['view_median_ms'])} ms against {_ms(s0['view_median_ms'])} ms"
        )
    return (
        f"Where the time goes. {parts[0][0].upper() + parts[0][1:]}; {parts[1]}. Send → "
        "receipt is not only the block: the sender first estimates gas (the contract's SM2 "
        "check of the owner's signature runs once there and once in the block), which is what "
        f"instant mining still spends; a period of {bt:g} s adds on average half a period, at "
        "most a whole one, of waiting for the block. The follower's part is its poll interval "
        "(0.1 s) and this benchmark's query poll (50 ms), whatever the block time."
    )


def _decisions_and_anchoring(base: dict[str, Any], slow: dict[str, Any]) -> str:
    bt = slow["block_time_s"]
    w0, w1 = _worst_p99(base), _worst_p99(slow)
    text = ""
    if w0 is not None and w1 is not None:
        text = (
            f"Claim and loan decisions only read the chain and query the gateways (their "
            f"receipts are anchored later, off the answer's path), so they do not wait for "
            f"blocks: worst p99 {w1:.0f} ms at {bt:g} s blocks against {w0:.0f} ms instant, "
            "with so few rounds the noise of a shared machine. "
        )
    a0, a1 = base["anchoring"], slow["anchoring"]
    return text + (
        f"Anchoring kept pace with the burst (answered one at a time, "
        f"{a1['answers_per_s']:.0f} /s), so its rate is the burst's, not a ceiling; the "
        f"block time shows in the backlog: peak {a1['backlog_peak']} against "
        f"{a0['backlog_peak']} receipts, drained {a1['drain_s']:.2f} s after the last answer "
        f"against {a0['drain_s']:.2f} s (a batch closes at 256 receipts or after 2 s, then its "
        "transaction waits for the next block)."
    )


def _audit(base: dict[str, Any], slow: dict[str, Any]) -> str:
    bt = slow["block_time_s"]
    v0, v1 = base["audit"], slow["audit"]
    worst = max(v["view_lag_max_s"] or 0.0 for v in (v0, v1))
    bound, tolerance = v1["view_lag_bound_s"], v1["clock_tolerance_s"]
    within = (
        f"inside the default bound ({bound:g} s)"
        if worst <= bound
        else f"OUTSIDE the default bound ({bound:g} s)"
    ) + (
        f" and the default clock tolerance ({tolerance:g} s)"
        if worst <= tolerance
        else f", beyond the default clock tolerance ({tolerance:g} s)"
    )
    offset = max(_behind(base), _behind(slow))
    follower = max(r[k]["summary"]["view_median_ms"] for r in (base, slow) for k in KINDS)
    clock = (
        f"; here the clock weighs more than the follower (median {follower:.0f} ms at most)"
        if offset * 1000 > follower
        else ""
    )
    return (
        "The audit judges each receipt by the block its gateway's view had applied; the lag "
        "it reports is the receipt's serve time minus the end of the second of the first "
        f"block that view lacked: max {_s(v1['view_lag_max_s'])} s at {bt:g} s blocks against "
        f"{_s(v0['view_lag_max_s'])} s instant, {within}. That lag counts every clock error "
        "too: the local node stamped blocks "
        f"{_behind(base):.1f} s (instant) and {_behind(slow):.1f} s ({bt:g} s blocks, median) "
        f"before the wall-clock time their transaction was sent{clock}." + _uses_warning(v0, v1)
    )


def _uses_warning(*audits: dict[str, Any]) -> str:
    if not any("USES_NOT_RECORDED" in a["finding_codes"] for a in audits):
        return ""
    return (
        " Its warning USES_NOT_RECORDED comes from the revocations: answers served under a "
        "grant in the seconds before it was revoked were anchored (a batch waits up to 2 s, "
        "then a block) after it, and the chain records no uses under a grant no longer "
        "active (a warning, by design, not a failure)."
    )


def _paragraph(runs: list[dict[str, Any]]) -> str:
    """Where the time goes, in the figures' own terms (the last block time vs the first)."""
    base, slow = runs[0], runs[-1]
    if len(runs) < 2:
        return "Only one block time was measured: nothing to compare."
    return " ".join(
        (
            _owner_decisions(base, slow),
            _decisions_and_anchoring(base, slow),
            _audit(base, slow),
            "Figures of one run on a shared machine (load average in the table): compare the "
            "columns, not the absolute values.",
        )
    )


def render(data: dict[str, Any]) -> str:
    """The ``blocktime`` section of BENCHMARKS.md."""
    runs = data["runs"]
    rounds = data["decision_rounds"]
    decided = (
        f"Claim and loan decisions: the demo's stack (eight gateways) on a node at the same "
        f"block time, {rounds} rounds of each kind through the SDK and real HTTP (with so few "
        "rounds the p99 is the max). "
        if rounds
        else "Claim and loan decisions: not measured in this run. "
    )
    intro = (
        "Each column is a fresh local node sealing at that block time (0: each transaction "
        "mined at once, the development default; 2 s: Besu's default QBFT period) and a fresh "
        "deployment. Owner decisions: the test department's gateway in process, "
        f"{data['trials']} approvals and revocations, each timed from the owner's signed "
        "decision being sent to the first changed answer of a query repeated every 50 ms "
        f"(with {data['trials']} trials the max is the p95). {decided}Anchoring: a burst of "
        f"{data['burst']} verified queries, one after another, to the department gateway "
        "(default batching: 256 receipts or 2 s). Audit: the auditor "
        "(`quancheng_audit.collect` + `audit`, default configuration) over the whole trail of "
        "that gateway."
    )
    return "\n".join(
        [
            "## Block time: owner decisions, claim/loan decisions, anchoring and the audit",
            "",
            f"Machine: {machine_line()}",
            "",
            intro,
            "",
            *_table(runs),
            "",
            _paragraph(runs),
            "",
            "Reproduce: `.venv/bin/python -m benchmarks.blocktime_latency` (or `make bench`).",
        ]
    )
