"""An honest trail passes: zero findings, every rule counted."""

from __future__ import annotations

from quancheng_audit import audit, load_evidence
from tests.audit.trail import Trail


def test_an_honest_trail_passes_with_zero_findings(trail: Trail) -> None:
    report = audit(trail.chain, trail.logs, trail.config)
    assert [f.line() for f in report.findings] == []
    assert report.passed
    assert report.counts["receipts"] == 10
    assert report.pending == []
    print("\n" + report.summary)


def test_the_saved_evidence_audits_the_same_offline(trail: Trail) -> None:
    chain, logs = load_evidence(trail.evidence_dir)
    report = audit(chain, logs, trail.config)
    assert report.passed and report.findings == []
    assert report.counts["receipts"] == 10
