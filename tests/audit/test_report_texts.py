"""Every rule the engine can raise has its plain-Chinese title and meaning."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import quancheng_audit.rules
from quancheng_audit.findings import RULES, Severity
from quancheng_audit.texts_zh import AREA_TITLES, RULE_TEXTS, SEVERITY_TITLES, rule_text

RULES_DIR = Path(quancheng_audit.rules.__file__).parent
CODE = re.compile(r"^[A-Z]+(_[A-Z]+)+$")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _codes_in_rule_sources() -> set[str]:
    """Every string literal of the rules package shaped like a finding code of a rule area
    (``RECEIPT_…``, ``LOG_…``): what the engine can raise, read from its source."""
    prefixes = tuple({code.split("_")[0] + "_" for code in RULES})
    found: set[str] = set()
    for path in RULES_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and CODE.match(value) and value.startswith(prefixes):
                found.add(value)
    return found


def test_every_rule_code_has_a_title_and_a_meaning_in_chinese() -> None:
    assert set(RULE_TEXTS) == set(RULES)
    for code, text in RULE_TEXTS.items():
        assert CJK.search(text.title) and CJK.search(text.meaning), code
        assert text.meaning.endswith("。"), code


def test_every_code_the_rules_raise_is_a_rule_with_a_text() -> None:
    raised = _codes_in_rule_sources()
    assert {"RECEIPT_SIGNATURE_INVALID", "RECEIPT_EQUIVOCATION", "LOG_GAP"} <= raised
    assert raised - set(RULES) == set(), "a code raised by a rule is not in RULES"
    assert raised - set(RULE_TEXTS) == set()


def test_every_area_and_severity_has_a_label() -> None:
    assert {rule.area for rule in RULES.values()} <= set(AREA_TITLES)
    assert {s.value for s in Severity} == set(SEVERITY_TITLES)


def test_a_code_no_rule_has_still_gets_a_heading() -> None:
    assert rule_text("RECEIPT_FROM_A_NEWER_AUDITOR").title == "RECEIPT_FROM_A_NEWER_AUDITOR"
    assert rule_text("LOG_GAP") == RULE_TEXTS["LOG_GAP"]
