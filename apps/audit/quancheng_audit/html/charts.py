"""Bar charts as inline SVG (matplotlib), their text kept as text in a CJK-capable font."""

from __future__ import annotations

import io
import warnings
from functools import cache
from pathlib import Path
from typing import Any

from quancheng_audit.html.common import esc

__all__ = ["chart"]

#: Where Debian (fonts-noto-cjk) and other systems keep a CJK font matplotlib may not index.
_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)
_CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "PingFang SC")


@cache
def _matplotlib() -> tuple[Any, list[str]]:
    """pyplot on the Agg backend, and the font families to set: DejaVu Sans, then a CJK
    font when the system has one (registered here if matplotlib had not indexed it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    def known() -> set[str]:
        return {f.name for f in font_manager.fontManager.ttflist}

    if not known() & set(_CJK_FAMILIES):
        for path in _CJK_FONTS:
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)
                break
    names = known()
    return plt, ["DejaVu Sans", *(f for f in _CJK_FAMILIES if f in names)][:2]


def _bar_svg(title: str, data: dict[str, int], *, horizontal: bool, unit: str) -> str:
    plt, family = _matplotlib()
    from matplotlib.ticker import MaxNLocator

    labels, values = list(data), list(data.values())
    height = max(2.0, 0.35 * len(labels) + 1.0) if horizontal else 3.2
    style = {"svg.fonttype": "none", "font.family": family, "svg.hashsalt": "quancheng"}
    # The browser draws the text with its own fonts; without a CJK font here matplotlib
    # only measures the labels less well, which is not worth a warning.
    with plt.rc_context(style), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig, ax = plt.subplots(figsize=(6.4, height))
        try:
            if horizontal:
                ax.barh(labels[::-1], values[::-1], color="#0969da")
                ax.set_xlabel(unit)
            else:
                ax.bar(labels, values, color="#0969da")
                ax.set_ylabel(unit)
                ax.tick_params(axis="x", labelrotation=45)
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


def chart(
    title: str,
    data: dict[str, int] | None,
    caption: str,
    *,
    horizontal: bool = True,
    unit: str = "回执数",
) -> str:
    """A figure with the chart and its caption, or the caption alone when there is no data."""
    if not data:
        return (
            f"<figure><figcaption><b>{esc(title)}</b>：无数据。{esc(caption)}</figcaption></figure>"
        )
    svg = _bar_svg(title, data, horizontal=horizontal, unit=unit)
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"
