"""Tampered evidence is found, with exactly the right findings naming the right subject.

In the spirit of X-Road's tampered evidence containers: the honest trail (a real node, a real
gateway, real queries; :mod:`tests.audit.trail`) is exported, then each test changes one
thing in a copy of the gateway's receipt log, the way an attacker (no provider key) or an
insider (with it) would, and asserts the audit's findings are exactly the expected set.
Tampering that only an insider on chain could do (a lying grant document, an approval signed
by the wrong key, receipts beyond max uses across providers) is in
:mod:`tests.audit.test_insider`.
"""

from __future__ import annotations

from quancheng.chain.types import decode_code32
from quancheng.crypto import SM2PrivateKey
from quancheng_audit import AuditConfig
from tests.audit.tamper import (
    batch_of,
    copy_log,
    fresh_fields,
    key_of_batch,
    keys,
    on_batch,
    on_grant,
    on_log,
    on_receipt,
    receipt,
    rewrite_batch,
    run,
    signed,
)
from tests.audit.trail import DL, Trail


def test_untampered_copy_passes(trail: Trail) -> None:
    assert keys(run(trail, copy_log(trail))) == set()


def test_edited_served_at_breaks_the_signature_and_the_batch_root(trail: Trail) -> None:
    log = copy_log(trail)
    receipt(log, 1)["served_at_ms"] += 1
    report = run(trail, log)
    assert not report.passed
    assert keys(report) == {
        on_receipt("RECEIPT_SIGNATURE_INVALID", log, log.entries[1]),
        on_batch("BATCH_ROOT_MISMATCH", log.provider, batch_of(trail, 1)),
    }


def test_edited_consumer_is_out_of_the_grant_too(trail: Trail) -> None:
    log = copy_log(trail)
    receipt(log, 0)["consumer"] = "bank.other"
    assert keys(run(trail, log)) == {
        on_receipt("RECEIPT_SIGNATURE_INVALID", log, log.entries[0]),
        on_receipt("RECEIPT_CONSUMER_NOT_GRANTEE", log, log.entries[0]),
        on_batch("BATCH_ROOT_MISMATCH", log.provider, batch_of(trail, 0)),
    }


def test_edited_resource_is_not_granted_and_uses_no_longer_add_up(trail: Trail) -> None:
    log = copy_log(trail)
    limited = trail.grants["limited"].grant_id  # granted vehicle.registration only
    position = next(i for i, e in enumerate(log.entries) if e["receipt"]["grant_id"] == limited)
    receipt(log, position)["resource"] = DL
    report = run(trail, log)
    assert keys(report) == {
        on_receipt("RECEIPT_SIGNATURE_INVALID", log, log.entries[position]),
        on_receipt("RECEIPT_RESOURCE_NOT_GRANTED", log, log.entries[position]),
        on_batch("BATCH_ROOT_MISMATCH", log.provider, batch_of(trail, position)),
        # the chain counted a use of vehicle.registration; the log now shows driving.licence
        on_grant("USES_RECORDED_WITHOUT_RECEIPTS", limited),
        on_grant("USES_NOT_RECORDED", limited),
    }
    assert [f.severity for f in report.findings if f.code == "USES_NOT_RECORDED"] == ["warn"]


def test_deleted_receipt_leaves_a_gap_and_unbacked_uses(trail: Trail) -> None:
    log = copy_log(trail)
    deleted = log.entries.pop(2)["receipt"]
    report = run(trail, log)
    assert keys(report) == {
        on_log("LOG_GAP", log.provider, 2),
        on_grant("USES_RECORDED_WITHOUT_RECEIPTS", deleted["grant_id"]),
    }
    (gap,) = [f for f in report.findings if f.code == "LOG_GAP"]
    assert gap.subject.seq == batch_of(trail, 2)


def test_inserted_forged_receipt_is_unsigned_and_claims_a_taken_index(trail: Trail) -> None:
    log = copy_log(trail)
    forged = signed(fresh_fields(receipt(log, 3), log_index=3), SM2PrivateKey.generate())
    log.entries.insert(4, forged)
    assert keys(run(trail, log)) == {
        on_receipt("RECEIPT_SIGNATURE_INVALID", log, forged),
        on_log("LOG_DUPLICATE_INDEX", log.provider, 3),
    }


def test_appended_forged_receipt_is_unsigned(trail: Trail) -> None:
    log = copy_log(trail)
    forged = signed(fresh_fields(receipt(log, 9), log_index=10), SM2PrivateKey.generate())
    log.entries.append(forged)
    report = run(trail, log)
    assert keys(report) == {on_receipt("RECEIPT_SIGNATURE_INVALID", log, forged)}
    assert [p["log_index"] for p in report.pending] == [10]


def test_a_receipt_copied_to_another_position_needs_no_key_and_is_named(trail: Trail) -> None:
    """receipt/4 does not sign the position: a copy of a genuine receipt at the next position
    verifies. It is the same receipt twice, and the audit says so.

    The newest receipt is copied, so that its time does not also go back: a copy of an older
    one is named RECEIPT_TIME_REGRESSION too once the trail spans more than the audit's log
    order tolerance (2 s), which depends on how fast the machine built the trail."""
    log = copy_log(trail)
    newest = max(log.entries, key=lambda e: int(e["receipt"]["served_at_ms"]))
    copied = {**newest, "log_index": len(log.entries)}
    log.entries.append(copied)
    report = run(trail, log)
    assert keys(report) == {on_receipt("RECEIPT_DUPLICATE_ID", log, copied)}
    assert [p["log_index"] for p in report.pending] == [len(log.entries) - 1]


def test_reordered_receipts_are_out_of_place(trail: Trail) -> None:
    log = copy_log(trail)
    log.entries[1], log.entries[5] = log.entries[5], log.entries[1]
    assert keys(run(trail, log)) == {
        on_receipt("LOG_OUT_OF_ORDER", log, log.entries[1]),
        on_receipt("LOG_OUT_OF_ORDER", log, log.entries[5]),
    }


def test_forged_gateway_signature(trail: Trail) -> None:
    log = copy_log(trail)
    fields = {**receipt(log, 6), "log_index": 6}
    log.entries[6] = signed(fields, SM2PrivateKey.generate())
    assert keys(run(trail, log)) == {
        on_receipt("RECEIPT_SIGNATURE_INVALID", log, log.entries[6]),
        on_batch("BATCH_ROOT_MISMATCH", log.provider, batch_of(trail, 6)),
    }


def test_batch_rewritten_and_re_signed_by_an_attacker_key(trail: Trail) -> None:
    log = copy_log(trail)
    seq = batch_of(trail, 0)
    rewritten = rewrite_batch(log, seq, SM2PrivateKey.generate())
    assert keys(run(trail, log)) == {
        *(on_receipt("RECEIPT_SIGNATURE_INVALID", log, e) for e in rewritten),
        on_batch("BATCH_ROOT_MISMATCH", log.provider, seq),
        on_batch("GATEWAY_BATCH_MISMATCH", log.provider, seq),
        on_batch("BATCH_SIGNATURE_INVALID", log.provider, seq),
    }


def test_batch_rewritten_with_the_real_key_does_not_match_the_chain(trail: Trail) -> None:
    log = copy_log(trail)
    seq = batch_of(trail, 0)
    rewrite_batch(log, seq, key_of_batch(trail, seq))
    report = run(trail, log)
    assert keys(report) == {
        on_batch("BATCH_ROOT_MISMATCH", log.provider, seq),
        on_batch("GATEWAY_BATCH_MISMATCH", log.provider, seq),
    }
    (mismatch,) = [f for f in report.findings if f.code == "GATEWAY_BATCH_MISMATCH"]
    assert set(mismatch.expected) == {"root"}


def test_receipt_dated_after_its_grant_was_revoked(trail: Trail) -> None:
    """An insider (the provider's own key) serves after the owner revoked."""
    log = copy_log(trail)
    grant = trail.grants["revoked"].grant_id
    revoked_at = next(
        e.time for e in trail.chain.events
        if e.name == "GrantRevoked" and e.hex("grantId") == grant
    )  # fmt: skip
    served = (revoked_at + 1) * 1000 + int(trail.config.clock_tolerance_s * 1000) + 500
    base = next(e["receipt"] for e in log.entries if e["receipt"]["grant_id"] == grant)
    late = signed(fresh_fields(base, log_index=10, served_at_ms=served), trail.sc.provider.sm2)
    log.entries.append(late)
    # Judged by clock alone: its view (the copied one, long before) is test_view's matter.
    later = AuditConfig(
        clock_tolerance_s=trail.config.clock_tolerance_s,
        now_ms=served + 60_000,
        view_lag_bound_s=10.0**9,
    )
    report = run(trail, log, later)
    assert keys(report) == {on_receipt("RECEIPT_GRANT_NOT_ACTIVE", log, late)}
    assert report.findings[0].found == "REVOKED"


def test_receipt_back_dated_to_before_the_revocation(trail: Trail) -> None:
    """Served after the revocation, signed by the provider, dated back into the grant's life:
    the log's order gives it away (it follows receipts served later than its date)."""
    log = copy_log(trail)
    grant = trail.grants["revoked"].grant_id
    first = next(e["receipt"] for e in log.entries if e["receipt"]["grant_id"] == grant)
    back = signed(
        fresh_fields(first, log_index=10, served_at_ms=first["served_at_ms"] + 1),
        trail.sc.provider.sm2,
    )
    log.entries.append(back)
    strict = AuditConfig(
        clock_tolerance_s=trail.config.clock_tolerance_s, log_order_tolerance_s=0.25
    )
    clean = run(trail, copy_log(trail), strict)
    assert keys(clean) == set()
    report = run(trail, log, strict)
    assert keys(report) == {on_receipt("RECEIPT_TIME_REGRESSION", log, back)}


def test_tampered_findings_name_provider_batch_and_receipt(trail: Trail) -> None:
    log = copy_log(trail)
    receipt(log, 1)["purpose"] = 4
    report = run(trail, log)
    f = next(f for f in report.findings if f.code == "RECEIPT_SIGNATURE_INVALID")
    r = log.entries[1]["receipt"]
    assert (f.subject.provider, f.subject.log_index, f.subject.receipt_id, f.subject.grant_id) == (
        trail.provider, 1, r["receipt_id"], r["grant_id"],
    )  # fmt: skip
    assert decode_code32(bytes(32)) is None  # codes, not raw bytes, name the subjects
