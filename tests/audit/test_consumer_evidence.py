"""Evidence on both sides: a gateway's cheats its own log hides, the consumer's receipts prove.

The cheating trail (:mod:`tests.audit.consumer_trail`) is audited with and without the
consumer's evidence; the honest trail with the consumer holding every receipt stays clean.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from quancheng.crypto import SM2PrivateKey
from quancheng.evidence import EvidenceStore
from quancheng.evidence_bundle import (
    EvidenceBundle,
    EvidenceEntry,
    SignedEvidenceBundle,
    load_evidence_bundle,
    sign_evidence_bundle,
)
from quancheng.protocol import SignedReceipt
from quancheng_audit import AuditReport, ReceiptLog, audit
from tests.audit.consumer_trail import CheatingTrail, build_cheating_trail
from tests.audit.tamper import Key, fresh_fields, keys, signed
from tests.audit.trail import FUNDER_INDEX, Trail

NEW_CODES = {
    "RECEIPT_EQUIVOCATION",
    "RECEIPT_DUPLICATE_REQUEST",
    "RECEIPT_OWNER_NOT_ATTESTED",
    "EVIDENCE_SIGNATURE_INVALID",
    "EVIDENCE_RECEIPT_INVALID",
    "EVIDENCE_LOG_NOT_AUDITED",
}


@pytest.fixture(scope="module")
def cheat(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> CheatingTrail:
    return build_cheating_trail(
        chain_node.rpc_url,
        chain_node.dev_private_keys[FUNDER_INDEX],
        tmp_path_factory.mktemp("consumer-evidence"),
    )


def _run(cheat: CheatingTrail, *bundles: SignedEvidenceBundle) -> AuditReport:
    return audit(cheat.chain, cheat.logs, cheat.config, consumer_evidence=list(bundles))


def _on(cheat: CheatingTrail, code: str, name: str) -> Key:
    rid = cheat.receipts[name]
    index = {"deleted": 0, "twice_second": 3, "after_revocation": 4}[name]
    return code, f"receipt {cheat.sc.provider.code}#{index} ({rid})"


def test_the_consumers_receipt_proves_the_reused_log_position(cheat: CheatingTrail) -> None:
    with_evidence = _run(cheat, cheat.bundle)

    assert not with_evidence.passed
    assert keys(with_evidence) == {
        _on(cheat, "RECEIPT_EQUIVOCATION", "deleted"),
        _on(cheat, "RECEIPT_DUPLICATE_REQUEST", "twice_second"),
        _on(cheat, "RECEIPT_OWNER_NOT_ATTESTED", "after_revocation"),
    }
    (f,) = [f for f in with_evidence.findings if f.code == "RECEIPT_EQUIVOCATION"]
    assert f.severity == "fail" and f.area == "evidence"
    assert f.found == f"not in the log; receipt {cheat.receipts['reused']} at #0"
    assert f.expected == f"receipt {cheat.receipts['deleted']} in the log"
    assert "deleted or rewrote a receipt it had signed" in f.message


def test_without_the_consumers_evidence_the_reused_position_goes_unseen(
    cheat: CheatingTrail,
) -> None:
    codes = {f.code for f in _run(cheat).findings}
    assert codes == {"RECEIPT_DUPLICATE_REQUEST", "RECEIPT_OWNER_NOT_ATTESTED"}


def test_the_consumers_store_flagged_the_second_receipt_at_the_position(
    cheat: CheatingTrail,
) -> None:
    with EvidenceStore(cheat.store_path) as store:
        assert len(store) == 3  # the deleted, the reused and the next: nothing replaced
        (conflict,) = store.conflicts()
    assert conflict.receipt.receipt.receipt_id == cheat.receipts["reused"]
    assert [e.conflict for e in cheat.bundle.bundle.entries] == [False, True, False]


def test_one_request_answered_twice_under_two_receipt_ids(cheat: CheatingTrail) -> None:
    (f,) = [f for f in _run(cheat).findings if f.code == "RECEIPT_DUPLICATE_REQUEST"]
    assert f.subject.receipt_id == cheat.receipts["twice_second"]
    assert f.found == f"{cheat.sc.provider.code}#2 ({cheat.receipts['twice_first']})"


def test_served_after_the_owners_attestation_was_revoked(cheat: CheatingTrail) -> None:
    (f,) = [f for f in _run(cheat).findings if f.code == "RECEIPT_OWNER_NOT_ATTESTED"]
    assert (f.subject.receipt_id, f.found) == (cheat.receipts["after_revocation"], "REVOKED")
    assert "OWNER_NOT_ATTESTED" in f.message


def test_the_gateways_own_view_had_the_revocation(cheat: CheatingTrail) -> None:
    """The real gateway signed a view that had applied the revocation. Its receipt is dated
    (its clock put ahead) after the evidence's head and not anchored, so the audit cannot
    rule out a later re-attestation by block: the clock rule alone finds it. Re-signed with
    the provider's key, dated before the head and naming the revocation's block as its view,
    it is a breach by block, which a twin naming the block before is not."""
    revoked = next(e for e in cheat.chain.events if e.name == "OwnerAttestationRevoked")
    log = ReceiptLog.model_validate(copy.deepcopy(cheat.logs[0].model_dump(mode="json")))
    (real,) = [
        e["receipt"] for e in log.entries
        if e["receipt"]["receipt_id"] == cheat.receipts["after_revocation"]
    ]  # fmt: skip
    assert real["view_block"] >= revoked.block
    served = revoked.time * 1000 - int(cheat.config.clock_tolerance_s * 1000) - 1000
    made = []
    for view in (revoked.block - 1, revoked.block):
        fields = fresh_fields(real, log_index=len(log.entries), view_block=view)
        made.append(signed({**fields, "served_at_ms": served}, cheat.sc.provider.sm2))
        log.entries.append(made[-1])
    twin, forged = made
    report = audit(cheat.chain, [log], cheat.config)

    def codes(entry: dict[str, Any]) -> set[str]:
        rid = entry["receipt"]["receipt_id"]
        return {f.code for f in report.findings if f.subject.receipt_id == rid}

    assert "RECEIPT_OWNER_NOT_ATTESTED_AT_VIEW" not in codes(twin) | {
        f.code for f in _run(cheat).findings
    }
    # dated a second before the tolerance reaches the revocation's block, that view is ahead
    # too; the twin's may or may not be (its block may be mined in an earlier second)
    ahead = {"RECEIPT_VIEW_AHEAD"}
    assert ahead <= codes(forged)
    assert codes(forged) - ahead == codes(twin) - ahead | {"RECEIPT_OWNER_NOT_ATTESTED_AT_VIEW"}
    (f,) = [f for f in report.findings if f.code == "RECEIPT_OWNER_NOT_ATTESTED_AT_VIEW"]
    assert f.found == "REVOKED" and f"after block {revoked.block}" in f.message


def test_a_bundle_not_signed_by_the_consumer_is_a_finding(cheat: CheatingTrail) -> None:
    forged = sign_evidence_bundle(cheat.bundle.bundle, SM2PrivateKey.generate())
    report = _run(cheat, forged)
    assert ("EVIDENCE_SIGNATURE_INVALID", f"evidence {cheat.sc.consumer.code}") in keys(report)


def test_the_exported_bundle_file_round_trips(cheat: CheatingTrail, tmp_path: Path) -> None:
    path = tmp_path / "again.json"
    path.write_text(cheat.bundle.model_dump_json())
    assert load_evidence_bundle(path) == cheat.bundle


# ------------------------------------------------------------------------- honest trail


def _held_by_consumer(trail: Trail, key: SM2PrivateKey | None) -> SignedEvidenceBundle:
    entries = []
    for raw in trail.log().entries:
        signed = SignedReceipt.model_validate(raw)
        entries.append(
            EvidenceEntry(
                receipt=signed,
                request_hash=signed.receipt.request_hash,
                received_at_ms=signed.receipt.served_at_ms + 3,
            )
        )
    bundle = EvidenceBundle(
        consumer=trail.sc.consumer.code,
        exported_at_ms=trail.chain.collected_at_ms,
        entries=tuple(entries),
    )
    return sign_evidence_bundle(bundle, key)


def test_an_honest_trail_with_the_consumers_evidence_has_no_finding(trail: Trail) -> None:
    bundle = _held_by_consumer(trail, trail.sc.consumer.sm2)
    report = audit(trail.chain, trail.logs, trail.config, consumer_evidence=[bundle])
    assert [f.line() for f in report.findings] == []
    assert report.passed
    assert report.checked["evidence"] == 1 + len(bundle.bundle.entries)


def _audit_with_first_receipt(
    trail: Trail, change: Callable[[SignedReceipt], SignedReceipt]
) -> AuditReport:
    """The audit of the honest trail with a consumer bundle of its first receipt, changed."""
    honest = _held_by_consumer(trail, None)
    first = honest.bundle.entries[0]
    forged = honest.bundle.model_copy(
        update={"entries": (first.model_copy(update={"receipt": change(first.receipt)}),)}
    )
    return audit(
        trail.chain,
        trail.logs,
        trail.config,
        consumer_evidence=[SignedEvidenceBundle(bundle=forged)],
    )


def test_a_forged_receipt_in_consumer_evidence_is_set_aside(trail: Trail) -> None:
    other = "0x" + "ab" * 32  # what the gateway did not sign

    def forge(s: SignedReceipt) -> SignedReceipt:
        return s.model_copy(
            update={"receipt": s.receipt.model_copy(update={"response_hash": other})}
        )

    report = _audit_with_first_receipt(trail, forge)
    assert {f.code for f in report.findings} == {"EVIDENCE_RECEIPT_INVALID"}
    assert report.passed  # a warning: what does not verify proves nothing either way
    assert not NEW_CODES - {"EVIDENCE_RECEIPT_INVALID"} & {f.code for f in report.findings}


def test_a_consumer_that_moves_a_receipts_position_frames_no_gateway(trail: Trail) -> None:
    """The position is not signed (receipt/4): a consumer (or anyone) who changes it in its
    evidence holds a receipt that still verifies, and the log holds that signed receipt at
    its real position. The audit finds it there: no equivocation is charged to the gateway,
    and the real position's entry is untouched."""

    def move(s: SignedReceipt) -> SignedReceipt:
        moved = s.model_copy(update={"log_index": s.log_index + 99})
        assert moved.receipt == s.receipt and moved.canonical() != s.canonical()
        return moved

    report = _audit_with_first_receipt(trail, move)
    assert report.passed
    assert not {f.code for f in report.findings} & NEW_CODES
