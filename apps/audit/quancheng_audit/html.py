"""The HTML report: one self-contained page (inline SVG charts, inline CSS, no script, no
asset from the internet) that a regulator can open offline or attach to a case file."""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime
from typing import Any

from quancheng_audit.findings import Severity
from quancheng_audit.report import AuditReport

__all__ = ["render_html"]

_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:2rem auto;
max-width:70rem;padding:0 1rem;color:#1b1f24;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
.verdict{padding:.8rem 1rem;border-radius:.4rem;font-weight:600}
.pass{background:#dafbe1;border:1px solid #2da44e}.fail{background:#ffebe9;border:1px solid #cf222e}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right}code{font-size:.85rem;word-break:break-all}
.sev-fail{color:#cf222e;font-weight:600}.sev-warn{color:#9a6700;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(30rem,1fr));gap:1rem}
figure{margin:0}figure svg{max-width:100%;height:auto}figcaption{font-size:.9rem;color:#57606a}
"""


def _bar_svg(title: str, data: dict[str, int], *, horizontal: bool = True) -> str:
    """A bar chart as inline SVG (matplotlib, text kept as text)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"
    labels, values = list(data), list(data.values())
    height = max(2.0, 0.35 * len(labels) + 1.0) if horizontal else 3.2
    fig, ax = plt.subplots(figsize=(6.4, height))
    try:
        if horizontal:
            ax.barh(labels[::-1], values[::-1], color="#0969da")
            ax.set_xlabel("receipts")
        else:
            ax.bar(labels, values, color="#0969da")
            ax.set_ylabel("receipts")
            ax.tick_params(axis="x", labelrotation=45)
        from matplotlib.ticker import MaxNLocator

        (ax.xaxis if horizontal else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        out = io.StringIO()
        fig.savefig(out, format="svg")
    finally:
        plt.close(fig)
    svg = out.getvalue()
    return svg[svg.index("<svg") :]


def _chart(title: str, data: dict[str, int] | None, caption: str, **kw: Any) -> str:
    if not data:
        label = f"<b>{html.escape(title)}</b>: no data. {html.escape(caption)}"
        return f"<figure><figcaption>{label}</figcaption></figure>"
    svg = _bar_svg(title, data, **kw)
    return f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_html(report: AuditReport) -> str:
    """The report as one HTML page."""
    verdict = "pass" if report.passed else "fail"
    a = report.accesses
    refusals_caption = (
        "Refusals by code, from the gateways' /metrics (queries refused: no data, no receipt)."
        if a.refusals is not None
        else "The gateways audited expose no refusal counters (no /metrics read)."
    )
    charts = "".join(
        [
            _chart("Accesses by institution (consumer)", a.by_consumer, "Receipts per consumer."),
            _chart("Accesses by purpose", a.by_purpose, "Receipts per purpose code."),
            _chart("Accesses by resource", a.by_resource, "Receipts per catalogue resource."),
            _chart("Accesses by day (CST)", a.by_day, "Receipts per day.", horizontal=False),
            _chart("Refused queries", a.refusals, refusals_caption),
        ]
    )
    rule_rows = "".join(
        f"<tr><td><code>{code}</code></td><td>{_esc(r.area)}</td>"
        f"<td class='sev-{r.severity.value}'>{r.severity.value}</td><td>{_esc(r.checks)}</td>"
        f"<td class='num'>{r.findings}</td></tr>"
        for code, r in report.rules.items()
    )
    finding_rows = "".join(
        f"<tr><td class='sev-{f.severity.value}'>{f.severity.value}</td><td><code>{f.code}</code>"
        f"</td><td>{_esc(f.subject.describe())}</td><td>{_esc(f.message)}</td>"
        f"<td><code>{_esc(f.expected)}</code></td><td><code>{_esc(f.found)}</code></td></tr>"
        for f in sorted(report.findings, key=lambda f: (f.severity is not Severity.FAIL, f.code))
    )
    sources = "".join(
        f"<tr><td>{_esc(s.provider)}</td><td><code>{_esc(s.source)}</code></td>"
        f"<td class='num'>{s.entries}</td><td class='num'>{s.anchored_batches}</td></tr>"
        for s in report.sources
    )
    pending = "".join(
        f"<tr><td>{_esc(p['provider'])}</td><td class='num'>{p['log_index']}</td>"
        f"<td><code>{_esc(p['receipt_id'])}</code></td><td>{_when(int(p['served_at_ms']))}</td></tr>"
        for p in report.pending
    )
    counts = "".join(
        f"<tr><td>{_esc(k)}</td><td class='num'>{v:,}</td></tr>" for k, v in report.counts.items()
    )
    c = report.chain
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>泉城链 audit report — chain {c["chain_id"]}, block {c["to_block"]}</title>
<style>{_CSS}</style></head>
<body><main>
<h1>泉城链 audit report (审计报告)</h1>
<p class="verdict {verdict}" role="status">{"PASSED" if report.passed else "FAILED"}:
{report.failures} failing finding(s), {report.warnings} warning(s).</p>
<p>{_esc(report.summary)}</p>
<p>Chain {c["chain_id"]}, blocks {c["from_block"]}–{c["to_block"]}; evidence collected
{_when(int(c["collected_at_ms"]))}; report generated {_when(report.generated_at_ms)}.</p>
<h2>Findings</h2>
{
        "<p>None.</p>"
        if not report.findings
        else f'''<table><caption>Every finding, failures
first.</caption><thead><tr><th>severity</th><th>rule</th><th>subject</th><th>what</th>
<th>expected</th><th>found</th></tr></thead><tbody>{finding_rows}</tbody></table>'''
    }
<h2>Charts</h2><div class="charts">{charts}</div>
<h2>Rules</h2>
<table><caption>Each rule and how many findings it raised.</caption><thead><tr><th>code</th>
<th>area</th><th>severity</th><th>checks</th><th>findings</th></tr></thead>
<tbody>{rule_rows}</tbody></table>
<h2>Evidence</h2>
<table><caption>What was read.</caption><thead><tr><th>item</th><th>count</th></tr></thead>
<tbody>{counts}</tbody></table>
<table><caption>Receipt logs.</caption><thead><tr><th>provider</th><th>source</th>
<th>receipts</th><th>anchored batches</th></tr></thead><tbody>{sources}</tbody></table>
<h2>Pending receipts</h2>
{
        "<p>None: every receipt is in an anchored batch.</p>"
        if not report.pending
        else f'''<table>
<caption>Receipts not anchored yet (not a failure while younger than the bound).</caption>
<thead><tr><th>provider</th><th>log_index</th><th>receipt</th><th>served</th></tr></thead>
<tbody>{pending}</tbody></table>'''
    }
</main></body></html>
"""
