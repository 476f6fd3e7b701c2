"""The audit's result: findings, counts, per-rule totals, access statistics and a summary.

:class:`AuditReport` is what ``--out report.json`` holds and what the HTML report renders.
``passed`` is true when no finding has severity ``fail``; warnings and pending receipts are
reported but do not fail the audit. The listings (``institutions``, ``grants``, ``receipts``;
:mod:`quancheng_audit.listing`) let a complaint about one owner or one receipt be followed.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from quancheng.protocol import Purpose
from quancheng.protocol.documents import CST
from quancheng_audit.context import Context
from quancheng_audit.evidence import ReceiptLog
from quancheng_audit.findings import RULES, Finding, Severity
from quancheng_audit.listing import (
    GrantRow,
    InstitutionInfo,
    ReceiptRow,
    list_grants,
    list_institutions,
    list_receipts,
)

__all__ = ["AccessStats", "AuditReport", "RuleTotal", "SourceInfo", "build_report"]


class RuleTotal(BaseModel):
    """One rule and how many findings it raised."""

    area: str
    severity: Severity
    checks: str
    findings: int


class SourceInfo(BaseModel):
    """One receipt log the audit read.

    The view lag of a receipt is ``served_at`` minus the time of the first block its
    gateway's view had not applied (:mod:`quancheng_audit.rules.view`): how stale the chain
    state the gateway judged by was, clock error included. Its maximum and 99th percentile
    (None: no receipt with a valid signature) say how much clock tolerance the audit really
    needs for this gateway; ``view_lag_bound_s`` in the report's stats is the bound.
    """

    provider: str
    source: str
    entries: int
    batches: int
    anchored_batches: int
    view_lag_max_s: float | None = None
    view_lag_p99_s: float | None = None
    #: Receipts served after a block their view had not applied was mined (lag above zero).
    receipts_behind_view: int = 0


class AccessStats(BaseModel):
    """Receipts (answered queries) grouped for the charts."""

    by_consumer: dict[str, int] = Field(default_factory=dict)
    by_provider: dict[str, int] = Field(default_factory=dict)
    by_purpose: dict[str, int] = Field(default_factory=dict)
    by_resource: dict[str, int] = Field(default_factory=dict)
    by_day: dict[str, int] = Field(default_factory=dict)
    #: Refusals by code over the gateways whose metrics were read (None: none exposed them).
    refusals: dict[str, int] | None = None
    #: Refusals per provider.
    refusals_by_provider: dict[str, dict[str, int]] = Field(default_factory=dict)


class AuditReport(BaseModel):
    """Everything an audit found, as written to the JSON report."""

    format: Literal["quancheng.audit-report/1"] = "quancheng.audit-report/1"
    passed: bool
    summary: str
    generated_at_ms: int
    chain: dict[str, Any]
    sources: list[SourceInfo]
    counts: dict[str, int]
    checked: dict[str, int]
    rules: dict[str, RuleTotal]
    failures: int
    warnings: int
    findings: list[Finding]
    pending: list[dict[str, Any]]
    stats: dict[str, float]
    accesses: AccessStats
    #: Every institution admitted, by code (its name on chain).
    institutions: dict[str, InstitutionInfo] = Field(default_factory=dict)
    #: Every grant requested on chain, with its status at the last block read.
    grants: list[GrantRow] = Field(default_factory=list)
    #: Every receipt of the logs read (who, what, when, under which grant, in which batch).
    receipts: list[ReceiptRow] = Field(default_factory=list)

    def failed(self) -> list[Finding]:
        """The findings that fail the audit."""
        return [f for f in self.findings if f.severity is Severity.FAIL]


def _accesses(ctx: Context) -> AccessStats:
    stats = AccessStats()
    counters: dict[str, Counter[str]] = {k: Counter() for k in ("c", "p", "u", "r", "d")}
    for entries in ctx.entries.values():
        for e in entries:
            r = e.signed.receipt
            counters["c"][r.consumer] += 1
            counters["p"][r.provider] += 1
            counters["u"][Purpose(r.purpose).name] += 1
            counters["r"][r.resource] += 1
            day = datetime.fromtimestamp(r.served_at_ms / 1000, CST).date().isoformat()
            counters["d"][day] += 1
    stats.by_consumer = dict(counters["c"].most_common())
    stats.by_provider = dict(counters["p"].most_common())
    stats.by_purpose = dict(counters["u"].most_common())
    stats.by_resource = dict(counters["r"].most_common())
    stats.by_day = dict(sorted(counters["d"].items()))
    refusals: Counter[str] = Counter()
    seen = False
    for log in ctx.logs:
        if log.refusals is not None:
            seen = True
            stats.refusals_by_provider[log.provider] = dict(log.refusals)
            refusals.update(log.refusals)
    stats.refusals = dict(refusals.most_common()) if seen else None
    return stats


def _source(ctx: Context, log: ReceiptLog) -> SourceInfo:
    lags = sorted(ctx.view_lags.get(log.provider, []))
    p99 = lags[max(0, math.ceil(0.99 * len(lags)) - 1)] if lags else None
    return SourceInfo(
        provider=log.provider,
        source=log.source,
        entries=len(log.entries),
        batches=len(log.batches),
        anchored_batches=len(ctx.history.anchors.get(log.provider, [])),
        view_lag_max_s=lags[-1] / 1000 if lags else None,
        view_lag_p99_s=None if p99 is None else p99 / 1000,
        receipts_behind_view=sum(1 for lag in lags if lag > 0),
    )


def _summary(ctx: Context, failures: int, warnings: int, elapsed: float, rate: float) -> str:
    c = ctx.chain
    receipts = sum(len(v) for v in ctx.entries.values())
    batches = sum(len(ctx.history.anchors.get(p, [])) for p in ctx.entries)
    attestations = sum(len(a) for a in ctx.history.attestations.values())
    verdict = (
        "PASSED: every rule holds"
        if failures == 0
        else f"FAILED: {failures} finding(s) break the rules"
    )
    codes = Counter(f.code for f in ctx.findings if f.severity is Severity.FAIL)
    worst = "; ".join(f"{code} ×{n}" for code, n in codes.most_common(4))
    return (
        f"Audit of chain {c.chain_id}, blocks {c.from_block}–{c.to_block}: "
        f"{len(c.events)} events, {len(ctx.history.members)} institutions, "
        f"{len(ctx.history.grants)} grants, {attestations} owner attestations; "
        f"{receipts} receipts from {len(ctx.entries)} gateway log(s) in "
        f"{batches} anchored batches, {len(ctx.pending)} pending. {verdict}"
        + (f" ({worst})" if worst else "")
        + f"; {warnings} warning(s). {ctx.signatures} SM2 signatures checked in {elapsed:.2f} s "
        f"({rate:,.0f} receipts verified/s)."
    )


def build_report(ctx: Context, *, elapsed_s: float, receipts_s: float, now_ms: int) -> AuditReport:
    """The report of a finished run."""
    per_rule = Counter(f.code for f in ctx.findings)
    failures = sum(1 for f in ctx.findings if f.severity is Severity.FAIL)
    warnings = len(ctx.findings) - failures
    receipts = sum(len(v) for v in ctx.entries.values())
    rate = receipts / receipts_s if receipts_s > 0 else 0.0
    c = ctx.chain
    return AuditReport(
        passed=failures == 0,
        summary=_summary(ctx, failures, warnings, elapsed_s, rate),
        generated_at_ms=now_ms,
        chain={
            "chain_id": c.chain_id,
            "from_block": c.from_block,
            "to_block": c.to_block,
            "head_time": c.head_time,
            "collected_at_ms": c.collected_at_ms,
            "contracts": {k: v.address for k, v in c.contracts.items()},
        },
        sources=[_source(ctx, log) for log in ctx.logs],
        counts={
            "events": len(c.events),
            "institutions": len(ctx.history.members),
            "resources": len(ctx.history.resource_provider),
            "owners": len(ctx.history.attestations),
            "attestations": sum(len(a) for a in ctx.history.attestations.values()),
            "grants": len(ctx.history.grants),
            "receipts": receipts,
            "batches": sum(len(a) for a in ctx.history.anchors.values()),
            "pending_receipts": len(ctx.pending),
            "signatures_verified": ctx.signatures,
        },
        checked=dict(ctx.checked),
        rules={
            code: RuleTotal(
                area=rule.area,
                severity=rule.severity,
                checks=rule.checks,
                findings=per_rule.get(code, 0),
            )
            for code, rule in RULES.items()
        },
        failures=failures,
        warnings=warnings,
        findings=ctx.findings,
        pending=ctx.pending,
        stats={
            "elapsed_s": round(elapsed_s, 3),
            "receipts_phase_s": round(receipts_s, 3),
            "receipts_verified_per_s": round(rate, 1),
            "receipts_near_status_change": ctx.near_changes,
            "view_lag_bound_s": ctx.config.view_lag_bound_s,
        },
        accesses=_accesses(ctx),
        institutions=list_institutions(ctx),
        grants=list_grants(ctx),
        receipts=list_receipts(ctx),
    )
