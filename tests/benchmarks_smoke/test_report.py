"""BENCHMARKS.md sections: each benchmark rewrites its own, the machine section goes first."""

from __future__ import annotations

from pathlib import Path

from benchmarks.report import update_section


def test_new_section_is_appended_and_existing_one_replaced_in_place(tmp_path: Path) -> None:
    md = tmp_path / "BENCHMARKS.md"
    update_section("crypto", "## Crypto\n\nold", md)
    update_section("audit", "## Audit", md)
    update_section("crypto", "## Crypto\n\nnew", md)

    text = md.read_text()
    assert text.startswith("# Benchmarks\n")
    assert "old" not in text
    assert text.index("## Crypto\n\nnew") < text.index("## Audit")


def test_first_section_goes_before_every_other_and_stays_there(tmp_path: Path) -> None:
    md = tmp_path / "BENCHMARKS.md"
    update_section("crypto", "## Crypto", md)
    update_section("machine", "## Machine\n\nv1", md, first=True)
    update_section("machine", "## Machine\n\nv2", md, first=True)

    text = md.read_text()
    assert text.index("# Benchmarks") < text.index("<!-- BEGIN machine -->")
    assert text.index("<!-- END machine -->") < text.index("<!-- BEGIN crypto -->")
    assert "v1" not in text and text.count("<!-- BEGIN machine -->") == 1
