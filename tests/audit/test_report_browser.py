"""The audit report in a real browser, as a regulator reads it: Debian's chromium (headless,
under Playwright, as tests/portal drives it) opens the rendered file.

Set ``QC_AUDIT_SCREENSHOT_DIR=docs`` to refresh ``docs/audit-report*.png``; otherwise the
shots go to the test's temporary directory (the page is still rendered and checked).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quancheng_audit.texts_zh import RULE_TEXTS
from tests.audit.reports import Rendered, audit_offline, tampered_evidence
from tests.audit.trail import Trail
from tests.utils.browser import headless_chromium

HEADINGS = [
    "审计结论",
    "发现的问题",
    "按数据主体",
    "按回执",
    "访问统计",
    "审计规则一览",
    "审计依据",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's headless chromium under Playwright (never a downloaded browser)."""
    yield from headless_chromium()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh page that fails the test on any console error or page error."""
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1100, "height": 900}
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
    try:
        yield page
    finally:
        context.close()
    assert errors == []


@pytest.fixture(scope="module")
def failing(trail: Trail, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The report of the trail's evidence with two receipts rewritten after signing."""
    work = tmp_path_factory.mktemp("audit-report")
    run = audit_offline(trail, tampered_evidence(trail, work / "evidence"), work / "out")
    assert run.exit_code == 1, run.output
    return run


def test_the_report_reads_in_chinese_explanation_first(
    page: Any, failing: Rendered, trail: Trail, tmp_path: Path
) -> None:
    page.goto(failing.html_file.as_uri())
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "泉城链审计报告"
    assert page.locator("h2").all_inner_texts() == HEADINGS
    verdict = page.get_by_role("status")
    assert verdict.inner_text().startswith("未通过：3 条规则共发现")
    group = page.locator("#rule-RECEIPT_SIGNATURE_INVALID")
    meaning = group.locator("p.meaning")
    assert meaning.inner_text() == RULE_TEXTS["RECEIPT_SIGNATURE_INVALID"].meaning
    details = group.locator("details.tech")
    assert meaning.bounding_box()["y"] < details.bounding_box()["y"]
    technical = details.locator("table")
    assert not technical.is_visible()  # the cascade stays folded until asked for
    details.locator("summary").click()
    assert technical.is_visible() and "signature does not verify" in technical.inner_text()
    names = page.locator("#by-receipt .inst").all_inner_texts()
    assert any(n.startswith("车管所（测试）") for n in names)
    assert any(n.startswith("测试银行") for n in names)
    out = Path(os.environ.get("QC_AUDIT_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    bottom = page.eval_on_selector("#findings", "e => e.getBoundingClientRect().bottom + scrollY")
    page.screenshot(  # the verdict and the findings, the first group's details unfolded
        path=str(out / "audit-report.png"),
        clip={"x": 0, "y": 0, "width": 1100, "height": float(bottom) + 16},
        full_page=True,
    )
    page.locator("#by-receipt").screenshot(path=str(out / "audit-report-receipts.png"))


def test_a_complaint_about_one_receipt_or_owner_lands_on_it(
    page: Any, failing: Rendered, trail: Trail
) -> None:
    altered = trail.log().entries[1]["receipt"]
    page.goto(f"{failing.html_file.as_uri()}#r-{altered['receipt_id']}")
    row = page.locator(f"tr:has(#r-{altered['receipt_id']})")
    assert _in_viewport(page, f"#r-{altered['receipt_id']}")
    assert "未通过" in row.inner_text()
    assert RULE_TEXTS["RECEIPT_SIGNATURE_INVALID"].title in row.inner_text()
    owner = trail.grants["plain"].owner_pseudonym.lower()
    page.goto(f"{failing.html_file.as_uri()}#o-{owner}")
    assert _in_viewport(page, f"#o-{owner}")
    section = page.locator(f"#o-{owner}")
    assert altered["receipt_id"] in section.inner_text()
    section.get_by_role("link", name=altered["receipt_id"]).click()
    assert _in_viewport(page, f"#r-{altered['receipt_id']}")


def _in_viewport(page: Any, selector: str) -> bool:
    top = page.eval_on_selector(selector, "e => e.getBoundingClientRect().top")
    return -2 <= float(top) < 900  # scrolled to it (to within a pixel)
