"""``quancheng audit`` and ``quancheng receipt verify``: reports, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from quancheng.chain import code32
from quancheng_cli.main import app
from quancheng_gateway.process import GatewayProcess
from tests.audit.trail import DL, VR, Trail
from tests.utils.ports import free_port
from tests.utils.scenario import gateway_settings

runner = CliRunner()


def test_audit_of_saved_evidence_writes_both_reports_and_passes(
    trail: Trail, tmp_path: Path
) -> None:
    out, page = tmp_path / "report.json", tmp_path / "report.html"
    tol = str(trail.config.clock_tolerance_s)
    result = runner.invoke(
        app,
        [
            "audit",
            "--evidence",
            str(trail.evidence_dir),
            "--clock-tolerance",
            tol,
            "--out",
            str(out),
            "--html",
            str(page),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.output and "receipts verified/s" in result.output
    report = json.loads(out.read_text())
    assert report["passed"] and report["findings"] == [] and report["counts"]["receipts"] == 10
    assert set(report["rules"]) >= {"RECEIPT_SIGNATURE_INVALID", "BATCH_ROOT_MISMATCH"}
    html = page.read_text()
    assert "<svg" in html and "按用途" in html and "通过：每一条规则都成立" in html
    assert "<script" not in html and 'src="http' not in html and 'href="http' not in html


def test_audit_against_the_chain_with_an_exported_log(trail: Trail, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    trail.sc.net.manifest.save(manifest)
    log_file = trail.evidence_dir / "logs" / f"{trail.provider}.json"
    result = runner.invoke(
        app,
        [
            "audit",
            "--manifest",
            str(manifest),
            "--rpc-url",
            trail.sc.rpc_url,
            "--receipt-log",
            str(log_file),
            "--clock-tolerance",
            str(trail.config.clock_tolerance_s),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output


def test_tampered_evidence_fails_with_exit_code_1(trail: Trail, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(trail.evidence_dir, evidence)
    log_file = evidence / "logs" / f"{trail.provider}.json"
    log = json.loads(log_file.read_text())
    log["entries"][3]["receipt"]["served_at_ms"] += 1000
    log_file.write_text(json.dumps(log))
    result = runner.invoke(app, ["audit", "--evidence", str(evidence)])
    assert result.exit_code == 1, result.output
    assert "FAIL RECEIPT_SIGNATURE_INVALID receipt " + trail.provider + "#3" in result.output


def test_usage_and_unreadable_sources_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["audit"]).exit_code == 2
    assert runner.invoke(app, ["audit", "--evidence", str(tmp_path / "none")]).exit_code == 2
    (tmp_path / "m.json").write_text("{}")
    result = runner.invoke(
        app, ["audit", "--manifest", str(tmp_path / "m.json"), "--rpc-url", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 2


def test_receipt_verify_exit_codes(trail: Trail, tmp_path: Path) -> None:
    good = trail.bundles["after_rotation"]
    result = runner.invoke(app, ["receipt", "verify", str(good)])
    assert result.exit_code == 0, result.output
    assert "✓ receipt signature" in result.output and "OK: receipt" in result.output
    bad = tmp_path / "bad.json"
    data = json.loads(good.read_text())
    data["grant"]["document"] = data["grant"]["document"].replace('"max_uses":10', '"max_uses":9')
    bad.write_text(json.dumps(data))
    result = runner.invoke(app, ["receipt", "verify", str(bad)])
    assert result.exit_code == 1
    assert "✗ grant digest" in result.output
    assert runner.invoke(app, ["receipt", "verify", str(tmp_path / "missing.json")]).exit_code == 2


def test_receipt_verify_against_the_chain(trail: Trail, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    trail.sc.net.manifest.save(manifest)
    result = runner.invoke(
        app,
        [
            "receipt",
            "verify",
            str(trail.bundles["before_rotation"]),
            "--manifest",
            str(manifest),
            "--rpc-url",
            trail.sc.rpc_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "✓ anchor on chain" in result.output and "✓ grant on chain" in result.output


def test_audit_of_a_live_gateway_reads_its_log_as_the_auditor(trail: Trail, tmp_path: Path) -> None:
    """``quancheng audit --gateway URL``: the gateway answers the signed auditor, not others."""
    sc = trail.sc
    db = tmp_path / "gateway.db"
    shutil.copy(trail.evidence_dir.parent / "gateway.db", db)
    settings = gateway_settings(
        sc, database_url=f"sqlite:///{db}", port=free_port(),
        sm2_key_pem=sc.provider.sm2.to_pem().decode(),
    )  # fmt: skip
    manifest, key = tmp_path / "manifest.json", tmp_path / "auditor.pem"
    sc.net.manifest.save(manifest)
    key.write_bytes(sc.auditor.sm2.to_pem())
    common = ["audit", "--manifest", str(manifest), "--rpc-url", sc.rpc_url, "--quiet",
              "--clock-tolerance", str(trail.config.clock_tolerance_s)]  # fmt: skip
    gateway = GatewayProcess(settings, log_file=tmp_path / "gateway.log")
    gateway.start()
    listed = sc.net.contracts.resource(code32(VR)).endpoint
    _set_endpoints(trail, gateway.url)  # the auditor reads the catalogue's endpoints only
    try:
        common += ["--gateway", gateway.url]
        unsigned = runner.invoke(app, common)
        assert unsigned.exit_code == 2 and "401 UNAUTHENTICATED" in unsigned.output, unsigned.output
        reader = ["--reader", sc.auditor.code, "--reader-key", str(key)]
        signed = runner.invoke(app, [*common, *reader])
        assert signed.exit_code == 0, signed.output
        assert "PASSED" in signed.output
    finally:
        _set_endpoints(trail, listed)
        gateway.stop()


def _set_endpoints(trail: Trail, endpoint: str) -> None:
    """The provider points the catalogue's entries of its resources at ``endpoint``."""
    net = trail.sc.net
    for resource in (VR, DL):
        net.send(trail.sc.provider, net.catalogue.functions.setEndpoint(code32(resource), endpoint))
