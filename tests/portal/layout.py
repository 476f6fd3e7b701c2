"""What every page must be on a phone (390 px) and on a desktop (1280 px), measured in the
browser: nothing wider than the window, no text squeezed to a character or two per line, no
table laid out as a table on a phone; and things named in Chinese, codes at most secondary."""

from __future__ import annotations

from typing import Any

#: Browser contexts: an iPhone-sized phone (the page's own viewport meta applies) and a desktop.
SIZES: dict[str, dict[str, Any]] = {
    "390": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 1,
    },
    "1280": {"viewport": {"width": 1280, "height": 800}},
}

_MEASURE = """() => {
  const shown = (e) => {
    if (e.closest("dialog:not([open]), script, style, [hidden]")) return false;
    const s = getComputedStyle(e);
    const r = e.getBoundingClientRect();
    return s.display !== "none" && s.visibility !== "hidden" && r.width > 0 && r.height > 0;
  };
  const CELLS = "td, th, .badge, button, nav a, dt, label, caption";
  const squeezed = [];
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    if (text.length < 3 || !n.parentElement || !shown(n.parentElement)) continue;
    if (n.parentElement.closest(".visually-hidden")) continue;  // read aloud, never seen
    const range = document.createRange();
    range.selectNodeContents(n);
    const lines = [...range.getClientRects()].filter((r) => r.width > 0);
    const em = parseFloat(getComputedStyle(n.parentElement).fontSize);
    if (lines.length >= 3 && Math.max(...lines.map((r) => r.width)) < 2.5 * em) {
      squeezed.push(text.slice(0, 30));
    }
    // A short name, a state, a heading or a number that is a cell or a label on its own
    // is not broken over two lines ("测试银 / 行").
    const whole = n.parentElement.closest(CELLS);
    if (whole && whole.textContent.trim() === text && text.length <= 8 && lines.length > 1) {
      broken.push(text);
    }
  }
  const wide = [...document.querySelectorAll("body *")]
    .filter((e) => shown(e) && e.getBoundingClientRect().right > innerWidth + 1)
    .map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
  const tables = [...document.querySelectorAll("table")]
    .filter((t) => shown(t) && getComputedStyle(t).display === "table").length;
  const loudCodes = [...document.querySelectorAll(".code")]
    .filter((c) => shown(c) && parseFloat(getComputedStyle(c).fontSize) >=
      parseFloat(getComputedStyle(c.parentElement).fontSize)).length;
  return {
    scrollWidth: document.documentElement.scrollWidth, innerWidth, squeezed, broken, wide,
    tables, loudCodes,
  };
}"""

_PRIMARY_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll(".code, details, pre, script, style, dialog:not([open])")
    .forEach((e) => e.remove());
  return body.textContent;
}"""


def check_layout(page: Any, size: str, what: str) -> None:
    """The page fits the window at ``size``; at 390 px no table is laid out as one."""
    m = page.evaluate(_MEASURE)
    assert m["scrollWidth"] <= m["innerWidth"], (what, size, m["scrollWidth"], m["wide"][:8])
    assert not m["wide"], (what, size, m["wide"][:8])
    assert not m["squeezed"], (what, size, "one character per line", m["squeezed"][:8])
    assert not m["broken"], (what, size, "a short name broken over two lines", m["broken"][:8])
    assert m["loudCodes"] == 0, (what, size, "a code shown as large as the text around it")
    if size == "390":
        assert m["tables"] == 0, (what, "a table laid out as a table on a phone")


def primary_text(page: Any) -> str:
    """The page's text without what is secondary: codes (``.code``), the signed document's
    raw text, scripts and closed dialogs."""
    return str(page.evaluate(_PRIMARY_TEXT))


def check_names(page: Any, what: str, *, shown: tuple[str, ...], codes: tuple[str, ...]) -> None:
    """Each of ``shown`` is in the page's primary text; none of ``codes`` is."""
    text = primary_text(page)
    for name in shown:
        assert name in text, (what, "missing", name)
    for code in codes:
        assert code not in text, (what, "code shown as a name", code)
