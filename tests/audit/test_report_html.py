"""The offline audit of saved evidence renders the regulator's report: in Chinese, the verdict
first, every rule that found something explained in plain words before its technical details,
institutions by name, and every owner and receipt listed with an anchor."""

from __future__ import annotations

import html
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quancheng_audit.texts_zh import RULE_TEXTS
from quancheng_cli.main import app
from tests.audit.reports import TAMPERED_CODES, audit_offline, tampered_evidence
from tests.audit.trail import Trail

ROOT = Path(__file__).resolve().parents[2]
HEADINGS = (
    "审计结论",
    "发现的问题",
    "按数据主体",
    "按回执",
    "访问统计",
    "审计规则一览",
    "审计依据",
)
#: The keys of ``quancheng.audit-report/1`` before the listings were added.
REPORT_KEYS = {"format", "passed", "summary", "generated_at_ms", "chain", "sources", "counts",
               "checked", "rules", "failures", "warnings", "findings", "pending", "stats",
               "accesses"}  # fmt: skip


def _between(page: str, start: str, end: str) -> str:
    """The part of ``page`` from ``start`` to the next ``end``."""
    part = page[page.index(start) :]
    return part[: part.index(end)]


def test_offline_audit_of_saved_evidence_renders_the_report_in_chinese(
    trail: Trail, tmp_path: Path
) -> None:
    run = audit_offline(trail, trail.evidence_dir, tmp_path)
    assert run.exit_code == 0, run.output
    page = run.html
    assert page.startswith("<!doctype html>") and '<html lang="zh-CN">' in page
    positions = [page.index(f"<h2>{h}</h2>") for h in HEADINGS]
    assert positions == sorted(positions)
    assert "通过：每一条规则都成立" in page and "未发现任何问题" in page
    assert 'class="badge' not in page  # no severity shown: no rule found anything
    assert "车管所（测试）" in page and "测试银行" in page and "测试审计局" in page
    assert f'<code class="sub">{trail.provider}</code>' in page  # the code, secondary
    assert "<svg" in page and "按用途" in page
    assert "<script" not in page and 'src="http' not in page and 'href="http' not in page


def test_every_receipt_and_owner_of_the_trail_has_an_anchor(trail: Trail, tmp_path: Path) -> None:
    run = audit_offline(trail, trail.evidence_dir, tmp_path)
    page = run.html
    ids = [e["receipt"]["receipt_id"] for e in trail.log().entries]
    assert [r["receipt_id"] for r in run.report["receipts"]] == ids
    for rid in ids:
        assert f'id="r-{rid}"' in page
    for name, doc in trail.grants.items():
        owner = doc.owner_pseudonym.lower()
        section = _between(page, f'id="o-{owner}"', "</section>")
        assert doc.grant_id.lower()[:10] in section, name
        assert "未发现问题" in section
    statuses = {g["grant_id"]: g["status"] for g in run.report["grants"]}
    assert statuses[trail.grants["revoked"].grant_id.lower()] == "REVOKED"
    assert statuses[trail.grants["limited"].grant_id.lower()] == "EXHAUSTED"


def test_the_json_report_only_gains_the_listings(trail: Trail, tmp_path: Path) -> None:
    report = audit_offline(trail, trail.evidence_dir, tmp_path).report
    assert set(report) == REPORT_KEYS | {"institutions", "grants", "receipts"}
    assert report["format"] == "quancheng.audit-report/1"
    assert report["institutions"][trail.provider] == {
        "name": "车管所（测试）", "role": "PROVIDER", "status": "ACTIVE",
    }  # fmt: skip
    first = report["receipts"][0]
    assert first["provider"] == trail.provider and first["batch"] == 0
    assert first["consumer"] == trail.sc.consumer.code


def test_a_failing_report_explains_each_rule_before_its_technical_details(
    trail: Trail, tmp_path: Path
) -> None:
    run = audit_offline(trail, tampered_evidence(trail, tmp_path / "evidence"), tmp_path / "out")
    assert run.exit_code == 1, run.output
    assert {f["code"] for f in run.report["findings"]} == TAMPERED_CODES
    page = run.html
    assert "未通过：3 条规则共发现" in page
    for code in TAMPERED_CODES:  # every group that fired is listed, none dropped
        group = _between(page, f'id="rule-{code}"', "</section>")
        meaning = html.escape(RULE_TEXTS[code].meaning)
        assert group.index(meaning) < group.index("<details")
        assert f"<code>{code}</code>" in group[group.index("<details") :]
        assert '<span class="badge fail">未通过</span>' in group
    rules = _between(page, '<section id="rules">', "</section>")
    assert rules.count('class="badge') == len(TAMPERED_CODES)  # severity only where found
    altered = trail.log().entries[1]["receipt"]
    row = _between(page, f'id="r-{altered["receipt_id"]}"', "</tr>")
    assert "未通过" in row and RULE_TEXTS["RECEIPT_SIGNATURE_INVALID"].title in row
    owner = trail.grants["plain"].owner_pseudonym.lower()
    assert altered["grant_id"].lower() == trail.grants["plain"].grant_id.lower()
    assert "未通过" in _between(page, f'id="o-{owner}"', "</section>")


def _documented_offline_audits() -> list[tuple[str, list[str]]]:
    """The offline audit commands of README.md and docs/auditing.md, continuation lines joined
    and comments dropped (those that need a consumer's bundle left out)."""
    commands = []
    for doc in (ROOT / "README.md", ROOT / "docs" / "auditing.md"):
        text = doc.read_text(encoding="utf-8").replace("\\\n", " ")
        for line in text.splitlines():
            if not line.lstrip().startswith(("quancheng audit --evidence", ".venv/bin/quancheng")):
                continue
            words = shlex.split(line.split(" #")[0])
            if words[:1] == [".venv/bin/quancheng"]:
                words[0] = "quancheng"
            if words[:3] == ["quancheng", "audit", "--evidence"] and (
                "--consumer-evidence" not in words
            ):
                commands.append((doc.name, words[1:]))
    return commands


def test_the_documented_offline_audits_run_as_written(
    trail: Trail, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = _documented_offline_audits()
    readme = [args for doc, args in commands if doc == "README.md"]
    assert readme and all("var/demo/audit-evidence" in args for args in readme)  # the demo's
    for where in ("evidence", "var/demo/audit-evidence"):  # saved there by the trail instead
        shutil.copytree(trail.evidence_dir, tmp_path / where)
    monkeypatch.chdir(tmp_path)
    for _, args in commands:
        result = CliRunner().invoke(app, args)
        assert result.exit_code in (0, 1), (args, result.output)  # 2: the command is wrong
        tolerance = (
            float(args[args.index("--clock-tolerance") + 1])
            if ("--clock-tolerance" in args)
            else 5.0
        )
        if tolerance >= trail.config.clock_tolerance_s:  # as lenient as this trail needs
            assert result.exit_code == 0, (args, result.output)
        html_file = Path(args[args.index("--html") + 1])
        assert "<h2>按回执</h2>" in html_file.read_text(encoding="utf-8")
