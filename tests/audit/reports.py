"""Audit reports of the honest trail's saved evidence, rendered as the auditor's command does."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from quancheng_cli.main import app
from tests.audit.trail import Trail

#: What :func:`tampered_evidence` breaks, and the rules that find it.
TAMPERED_CODES = {
    "RECEIPT_SIGNATURE_INVALID",
    "RECEIPT_CONSUMER_NOT_GRANTEE",
    "BATCH_ROOT_MISMATCH",
}


@dataclass
class Rendered:
    """One run of ``quancheng audit --evidence DIR --out report.json --html report.html``."""

    exit_code: int
    output: str
    report: dict[str, Any]
    html_file: Path

    @property
    def html(self) -> str:
        return self.html_file.read_text(encoding="utf-8")


def audit_offline(trail: Trail, evidence: Path, out: Path) -> Rendered:
    """The offline audit of ``evidence`` (as docs/auditing.md writes it), reports into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    json_file, html_file = out / "report.json", out / "report.html"
    tolerance = str(trail.config.clock_tolerance_s)
    args = ["audit", "--evidence", str(evidence), "--out", str(json_file),
            "--html", str(html_file), "--clock-tolerance", tolerance]  # fmt: skip
    result = CliRunner().invoke(app, args)
    report = json.loads(json_file.read_text(encoding="utf-8"))
    return Rendered(result.exit_code, result.output, report, html_file)


def tampered_evidence(trail: Trail, directory: Path) -> Path:
    """A copy of the trail's saved evidence with two receipts rewritten after signing: one's
    time (its signature and its batch's root break) and one's consumer, now the auditor (which
    the grant does not name either)."""
    shutil.copytree(trail.evidence_dir, directory)
    log_file = directory / "logs" / f"{trail.provider}.json"
    log = json.loads(log_file.read_text(encoding="utf-8"))
    log["entries"][1]["receipt"]["served_at_ms"] += 1000
    log["entries"][0]["receipt"]["consumer"] = trail.sc.auditor.code
    log_file.write_text(json.dumps(log), encoding="utf-8")
    return directory
