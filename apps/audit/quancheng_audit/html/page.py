"""The report page: the verdict and counts first, then what was found (in plain Chinese before
the technical details), the listings by owner and by receipt, the charts, every rule, and what
was read."""

from __future__ import annotations

from quancheng_audit.html.charts import chart
from quancheng_audit.html.common import Index, esc, purpose_label, when
from quancheng_audit.html.findings import findings_section, rules_section
from quancheng_audit.html.listings import owners_section, receipts_section
from quancheng_audit.report import AuditReport
from quancheng_audit.texts_zh import MEMBER_STATUS_TITLES, ROLE_TITLES

__all__ = ["render_html"]

_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;
margin:2rem auto;max-width:80rem;padding:0 1rem;color:#1b1f24;line-height:1.55}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #d0d7de}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
nav ol{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding-left:1.2rem}
.verdict{padding:.8rem 1rem;border-radius:.4rem;font-weight:600;font-size:1.1rem}
.verdict.pass{background:#dafbe1;border:1px solid #2da44e}
.verdict.fail{background:#ffebe9;border:1px solid #cf222e}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.4rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.82rem;word-break:break-all}
.sub,code.sub{color:#57606a;font-size:.8rem}code.sub{word-break:normal;overflow-wrap:anywhere}
.nowrap{white-space:nowrap}table.counts{width:auto;min-width:24rem}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.8rem;font-weight:600;
color:#fff;vertical-align:middle}
.badge.fail{background:#cf222e}.badge.warn{background:#9a6700}
.st{font-weight:600}.st.fail{color:#cf222e}.st.warn{color:#9a6700}.st.pass{color:#1a7f37}
.st.pending{color:#57606a}.ok{color:#1a7f37}
.group{border:1px solid #d0d7de;border-left:.3rem solid #cf222e;border-radius:.3rem;
padding:.2rem 1rem .6rem;margin:1rem 0}.group.warn{border-left-color:#9a6700}
.meaning{font-size:1rem;margin:.3rem 0}.count{color:#57606a;font-weight:400;font-size:.9rem}
details.tech summary{cursor:pointer;color:#57606a}
td.checks{color:#57606a;font-size:.8rem}
.owner{border-top:1px dashed #d0d7de;padding-top:.2rem}
:target{background:#fff8c5;outline:2px solid #d4a72c}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(30rem,1fr));gap:1rem}
figure{margin:0}figure svg{max-width:100%;height:auto}figcaption{font-size:.9rem;color:#57606a}
"""

_COUNT_TITLES = {
    "institutions": "联盟机构",
    "grants": "授权",
    "owners": "已登记密钥的数据主体",
    "receipts": "回执（数据提供记录）",
    "batches": "上链存证批次",
    "pending_receipts": "待上链存证的回执",
    "events": "链上事件",
    "attestations": "实名核验记录",
    "resources": "数据目录项",
    "signatures_verified": "已验证的 SM2 签名",
}

_NAV = (
    ("summary", "审计结论"),
    ("findings", "发现的问题"),
    ("by-owner", "按数据主体"),
    ("by-receipt", "按回执"),
    ("charts", "访问统计"),
    ("rules", "审计规则一览"),
    ("evidence", "审计依据"),
)


def _reach(ix: Index) -> str:
    """Which receipts and owners the failing findings touch, in words."""
    receipts, owners = set(), set()
    for f in ix.report.failed():
        s = f.subject
        if s.kind == "receipt" and s.receipt_id:
            receipts.add(s.receipt_id)
        grant = s.grant_id and ix.owner_of(s.grant_id)
        owner = s.pseudonym if s.kind == "owner" else grant
        if owner:
            owners.add(owner)
    parts = [f"{len(receipts)} 张回执"] if receipts else []
    parts += [f"{len(owners)} 位数据主体"] if owners else []
    return f"，涉及 {'、'.join(parts)}" if parts else ""


def _verdict(ix: Index) -> str:
    report = ix.report
    groups = len({f.code for f in report.failed()})
    if report.passed:
        text = "通过：每一条规则都成立"
        if report.warnings:
            text += f"；另有 {report.warnings} 项警告（不影响结论）"
        return f'<p class="verdict pass" role="status">{text}。</p>'
    text = f"未通过：{groups} 条规则共发现 {report.failures} 项问题{_reach(ix)}"
    if report.warnings:
        text += f"；另有 {report.warnings} 项警告"
    return f'<p class="verdict fail" role="status">{text}。</p>'


def _summary(ix: Index) -> str:
    report = ix.report
    c = report.chain
    counts = "".join(
        f"<tr><th>{title}</th><td class='num'>{report.counts.get(key, 0):,}</td></tr>"
        for key, title in _COUNT_TITLES.items()
    )
    return f"""<section id="summary"><h2>审计结论</h2>{_verdict(ix)}
<p>审计对象：链 {c["chain_id"]} 第 {c["from_block"]}–{c["to_block"]} 号区块，以及
{len(report.sources)} 家数据提供方网关的回执日志。证据取得于 {when(int(c["collected_at_ms"]))}，
报告生成于 {when(report.generated_at_ms)}（北京时间）。所有签名（SM2）和摘要（SM3、默克尔根）
均由审计方自行重新验证，不采信任何一方的说法。</p>
<table class="counts"><tbody>{counts}</tbody></table></section>"""


def _charts(ix: Index) -> str:
    a = ix.report.accesses
    refusals = (
        "被拒绝的查询（按原因），取自各网关的 /metrics：被拒绝的查询不提供数据，也没有回执。"
        if a.refusals is not None
        else "本次审计的网关未提供拒绝计数（未读取 /metrics）。"
    )
    consumers = {ix.name(k): v for k, v in a.by_consumer.items()}
    purposes = {purpose_label(k): v for k, v in a.by_purpose.items()}
    parts = [
        chart("按数据使用方", consumers, "各机构收到的数据（回执数）。"),
        chart("按用途", purposes, "各用途的数据提供次数。"),
        chart("按数据项", a.by_resource, "各数据目录项的提供次数。"),
        chart("按日期（北京时间）", a.by_day, "每天的数据提供次数。", horizontal=False),
        chart("被拒绝的查询", a.refusals, refusals, unit="查询数"),
    ]
    figures = "".join(parts)
    return f'<section id="charts"><h2>访问统计</h2><div class="charts">{figures}</div></section>'


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _evidence(ix: Index) -> str:
    r = ix.report
    sources = "".join(
        f"<tr><td>{ix.inst(s.provider)}</td><td><code>{esc(s.source)}</code></td>"
        f"<td class='num'>{s.entries:,}</td><td class='num'>{s.anchored_batches:,}</td>"
        f"<td class='num'>{_seconds(s.view_lag_max_s)} / {_seconds(s.view_lag_p99_s)}</td></tr>"
        for s in r.sources
    )
    members = "".join(
        f"<tr><td>{esc(i.name)}</td><td><code>{esc(code)}</code></td>"
        f"<td>{esc(ROLE_TITLES.get(i.role, i.role))}</td>"
        f"<td>{esc(MEMBER_STATUS_TITLES.get(i.status, i.status))}</td></tr>"
        for code, i in r.institutions.items()
    )
    pending = "".join(
        f"<tr><td>{ix.inst(str(p['provider']))}</td><td class='num'>{p['log_index']}</td>"
        f"<td>{ix.receipt_link(str(p['receipt_id']))}</td><td>{when(int(p['served_at_ms']))}</td></tr>"
        for p in r.pending
    )
    pending_part = (
        "<p>没有待上链存证的回执：每张回执都在已上链存证的批次中。</p>"
        if not r.pending
        else "<table><caption>已提供、尚未上链存证的回执（未超过时限时不算问题）。</caption>"
        "<thead><tr><th>提供方</th><th>日志序号</th><th>回执</th><th>时间</th></tr></thead>"
        f"<tbody>{pending}</tbody></table>"
    )
    contracts = "".join(
        f"<tr><td>{esc(k)}</td><td><code>{esc(v)}</code></td></tr>"
        for k, v in r.chain.get("contracts", {}).items()
    )
    stats = "".join(
        f"<tr><td>{esc(k)}</td><td class='num'>{v:,}</td></tr>" for k, v in r.stats.items()
    )
    return f"""<section id="evidence"><h2>审计依据</h2>
<h3>回执日志</h3>
<table><caption>链上信息滞后：网关提供数据时，其已读区块之后最早一个区块已产生多久（含时钟误差），
超过 {r.stats.get("view_lag_bound_s", 0):g} 秒即为问题。</caption>
<thead><tr><th>提供方</th><th>来源</th><th>回执数</th><th>上链存证批次</th>
<th>链上信息滞后（最大 / P99，秒）</th></tr></thead>
<tbody>{sources}</tbody></table>
<h3>联盟机构</h3>
<table><thead><tr><th>名称</th><th>代码</th><th>角色</th><th>状态（截至最后一个区块）</th></tr></thead>
<tbody>{members}</tbody></table>
<h3>待上链存证的回执</h3>{pending_part}
<details class="tech"><summary>技术摘要（英文）、合约地址与运行统计</summary>
<p>{esc(r.summary)}</p>
<table><tbody>{contracts}{stats}</tbody></table></details></section>"""


def render_html(report: AuditReport) -> str:
    """The report as one self-contained page (inline CSS and SVG, no script, nothing fetched)."""
    ix = Index.of(report)
    c = report.chain
    nav = "".join(f'<li><a href="#{a}">{t}</a></li>' for a, t in _NAV)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>泉城链审计报告 — 链 {c["chain_id"]}，截至区块 {c["to_block"]}</title>
<style>{_CSS}</style></head>
<body><main>
<h1>泉城链审计报告</h1>
<nav aria-label="目录"><ol>{nav}</ol></nav>
{_summary(ix)}
{findings_section(ix)}
{owners_section(ix)}
{receipts_section(ix)}
{_charts(ix)}
{rules_section(ix)}
{_evidence(ix)}
</main></body></html>
"""
