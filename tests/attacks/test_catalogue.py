"""The catalogue is one list: every attack test is in docs/attacks.md and in the package's
docstring, everything they name exists, and there are at least 30 attacks."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import tests.attacks

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "attacks.md"
ROW = re.compile(r"^\| (\d+) \|(.*)$", re.MULTILINE)
#: A test named in a row: ``test_x.py::test_y`` (in tests/attacks) or ``tests/dir/test_x.py::…``;
#: a ``…::`` continues the module named before it.
NAMED = re.compile(r"`(?:(tests/[\w/]+/)?(test_\w+\.py)|…)::(test_\w+)")


def _tests() -> dict[str, set[str]]:
    """Test functions by module, from the sources (what pytest would collect)."""
    found: dict[str, set[str]] = {}
    for path in sorted(HERE.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found[path.name] = {
            n.name
            for n in tree.body
            if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
        }
    return found


def _named(row: str) -> list[tuple[Path, str]]:
    """(test file, test name) of every test a row names."""
    named, directory, module = [], HERE, ""
    for folder, mod, test in NAMED.findall(row):
        if mod:
            directory = HERE.parents[1] / folder if folder else HERE
            module = mod
        named.append((directory / module, test))
    return named


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_every_row_names_a_test_that_exists_and_rows_are_numbered() -> None:
    rows = ROW.findall(DOC.read_text(encoding="utf-8"))
    assert [int(n) for n, _ in rows] == list(range(1, len(rows) + 1))
    missing = [
        (str(path), test)
        for _, row in rows
        for path, test in _named(row)
        if not path.exists() or test not in _defined(path)
    ]
    assert missing == []
    assert all(_named(row) for _, row in rows)
    assert len(rows) >= 30


def test_every_attack_test_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    docstring = tests.attacks.__doc__ or ""
    names = {t for ts in _tests().values() for t in ts}
    assert sorted(n for n in names if not re.search(rf"(`|::){n}(`|\[)", doc)) == []
    assert sorted(n for n in names if n not in docstring) == []
