"""What every part of the HTML report shares: escaping, Beijing time, institution names, the
anchors a complaint is found by, and the findings indexed by what they are about."""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from quancheng.protocol import Purpose
from quancheng.protocol.documents import CST
from quancheng_audit.findings import Finding, Severity
from quancheng_audit.listing import GrantRow, ReceiptRow
from quancheng_audit.report import AuditReport
from quancheng_audit.texts_zh import SEVERITY_TITLES, rule_text

__all__ = [
    "Index",
    "badge",
    "esc",
    "grant_anchor",
    "owner_anchor",
    "purpose_label",
    "receipt_anchor",
    "rule_anchor",
    "rule_links",
    "short",
    "verdict",
    "when",
]


def esc(value: Any) -> str:
    """Text escaped for HTML (None as nothing)."""
    return html.escape("" if value is None else str(value))


def when(ms: int) -> str:
    """A moment in Beijing time, to the second."""
    return datetime.fromtimestamp(ms / 1000, CST).strftime("%Y-%m-%d %H:%M:%S")


def short(value: str, head: int = 10, tail: int = 4) -> str:
    """A long hex id shortened for reading (``0x1a2b3c4d…9f0e``)."""
    return value if len(value) <= head + tail + 1 else f"{value[:head]}…{value[-tail:]}"


def receipt_anchor(receipt_id: str) -> str:
    return "r-" + receipt_id


def owner_anchor(pseudonym: str) -> str:
    return "o-" + pseudonym


def grant_anchor(grant_id: str) -> str:
    return "g-" + grant_id


def rule_anchor(code: str) -> str:
    return "rule-" + code


def badge(severity: Severity | str) -> str:
    """The severity as a coloured label."""
    value = Severity(severity).value
    return f'<span class="badge {value}">{SEVERITY_TITLES[value]}</span>'


def rule_links(codes: list[str]) -> str:
    """Rule titles, each linking to its group of findings."""
    unique = dict.fromkeys(codes)
    return "；".join(f'<a href="#{rule_anchor(c)}">{esc(rule_text(c).title)}</a>' for c in unique)


def verdict(kind: str, codes: list[str], *, passed: str = "通过", sep: str = " ") -> str:
    """A verdict label (``fail``, ``warn`` or ``pass``), then the rules that decided it."""
    label = {"fail": "未通过", "warn": "警告"}.get(kind, passed)
    links = f"{sep}{rule_links(codes)}" if codes else ""
    return f'<span class="st {kind}">{label}</span>{links}'


def purpose_label(code: int | str | None) -> str:
    """A purpose code (or ``Purpose`` name) in Chinese, or the code itself if unknown."""
    if code is None:
        return ""
    try:
        return (Purpose[code] if isinstance(code, str) else Purpose(code)).label
    except (KeyError, ValueError):
        return str(code)


@dataclass
class Index:
    """The report's listings and findings, indexed for the sections that cross-reference them."""

    report: AuditReport
    grants: dict[str, GrantRow] = field(default_factory=dict)
    on_receipt: dict[tuple[str, int, str], list[Finding]] = field(default_factory=dict)
    on_batch: dict[tuple[str, int], list[Finding]] = field(default_factory=dict)
    on_grant: dict[str, list[Finding]] = field(default_factory=dict)
    on_owner: dict[str, list[Finding]] = field(default_factory=dict)
    pending: set[tuple[str, int]] = field(default_factory=set)
    #: Receipt ids given an anchor in the page (the first receipt of each id).
    anchored: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, report: AuditReport) -> Index:
        ix = cls(report, grants={g.grant_id: g for g in report.grants})
        groups: dict[str, defaultdict[Any, list[Finding]]] = {
            k: defaultdict(list) for k in ("receipt", "batch", "grant", "owner")
        }
        for f in report.findings:
            s = f.subject
            if s.kind == "receipt" and s.provider and s.log_index is not None:
                groups["receipt"][(s.provider, s.log_index, s.receipt_id or "")].append(f)
            elif s.kind == "batch" and s.provider and s.seq is not None:
                groups["batch"][(s.provider, s.seq)].append(f)
            elif s.kind == "grant" and s.grant_id:
                groups["grant"][s.grant_id.lower()].append(f)
            elif s.kind == "owner" and s.pseudonym:
                groups["owner"][s.pseudonym.lower()].append(f)
        ix.on_receipt, ix.on_batch = dict(groups["receipt"]), dict(groups["batch"])
        ix.on_grant, ix.on_owner = dict(groups["grant"]), dict(groups["owner"])
        ix.pending = {(str(p["provider"]), int(p["log_index"])) for p in report.pending}
        return ix

    def name(self, code: str) -> str:
        """An institution's name (its code if it has none)."""
        info = self.report.institutions.get(code)
        return info.name if info is not None else code

    def inst(self, code: str) -> str:
        """An institution by name, its code secondary."""
        info = self.report.institutions.get(code)
        if info is None or info.name == code:
            return f'<span class="inst"><code>{esc(code)}</code></span>'
        return f'<span class="inst">{esc(info.name)} <code class="sub">{esc(code)}</code></span>'

    def owner_of(self, grant_id: str) -> str | None:
        grant = self.grants.get(grant_id.lower())
        return grant.owner if grant is not None else None

    def receipt_findings(self, row: ReceiptRow) -> tuple[list[Finding], list[Finding]]:
        """(Findings about the receipt itself, findings about its anchored batch)."""
        own = self.on_receipt.get((row.provider, row.log_index, row.receipt_id), [])
        batch = self.on_batch.get((row.provider, row.batch), []) if row.batch is not None else []
        return own, batch

    def grant_link(self, grant_id: str) -> str:
        gid = grant_id.lower()
        code = f'<code title="{esc(gid)}">{esc(short(gid))}</code>'
        return f'<a href="#{esc(grant_anchor(gid))}">{code}</a>' if gid in self.grants else code

    def receipt_link(self, receipt_id: str) -> str:
        return f'<a href="#{esc(receipt_anchor(receipt_id))}"><code>{esc(receipt_id)}</code></a>'

    def owner_link(self, pseudonym: str) -> str:
        return (
            f'<a href="#{esc(owner_anchor(pseudonym))}" title="{esc(pseudonym)}">'
            f"<code>{esc(short(pseudonym))}</code></a>"
        )

    def receipt_status(self, row: ReceiptRow) -> str:
        """The receipt's verdict (通过, 待上链存证, 警告 or 未通过), then the rules it broke and
        those its anchored batch broke."""
        own, batch = self.receipt_findings(row)
        if any(f.severity is Severity.FAIL for f in own + batch):
            kind = "fail"
        elif (row.provider, row.log_index) in self.pending:
            return '<span class="st pending">待上链存证</span>'
        else:
            kind = "warn" if own or batch else "pass"
        out = verdict(kind, [f.code for f in own], sep="<br>")
        if batch:
            out += f"<br>所在批次：{rule_links([f.code for f in batch])}"
        return out
