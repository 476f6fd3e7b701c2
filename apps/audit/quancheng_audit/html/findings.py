"""The report's findings, group by group: what it means in plain Chinese, which subjects, and
only then, folded away, the technical cascade (codes, hashes, expected and found); and the
table of every rule."""

from __future__ import annotations

import json
from typing import Any

from quancheng_audit.findings import RULES, Finding, Severity, Subject
from quancheng_audit.html.common import Index, badge, esc, rule_anchor
from quancheng_audit.texts_zh import AREA_TITLES, rule_text

__all__ = ["MAX_PER_GROUP", "findings_section", "rules_section", "subject_zh"]

#: Findings listed per rule; the JSON report holds every one.
MAX_PER_GROUP = 500


def subject_zh(s: Subject, ix: Index) -> str:
    """What a finding is about, in Chinese, linked to its listing where the page has one."""
    who = ix.inst(s.provider) if s.provider else ""
    if s.kind == "receipt":
        rid = ix.receipt_link(s.receipt_id) if s.receipt_id else "（无编号）"
        return f"{who} 的回执 {rid}（日志第 {s.log_index} 条）"
    if s.kind == "batch":
        return f"{who} 的存证批次" + (f" 第 {s.seq} 批" if s.seq is not None else "")
    if s.kind == "log":
        at = f"，自第 {s.log_index} 条起" if s.log_index is not None else ""
        return f"{who} 的回执日志{at}"
    if s.kind == "grant" and s.grant_id:
        owner = ix.owner_of(s.grant_id)
        whose = f"（数据主体 {ix.owner_link(owner)}）" if owner else ""
        extra = f"，提供方 {who}" if who else ""
        return f"授权 {ix.grant_link(s.grant_id)}{whose}{extra}"
    if s.kind == "owner" and s.pseudonym:
        return f"数据主体 {ix.owner_link(s.pseudonym)}"
    if s.kind == "event":
        return f"链上事件 <code>{esc(s.event)}</code>（区块 {s.block}）"
    if s.kind == "evidence":
        return f"{who} 提交的回执证据"
    if s.kind == "contract":
        return f"合约 <code>{esc(s.contract or '')}</code>"
    return f"{esc(s.kind)} {who}"


def _technical(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"<code>{esc(text)}</code>"


def _worst(findings: list[Finding]) -> Severity:
    return Severity.FAIL if any(f.severity is Severity.FAIL for f in findings) else Severity.WARN


def _group(code: str, findings: list[Finding], ix: Index) -> str:
    rule, text = RULES.get(code), rule_text(code)
    area = rule.area if rule else findings[0].area
    shown = findings[:MAX_PER_GROUP]
    more = len(findings) - len(shown)
    rest = f"<p>另有 {more} 项，见 JSON 报告。</p>" if more else ""
    items = "".join(f"<li>{subject_zh(f.subject, ix)}</li>" for f in shown)
    rows = "".join(
        f"<tr><td><code>{esc(f.subject.describe())}</code></td><td>{esc(f.message)}</td>"
        f"<td>{_technical(f.expected)}</td><td>{_technical(f.found)}</td></tr>"
        for f in shown
    )
    severity = _worst(findings)
    return f"""<section class="group {severity.value}" id="{esc(rule_anchor(code))}">
<h3>{badge(severity)} {esc(text.title)} <span class="count">{len(findings)} 项</span></h3>
<p class="meaning">{esc(text.meaning)}</p>
<ul class="subjects">{items}</ul>{rest}
<details class="tech"><summary>技术细节：规则 <code>{esc(code)}</code>
（{esc(AREA_TITLES.get(area, area))}）</summary>
<p>检查内容：{esc(rule.checks if rule else "")}</p>
<table><thead><tr><th>对象</th><th>说明</th><th>预期</th><th>实际</th></tr></thead>
<tbody>{rows}</tbody></table></details>
</section>"""


def findings_section(ix: Index) -> str:
    """Every rule that raised findings, failures first, each with all its findings."""
    by_code: dict[str, list[Finding]] = {}
    for f in ix.report.findings:
        by_code.setdefault(f.code, []).append(f)
    order = list(RULES) + sorted(set(by_code) - set(RULES))
    codes = [c for c in order if c in by_code]
    codes.sort(key=lambda c: _worst(by_code[c]) is not Severity.FAIL)
    if not codes:
        body = '<p class="none">未发现任何问题：下列每一条规则都成立。</p>'
    else:
        body = "".join(_group(c, by_code[c], ix) for c in codes)
    return f'<section id="findings"><h2>发现的问题</h2>{body}</section>'


def rules_section(ix: Index) -> str:
    """Every rule the audit ran: a verdict badge only where it found something."""
    rows = []
    for code, total in ix.report.rules.items():
        title = esc(rule_text(code).title)
        if total.findings:
            link = f'<a href="#{esc(rule_anchor(code))}">{total.findings} 项</a>'
            result = f"{badge(total.severity)} {link}"
        else:
            result = '<span class="ok">✓ 成立</span>'
        rows.append(
            f"<tr><td>{title}<br><code class='sub'>{esc(code)}</code></td>"
            f"<td>{esc(AREA_TITLES.get(total.area, total.area))}</td>"
            f"<td class='nowrap'>{result}</td>"
            f"<td class='checks'>{esc(total.checks)}</td></tr>"
        )
    return f"""<section id="rules"><h2>审计规则一览</h2>
<p>本次审计逐条检查了以下 {len(rows)} 条规则；只有发现问题的规则标出严重程度。</p>
<table class="rules"><colgroup><col style="width:30%"><col style="width:9%">
<col style="width:11%"><col></colgroup>
<thead><tr><th>规则</th><th>领域</th><th>结果</th><th>检查内容（技术说明）</th></tr>
</thead><tbody>{"".join(rows)}</tbody></table></section>"""
