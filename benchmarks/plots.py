"""Plots of the benchmark figures, drawn from their raw JSON (``benchmarks/results/*.json``).

Each benchmark calls :func:`render` right after writing its JSON; ``python -m
benchmarks.plots`` redraws every PNG in ``docs/bench/`` from those files without measuring
again.  One style for all (Agg, no pyplot state kept: each figure is closed once saved), and
byte-for-byte the same PNG for the same JSON (no timestamp or version in the file).
Labels are ASCII so the plots do not depend on a CJK font being installed.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from benchmarks.report import add_output_args, apply_output_args, plots_dir, results_dir

OURS, BASE, EXTRA = "#1f5f99", "#a0a0a0", "#d9822b"
PCT_COLOURS = {"p50": "#1f5f99", "p95": "#d9822b", "p99": "#c0392b"}
DPI = 110
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}

Renderer = Callable[[dict[str, Any], Path], list[Path]]


@contextmanager
def figure(
    path: Path,
    *,
    ncols: int = 1,
    size: tuple[float, float] = (7.5, 4.0),
    rect: tuple[float, float, float, float] = (0, 0, 1, 1),
) -> Iterator[tuple[Figure, list[Axes]]]:
    """A figure in the house style, saved to ``path`` and closed on leaving the block."""
    with plt.style.context(STYLE):
        fig, axes = plt.subplots(1, ncols, figsize=size, squeeze=False)
        try:
            yield fig, list(axes[0])
            fig.tight_layout(rect=rect)
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=DPI, format="png", metadata={"Software": None})
        finally:
            plt.close(fig)


def _hbars(
    ax: Axes, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]]
) -> None:
    """Horizontal grouped bars, the first label at the top."""
    height = 0.8 / len(series)
    centres = [len(labels) - 1 - j for j in range(len(labels))]
    for i, (name, values, colour) in enumerate(series):
        offset = (len(series) - 1) / 2 - i  # first series on top within its group
        ax.barh([y + offset * height for y in centres], values, height, color=colour, label=name)
    ax.set_yticks(centres, labels)
    ax.grid(axis="y", visible=False)


# -- one renderer per benchmark ---------------------------------------------------------


def crypto(data: dict[str, Any], out: Path) -> list[Path]:
    """ours vs ``openssl speed``: SM2 operations/s and SM3/SM4 MB/s, ratio at each pair."""
    rows = [
        r
        for r in data["rows"]
        if r["ours"] and r["openssl"] and "(OpenSSL column: ours" not in r["name"]
    ]
    path = out / "crypto.png"
    with figure(path, ncols=2, size=(11.0, 4.4), rect=(0, 0.07, 1, 1)) as (fig, axes):
        for ax, unit, scale, title in (
            (axes[0], "/s", 1.0, "SM2 operations per second"),
            (axes[1], "MB/s", 1e6, "SM3 / SM4 throughput (MB/s, 10^6 bytes)"),
        ):
            sel = [r for r in rows if r["unit"] == unit]
            labels = [r["name"].replace(" (", "\n(", 1) for r in sel]
            ours = [r["ours"] / scale for r in sel]
            theirs = [r["openssl"] / scale for r in sel]
            _hbars(ax, labels, [("quancheng.crypto", ours, OURS), ("openssl speed", theirs, BASE)])
            for j, (a, b) in enumerate(zip(ours, theirs, strict=True)):
                ax.text(max(a, b) * 1.02, len(sel) - 1 - j, f"{a / b:.2f}", va="center", fontsize=8)
            ax.set_xlim(0, max(ours + theirs) * 1.18)
            ax.set_title(title)
        fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncols=2)
        fig.suptitle("National crypto beside openssl speed, same run (label: ours / OpenSSL)")
    return [path]


def datagen(data: dict[str, Any], out: Path) -> list[Path]:
    """Generation (entities/s) and loading (rows/s), baselines in grey."""
    path = out / "datagen.png"
    with figure(path, ncols=2, size=(11.0, 4.6)) as (fig, axes):
        for ax, unit, title in (
            (axes[0], "", "generation, entities/s"),
            (axes[1], "rows", "loading, rows/s"),
        ):
            sel = [r for r in data["rows"] if r["unit"] == unit]
            labels = [r["what"].replace(" (", "\n(", 1).replace(": ", ":\n", 1) for r in sel]
            rates = [r["n"] / r["seconds"] for r in sel]
            ys = range(len(sel) - 1, -1, -1)
            ax.barh(list(ys), rates, color=[BASE if r["baseline"] else OURS for r in sel])
            ax.set_yticks(list(ys), labels, fontsize=7)
            ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
            ax.grid(axis="y", visible=False)
            ax.set_title(title)
        fig.suptitle("Synthetic department data (grey: same-run baselines)")
    return [path]


def _log_y(ax: Axes) -> None:
    """Log y axis with plain tick labels (1, 2, 5, 10, 20, ...)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _thousands(value: float, _pos: int) -> str:
    return f"{value / 1000:,.0f}k" if value else "0"


def gateway(data: dict[str, Any], out: Path) -> list[Path]:
    """Concurrency sweep, latency, memory over time, grants scaling, anchoring."""
    levels = data["levels"]
    cs = [lv["c"] for lv in levels]
    paths = [
        out / f"gateway_{n}.png" for n in ("throughput", "latency", "memory", "grants", "anchoring")
    ]
    with figure(paths[0]) as (_fig, (ax,)):
        ax.plot(cs, [lv["qps"] for lv in levels], "o-", color=OURS, label="answered/s")
        ceiling = data["sm2"]["ceiling"]
        if math.isfinite(ceiling):  # NaN when the openssl CLI was missing
            ax.axhline(
                ceiling, color=EXTRA, ls="--", label=f"SM2 ceiling, one core ({ceiling:,.0f}/s)"
            )
        _log2_x(ax, cs, "concurrent connections")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("verified queries answered per second")
        ax.set_title("Gateway throughput vs concurrency (same-run openssl speed sm2 ceiling)")
        ax.legend(loc="best")
    with figure(paths[1]) as (_fig, (ax,)):
        for p, colour in PCT_COLOURS.items():
            ax.plot(cs, [lv[p] for lv in levels], "o-", color=colour, label=p)
        _log2_x(ax, cs, "concurrent connections")
        _log_y(ax)
        ax.set_ylabel("latency, ms (log)")
        ax.set_title("Gateway latency vs concurrency")
        ax.legend()
    _memory(data["memory"], paths[2])
    with figure(paths[3]) as (_fig, (ax,)):
        g = [s["grants"] for s in data["scaling"]]
        ax.plot(g, [s["c1"]["p50"] for s in data["scaling"]], "o-", color=OURS, label="c=1 p50")
        ax.plot(g, [s["c32"]["p50"] for s in data["scaling"]], "s-", color=EXTRA, label="c=32 p50")
        ax.plot(
            g, [s["c32"]["p99"] for s in data["scaling"]], "^-", color="#c0392b", label="c=32 p99"
        )
        ax.set_xscale("log")
        ax.set_xticks(g, [f"{v:,}" for v in g])
        ax.minorticks_off()
        _log_y(ax)
        ax.set_xlabel("ACTIVE grants in the gateway's view (log)")
        ax.set_ylabel("latency, ms (log)")
        ax.set_title("Query latency as active grants grow")
        ax.legend()
    a = data["anchoring"]
    with figure(paths[4], size=(7.5, 3.2)) as (_fig, (ax,)):
        labels = [
            "node raw tx/s\n(pre-signed transfers)",
            "anchoring tx/s\n(2 per batch)",
            "receipts anchored/s",
        ]
        values = [data["node_tx_rate"], a["tx_rate"], a["rate"]]
        ax.barh([2, 1, 0], values, color=[BASE, EXTRA, OURS])
        ax.set_yticks([2, 1, 0], labels)
        for y, v in zip([2, 1, 0], values, strict=True):
            ax.text(v, y, f" {v:,.1f}" if v < 10 else f" {v:,.0f}", va="center")
        ax.set_xscale("log")
        ax.set_xlim(min(values) / 2, max(values) * 4)
        ax.set_xlabel("per second (log)")
        ax.grid(axis="y", visible=False)
        ax.set_title(
            f"Anchoring during the load ({a['receipts']:,} receipts) vs the node's raw rate"
        )
    return paths


def _log2_x(ax: Axes, cs: Sequence[int], label: str) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(cs), [str(c) for c in cs])
    ax.minorticks_off()
    ax.set_xlabel(label)


def _memory(memory: dict[str, Any], path: Path) -> None:
    samples = memory["samples"]
    with figure(path) as (_fig, (ax,)):
        for i, (label, t0, t1) in enumerate(memory["phases"]):
            ax.axvspan(t0, t1, color=OURS if i % 2 else BASE, alpha=0.12, lw=0)
            ax.text(
                (t0 + t1) / 2, 0.03, label, transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=7, rotation=90,
            )  # fmt: skip
        ax.plot([s[0] for s in samples], [s[1] for s in samples], color=OURS, lw=1.2)
        ax.set_ylim(0, max([s[1] for s in samples] + [1.0]) * 1.15)
        ax.set_xlabel("seconds since the first load level started")
        ax.set_ylabel("gateway RSS, MiB")
        every = memory["interval_s"]
        ax.set_title(f"Gateway resident memory under load (sampled every {every:g} s)")


def decisions(data: dict[str, Any], out: Path) -> list[Path]:
    """p50/p95/p99 per decision kind beside one verified query (hatched)."""
    cases = data["cases"]
    path = out / "decisions.png"
    with figure(path, size=(8.5, 4.2)) as (_fig, (ax,)):
        width = 0.26
        for i, (p, colour) in enumerate(PCT_COLOURS.items()):
            xs = [j + (i - 1) * width for j in range(len(cases))]
            bars = ax.bar(xs, [c["percentiles"][p] for c in cases], width, color=colour, label=p)
            for bar, c in zip(bars, cases, strict=True):
                bar.set_hatch("//" if c["baseline"] else "")
        ax.set_xticks(range(len(cases)), [c["label_en"] for c in cases], fontsize=8)
        ax.set_ylabel("ms from the call to the stored decision")
        ax.set_title(
            f"Decisions end to end, {data['rounds']} of each (hatched: one verified query)"
        )
        ax.legend()
    return [path]


def audit(data: dict[str, Any], out: Path) -> list[Path]:
    """Receipts verified/s per worker count, beside the bare single-thread verify loop."""
    rows, base = data["rows"], data["baseline_per_s"]
    path = out / "audit.png"
    with figure(path, size=(7.0, 3.8)) as (_fig, (ax,)):
        xs = range(len(rows))
        ax.bar(xs, [r["per_s"] for r in rows], 0.6, color=OURS, label="audit, receipts verified/s")
        ax.axhline(base, color=EXTRA, ls="--", label=f"bare SM2 verify, one thread ({base:,.0f}/s)")
        ax.plot(
            xs, [base * r["workers"] for r in rows], "x:", color=BASE, label="bare verify x workers"
        )
        ax.set_xticks(list(xs), [f"{r['workers']} worker(s)" for r in rows])
        ax.set_ylabel("per second")
        ax.set_title(f"Auditor over {data['n']:,} receipts")
        ax.legend(loc="best")
    return [path]


def _at(record: dict[str, Any], keys: Sequence[str]) -> Any:
    for key in keys:
        record = record[key]
    return record


def longevity(data: dict[str, Any], out: Path) -> list[Path]:
    """Restart time and node RSS against chain length (log-log), the previous design in grey."""
    points, prev = data["points"], data["previous"]
    txs, old = [p["txs"] for p in points], [p["txs"] for p in prev["points"]]
    ticks = sorted({*txs, *old})
    panels = (
        ("Node restart time", "seconds until JSON-RPC answers (log)", "start_s", "restart_s",
         (("restart at the length (stop + start)", ("restart_s",)),
          ("full journal: start after kill -9", ("full", "kill_start_s")))),
        ("Node resident memory", "node RSS, MiB (log)", "rss_mib", "rss_after_mib",
         (("after restart at the length", ("rss_after_mib",)),
          ("after restart with a full journal", ("full", "rss_after_mib")),
          ("running, before the kill", ("full", "rss_before_mib")))),
    )  # fmt: skip
    path = out / "longevity.png"
    with figure(path, ncols=2, size=(11.0, 4.6), rect=(0, 0, 1, 0.95)) as (fig, axes):
        for ax, panel in zip(axes, panels, strict=True):
            title, ylabel, empty, old_key, series = panel
            for (label, keys), style, colour in zip(
                series, ("o-", "s--", "^:"), (OURS, EXTRA, "#c0392b"), strict=False
            ):
                ax.plot(txs, [_at(p, keys) for p in points], style, color=colour, label=label)
            ax.plot(old, [p[old_key] for p in prev["points"]], "o-", color=BASE, label="previous")
            ax.axhline(data["empty"][empty], color=OURS, ls=":", lw=1, label="empty chain")
            if empty == "start_s":
                ax.axhline(10, color="#c0392b", ls="--", lw=1, label="issue 15: <= 10 s at 10^6")
            ax.set_xscale("log")
            ax.set_xticks(ticks, [f"{v:,}" for v in ticks])
            ax.minorticks_off()
            _log_y(ax)
            ax.set_xlabel("chain length, transactions (log)")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.legend(fontsize=7, loc="upper left")
        fig.suptitle(f"Local node with snapshots; grey, previous: {prev['label']}", fontsize=9)
    return [path]


RENDERERS: dict[str, Renderer] = {
    "crypto": crypto,
    "datagen": datagen,
    "gateway": gateway,
    "decisions": decisions,
    "audit": audit,
    "longevity": longevity,
}


def render(name: str, data: dict[str, Any], out: Path) -> list[Path]:
    """Draw the plots of benchmark ``name`` into ``out``; returns the files written."""
    renderer = RENDERERS.get(name)
    return renderer(data, out) if renderer else []


def main() -> None:
    """Redraw every plot from ``benchmarks/results/*.json`` (no measuring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_output_args(parser, measuring=False)
    args = parser.parse_args()
    apply_output_args(args)
    for path in sorted(results_dir().glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        for written in render(record["bench"], record["data"], plots_dir()):
            print(written)


if __name__ == "__main__":
    main()
