"""The report's listings for a complaint: "按数据主体" (each owner's grants, receipts and
findings) and "按回执" (each receipt: who answered whom, for what, when, and its verdict).

Each owner and receipt has an anchor (``#o-<pseudonym>``, ``#r-<receipt id>``), so a complaint
naming one is found with the browser's search or straight from the address bar.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from quancheng.protocol.documents import CST
from quancheng_audit.findings import Finding, Severity
from quancheng_audit.html.common import (
    Index,
    esc,
    grant_anchor,
    owner_anchor,
    purpose_label,
    receipt_anchor,
    short,
    verdict,
    when,
)
from quancheng_audit.listing import GrantRow, ReceiptRow
from quancheng_audit.texts_zh import GRANT_STATUS_TITLES

__all__ = [
    "MAX_OWNERS",
    "MAX_OWNER_RECEIPTS",
    "MAX_RECEIPTS",
    "owners_section",
    "receipts_section",
]

#: Receipts listed in "按回执" (those with findings or pending first); the JSON lists all.
MAX_RECEIPTS = 5000
#: Owners listed in "按数据主体" (those with findings first).
MAX_OWNERS = 1000
#: Receipts listed under one owner.
MAX_OWNER_RECEIPTS = 50

_RECEIPT_HEAD = (
    "<tr><th>回执编号</th><th>时间（北京时间）</th><th>提供方</th><th>使用方</th><th>数据项</th>"
    "<th>用途</th><th>数据主体</th><th>存证批次</th><th>状态</th></tr>"
)


def _date(seconds: int | None) -> str:
    if seconds is None:
        return "?"
    return datetime.fromtimestamp(seconds, CST).strftime("%Y-%m-%d")


def _receipt_row(row: ReceiptRow, ix: Index) -> str:
    rid = esc(row.receipt_id)
    if row.receipt_id in ix.anchored:
        cell = f"<code>{rid}</code>"
    else:
        ix.anchored.add(row.receipt_id)
        cell = f'<code id="{esc(receipt_anchor(row.receipt_id))}">{rid}</code>'
    owner = ix.owner_of(row.grant_id)
    batch = f"第 {row.batch} 批" if row.batch is not None else "未存证"
    return (
        f"<tr><td>{cell}<br><span class='sub'>日志第 {row.log_index} 条</span></td>"
        f"<td class='nowrap'>{when(row.served_at_ms).replace(' ', '<br>')}</td>"
        f"<td>{ix.inst(row.provider)}</td>"
        f"<td>{ix.inst(row.consumer)}</td><td><code>{esc(row.resource)}</code></td>"
        f"<td>{esc(purpose_label(row.purpose))}</td>"
        f"<td>{ix.owner_link(owner) if owner else '（授权不存在）'}</td>"
        f"<td class='nowrap'>{batch}</td><td>{ix.receipt_status(row)}</td></tr>"
    )


def _has_issue(row: ReceiptRow, ix: Index) -> bool:
    own, batch = ix.receipt_findings(row)
    return bool(own or batch) or (row.provider, row.log_index) in ix.pending


def receipts_section(ix: Index) -> str:
    """Every receipt (up to :data:`MAX_RECEIPTS`, those with findings first), with its verdict."""
    rows = ix.report.receipts
    shown = rows
    note = ""
    if len(rows) > MAX_RECEIPTS:
        issues = [r for r in rows if _has_issue(r, ix)]
        rest = [r for r in rows if not _has_issue(r, ix)]
        shown = (issues + rest)[:MAX_RECEIPTS]
        note = (
            f"<p>共 {len(rows):,} 张回执，本页列出 {len(shown):,} 张（有问题的在前）；"
            "全部回执见 JSON 报告的 <code>receipts</code>。</p>"
        )
    body = "".join(_receipt_row(r, ix) for r in shown)
    return f"""<section id="by-receipt"><h2>按回执</h2>
<p>每一次数据提供都有一张由提供方网关签名的回执。投诉涉及某张回执时，用浏览器的查找（Ctrl+F）
搜索回执编号，或在本文件地址后加 <code>#r-回执编号</code>。</p>{note}
<table class="receipts"><thead>{_RECEIPT_HEAD}</thead><tbody>{body}</tbody></table></section>"""


def _grant_rows(grants: list[GrantRow], counts: dict[str, int], ix: Index) -> str:
    return "".join(
        f"<tr><td><code id='{esc(grant_anchor(g.grant_id))}' title='{esc(g.grant_id)}'>"
        f"{esc(short(g.grant_id))}</code></td>"
        f"<td>{ix.inst(g.consumer)}</td>"
        f"<td>{'、'.join(f'<code>{esc(r)}</code>' for r in g.resources)}</td>"
        f"<td>{esc(purpose_label(g.purpose))}</td>"
        f"<td>{_date(g.not_before)} 至 {_date(g.not_after)}</td>"
        f"<td class='num'>{'' if g.max_uses is None else g.max_uses}</td>"
        f"<td>{esc(GRANT_STATUS_TITLES.get(g.status, g.status))}</td>"
        f"<td class='num'>{counts.get(g.grant_id, 0)}</td></tr>"
        for g in grants
    )


def _owner(pseudonym: str, grants: list[GrantRow], receipts: list[ReceiptRow], ix: Index) -> str:
    counts: dict[str, int] = defaultdict(int)
    for r in receipts:
        counts[r.grant_id] += 1
    issues = _owner_findings(pseudonym, grants, receipts, ix)
    fails = [f.code for f in issues if f.severity is Severity.FAIL]
    kind = "fail" if fails else "warn" if issues else "pass"
    result = verdict(kind, fails or [f.code for f in issues], passed="未发现问题")
    shown = receipts[:MAX_OWNER_RECEIPTS]
    more = (
        f"<p>另有 {len(receipts) - len(shown)} 张回执，见“按回执”。</p>"
        if receipts[len(shown) :]
        else ""
    )
    links = "、".join(ix.receipt_link(r.receipt_id) for r in shown) or "无"
    return f"""<section class="owner" id="{esc(owner_anchor(pseudonym))}">
<h3>数据主体 <code>{esc(short(pseudonym))}</code></h3>
<p class="sub">完整代号 <code>{esc(pseudonym)}</code></p>
<p>审计结果：{result}</p>
<table><thead><tr><th>授权编号</th><th>被授权机构</th><th>数据项</th><th>用途</th><th>有效期</th>
<th>每项次数上限</th><th>状态</th><th>回执数</th></tr></thead>
<tbody>{_grant_rows(grants, counts, ix) or "<tr><td colspan='8'>无授权</td></tr>"}</tbody></table>
<p>回执：{links}</p>{more}
</section>"""


def _owner_findings(
    pseudonym: str, grants: list[GrantRow], receipts: list[ReceiptRow], ix: Index
) -> list[Finding]:
    found = list(ix.on_owner.get(pseudonym, []))
    for g in grants:
        found += ix.on_grant.get(g.grant_id, [])
    for r in receipts:
        found += ix.receipt_findings(r)[0]
    return found


def owners_section(ix: Index) -> str:
    """Each owner with grants or findings: grants, receipts and verdict."""
    grants: dict[str, list[GrantRow]] = defaultdict(list)
    for g in ix.report.grants:
        grants[g.owner].append(g)
    receipts: dict[str, list[ReceiptRow]] = defaultdict(list)
    for r in ix.report.receipts:
        owner = ix.owner_of(r.grant_id)
        if owner is not None:
            receipts[owner].append(r)
    owners = list(dict.fromkeys([*grants, *ix.on_owner]))
    owners.sort(key=lambda p: not _owner_findings(p, grants[p], receipts[p], ix))
    shown = owners[:MAX_OWNERS]
    note = (
        f"<p>共 {len(owners):,} 位，本页列出 {len(shown):,} 位（有问题的在前）。</p>"
        if owners[len(shown) :]
        else ""
    )
    body = "".join(_owner(p, grants[p], receipts[p], ix) for p in shown) or "<p>无。</p>"
    return f"""<section id="by-owner"><h2>按数据主体</h2>
<p>数据主体在链上只以代号出现（不含真实身份）。投诉涉及某位数据主体时，
用浏览器的查找（Ctrl+F）搜索其代号（前几位即可），或在本文件地址后加 <code>#o-完整代号</code>。
授权状态截至审计读取的最后一个区块。</p>{note}
{body}</section>"""
