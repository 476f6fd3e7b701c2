"""The audit checks that the contracts it reads are the audited build, correctly wired, and
keeps what it read in the saved evidence so an offline re-audit checks it again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quancheng.chain import ContractSet, make_web3
from quancheng.chain.manifest import Manifest
from quancheng_audit import audit, load_evidence
from quancheng_audit.collect_chain import collect_chain
from quancheng_audit.evidence import ChainEvidence, save_evidence
from quancheng_audit.findings import Finding, Severity, Subject
from quancheng_audit.report import AuditReport
from quancheng_audit.texts_zh import RULE_TEXTS
from tests.node.deployments import (
    DEPLOYER_INDEX,
    deploy_clean,
    deploy_with_rogue_ledger,
    pointing,
)


def _evidence(chain_node: Any, manifest: Manifest) -> ChainEvidence:
    return collect_chain(ContractSet(make_web3(chain_node.rpc_url), manifest))


def _deployment_findings(report: AuditReport) -> list[Finding]:
    return [f for f in report.findings if f.area == "deployment"]


@pytest.fixture(scope="module")
def clean(chain_node: Any) -> Manifest:
    return deploy_clean(chain_node.rpc_url, chain_node.dev_private_keys[DEPLOYER_INDEX])


def test_a_clean_deployment_passes_and_is_counted(chain_node: Any, clean: Manifest) -> None:
    chain = _evidence(chain_node, clean)
    assert chain.deployment is not None
    assert chain.deployment.code.block == chain.to_block
    report = audit(chain, [])
    assert [f.line() for f in report.findings] == []
    assert report.checked["deployment"] == 6


def test_a_grant_registry_bound_to_a_rogue_ledger_fails_the_audit(
    chain_node: Any, tmp_path: Path
) -> None:
    manifest, rogue = deploy_with_rogue_ledger(
        chain_node.rpc_url, chain_node.dev_private_keys[DEPLOYER_INDEX]
    )
    chain = _evidence(chain_node, manifest)
    report = audit(chain, [])
    assert not report.passed
    ledger = manifest.address_of("ReceiptLedger")
    assert _deployment_findings(report) == [
        Finding.of(
            "DEPLOYMENT_WIRING_MISMATCH",
            Subject(kind="contract", contract="GrantRegistry"),
            f"GrantRegistry receiptLedger(): expected ReceiptLedger {ledger}, found {rogue}",
            expected=f"ReceiptLedger {ledger}",
            found=rogue,
        )
    ]
    # Saved and re-audited offline, with no node: the same finding, from the saved code.
    save_evidence(tmp_path, chain, [])
    saved, logs = load_evidence(tmp_path)
    assert _deployment_findings(audit(saved, logs)) == _deployment_findings(report)


def test_a_manifest_naming_another_contract_fails_the_audit_naming_it(
    chain_node: Any, clean: Manifest
) -> None:
    chain = _evidence(chain_node, pointing(clean, "GrantRegistry", "Sm2Verifier"))
    findings = _deployment_findings(audit(chain, []))
    assert [(f.code, f.subject.contract, f.severity) for f in findings] == [
        ("DEPLOYMENT_CODE_MISMATCH", "GrantRegistry", Severity.FAIL),
        ("DEPLOYMENT_WIRING_MISMATCH", "ReceiptLedger", Severity.FAIL),
    ]
    assert findings[0].found == "the build's Sm2Verifier"
    assert findings[0].subject.describe() == "contract GrantRegistry"


def test_saved_code_edited_offline_is_found(
    chain_node: Any, clean: Manifest, tmp_path: Path
) -> None:
    chain = _evidence(chain_node, clean)
    assert chain.deployment is not None
    code = chain.deployment.code
    ledger = code.codes["ReceiptLedger"]
    edited = code.model_copy(update={"codes": {**code.codes, "ReceiptLedger": ledger[:-2] + "00"}})
    deployment = chain.deployment.model_copy(update={"code": edited})
    save_evidence(tmp_path, chain.model_copy(update={"deployment": deployment}), [])
    saved, logs = load_evidence(tmp_path)
    [finding] = _deployment_findings(audit(saved, logs))
    assert (finding.code, finding.subject.contract) == ("DEPLOYMENT_CODE_MISMATCH", "ReceiptLedger")


def test_evidence_saved_without_deployed_code_still_audits(
    chain_node: Any, clean: Manifest
) -> None:
    chain = _evidence(chain_node, clean).model_copy(update={"deployment": None})
    report = audit(chain, [])
    assert report.passed and report.findings == []
    assert report.checked.get("deployment", 0) == 0


def test_deployment_rules_read_in_plain_chinese() -> None:
    for code in ("DEPLOYMENT_CODE_MISMATCH", "DEPLOYMENT_WIRING_MISMATCH"):
        assert RULE_TEXTS[code].title and "合约" in RULE_TEXTS[code].meaning
