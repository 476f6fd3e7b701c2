"""The integration guide's reference pages are the code's: regenerated, they must not change."""

from __future__ import annotations

from pathlib import Path

from quancheng.protocol import refusals as r
from quancheng.protocol.remedies import REMEDIES
from quancheng_demo.reference import catalogue_page, main, refusals_page
from quancheng_demo.stack import DEPARTMENTS

ROOT = Path(__file__).resolve().parents[2]


def test_committed_reference_pages_are_current() -> None:
    assert main(["--check", "--root", str(ROOT)]) == 0, (
        "docs/reference is stale: run python -m quancheng_demo.reference"
    )


def test_every_refusal_code_says_what_to_do() -> None:
    assert set(REMEDIES) == set(r.ALL_CODES)
    page = refusals_page()
    for code in r.ALL_CODES:
        assert r.refusal_class(code)().remedy == REMEDIES[code]
        assert f"| `{code}` | {r.refusal_class(code).status} |" in page


def test_catalogue_page_names_every_resource_field_and_indicator_in_chinese() -> None:
    page = catalogue_page()
    for _, department in DEPARTMENTS.values():
        for handler in department.handlers:
            spec = handler.spec
            assert f"### `{spec.resource_id}` — {spec.title}" in page
            labels = {**handler.field_labels, **handler.indicator_labels}  # type: ignore[attr-defined]
            for name in (*spec.fields, *spec.indicators):
                assert labels.get(name), f"{spec.resource_id}.{name} has no Chinese name"
                assert f"| `{name}` | {labels[name]} |" in page


def test_check_reports_a_stale_page_and_writing_fixes_it(tmp_path: Path) -> None:
    (tmp_path / "docs/reference").mkdir(parents=True)
    (tmp_path / "docs/reference/refusals.md").write_text("old\n", encoding="utf-8")

    assert main(["--check", "--root", str(tmp_path)]) == 1
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0
    written = (tmp_path / "docs/reference/catalogue.md").read_text(encoding="utf-8")
    assert written == catalogue_page()
