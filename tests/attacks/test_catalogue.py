"""The catalogue is one list: every attack test is in docs/attacks.md and in the package's
docstring, everything they name exists, and there are at least 30 attacks."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import tests.attacks

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "attacks.md"
ROW = re.compile(r"^\| (\d+) \|.*?\| `(test_\w+\.py)::(test_\w+)` \|", re.MULTILINE)


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


def test_every_row_names_a_test_that_exists_and_rows_are_numbered() -> None:
    rows = ROW.findall(DOC.read_text(encoding="utf-8"))
    tests = _tests()
    assert [int(n) for n, _, _ in rows] == list(range(1, len(rows) + 1))
    assert [(m, t) for _, m, t in rows if t not in tests.get(m, set())] == []
    assert len(rows) >= 30


def test_every_attack_test_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    docstring = tests.attacks.__doc__ or ""
    names = {t for ts in _tests().values() for t in ts}
    assert sorted(n for n in names if f"`{n}`" not in doc and f"::{n}`" not in doc) == []
    assert sorted(n for n in names if n not in docstring) == []
