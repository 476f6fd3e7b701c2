"""Attacks on what a grant allows: its state, its scope, its owner, its document.

A correctly signed query by an ACTIVE consumer is still refused, with its exact code and
nothing changed, whenever the grant it names does not allow exactly that query.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from quancheng.chain.errors import (
    GrantRegistryDocumentDigestMismatch,
    GrantRegistryInvalidOwnerSignature,
    GrantRegistryStaleDecision,
    OwnerRegistryInvalidAttestation,
)
from quancheng.chain.types import code32, purposes_mask
from quancheng.crypto import SM2PrivateKey, canonical_json, pseudonym, sm3
from quancheng.protocol import GrantAction, GrantActionDocument, GrantDocument, GrantMode
from tests.attacks.support import DL, FIELDS, VR, answered, fresh_subject, refused
from tests.gateway.conftest import InProcessGateway
from tests.utils.chain_factories import Member, Owner, attestation_document
from tests.utils.scenario import (
    Scenario,
    act,
    active_grant,
    approve,
    chain_now,
    grant_document,
    owner_for,
    request_grant,
    signed_request,
)


def query_refused(gw: InProcessGateway, signed: Any, status: int, code: str) -> dict[str, Any]:
    return refused(gw, lambda: gw.query(signed), status, code, request_id=signed.request.request_id)


def relay(sc: Scenario, doc: GrantDocument, action: GrantAction, key: SM2PrivateKey) -> None:
    """A committee member relays an action document signed by ``key`` straight to chain."""
    grant_id = bytes.fromhex(doc.grant_id[2:])
    seq, at = sc.net.contracts.decision_seq(grant_id), chain_now(sc)
    document = GrantActionDocument(
        action=action, grant_id=doc.grant_id, document_digest=doc.digest_hex(), seq=seq, at=at
    ).canonical()
    fn = getattr(sc.net.grants.functions, action.value)
    sc.net.send(sc.net.committee[0], fn(grant_id, seq, at, key.sign(document)))


# ----------------------------------------------------------------------- grant states


@pytest.mark.parametrize(
    ("action", "code"),
    [(GrantAction.PAUSE, "GRANT_PAUSED"), (GrantAction.REVOKE, "GRANT_REVOKED")],
    ids=["paused", "revoked"],
)
def test_grant_the_owner_paused_or_revoked_is_refused(
    sc: Scenario, gw: InProcessGateway, action: GrantAction, code: str
) -> None:
    subject = fresh_subject(sc)
    doc = active_grant(sc, subject, {VR: FIELDS})
    act(sc, doc, sc.owners[subject], action)
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 403, code)


@pytest.mark.parametrize("state", ["pending", "rejected"])
def test_grant_the_owner_never_approved_is_refused(
    sc: Scenario, gw: InProcessGateway, state: str
) -> None:
    subject = fresh_subject(sc)
    doc = grant_document(sc, sc.owners[subject], {VR: FIELDS})
    request_grant(sc, doc)
    if state == "rejected":
        act(sc, doc, sc.owners[subject], GrantAction.REJECT)
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 403, f"GRANT_{state.upper()}")


def test_expired_grant_is_refused(sc: Scenario, gw: InProcessGateway) -> None:
    doc = active_grant(sc, fresh_subject(sc), {VR: FIELDS})  # valid for an hour
    gw.drain()  # no receipt may look hours un-anchored once the clock moves
    gw.clock.advance(2 * 3600)
    try:
        signed = signed_request(sc.consumer, doc, VR, FIELDS, issued_at_ms=gw.clock.now_ms())
        query_refused(gw, signed, 403, "GRANT_EXPIRED")
    finally:
        gw.clock.advance(-2 * 3600)


def test_grant_not_valid_yet_is_refused(sc: Scenario, gw: InProcessGateway) -> None:
    now = chain_now(sc)
    doc = active_grant(
        sc, fresh_subject(sc), {VR: FIELDS}, not_before=now + 3600, not_after=now + 7200
    )
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 403, "GRANT_NOT_YET_VALID")


def test_exhausted_grant_is_refused(sc: Scenario, gw: InProcessGateway) -> None:
    doc = active_grant(sc, fresh_subject(sc), {VR: FIELDS}, max_uses=1)
    gw.sync()
    answered(gw, gw.query(signed_request(sc.consumer, doc, VR, FIELDS)))
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 403, "GRANT_EXHAUSTED")


def test_unknown_grant_is_refused(sc: Scenario, gw: InProcessGateway) -> None:
    signed = signed_request(sc.consumer, "0x" + secrets.token_hex(32), VR, FIELDS)
    query_refused(gw, signed, 404, "UNKNOWN_GRANT")


# ------------------------------------------------------------------------ grant scope


def test_grant_used_by_another_institution_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any, other_consumer: Member
) -> None:
    """Another bank, signing as itself, presents our bank's grant."""
    signed = signed_request(other_consumer, grant, VR, FIELDS)
    query_refused(gw, signed, 403, "GRANT_CONSUMER_MISMATCH")


def test_resource_outside_the_grant_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    query_refused(
        gw, signed_request(sc.consumer, grant, DL, ("status",)), 403, "RESOURCE_NOT_GRANTED"
    )


def test_unknown_resource_is_refused(sc: Scenario, gw: InProcessGateway, grant: Any) -> None:
    signed = signed_request(sc.consumer, grant, "tax.payment", ("amount_fen",))
    query_refused(gw, signed, 404, "UNKNOWN_RESOURCE")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        (("owner_name",), "FIELD_NOT_GRANTED"),
        (("plate_no", "owner_name"), "FIELD_NOT_GRANTED"),
        (("vehicle_count",), "MODE_MISMATCH"),
    ],
    ids=["field", "one-of-two-fields", "indicator-under-raw-grant"],
)
def test_field_outside_the_grant_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any, fields: tuple[str, ...], code: str
) -> None:
    query_refused(gw, signed_request(sc.consumer, grant, VR, fields), 403, code)


@pytest.mark.parametrize(
    "scope",
    [("vehicle_count",), ("plate_no", "vehicle_count")],
    ids=["raw-field-not-in-scope", "raw-field-named-in-scope"],
)
def test_raw_field_under_a_derived_grant_is_refused(
    sc: Scenario, gw: InProcessGateway, scope: tuple[str, ...]
) -> None:
    doc = active_grant(sc, fresh_subject(sc), {VR: scope}, mode=GrantMode.DERIVED)
    gw.sync()
    answered(gw, gw.query(signed_request(sc.consumer, doc, VR, ("vehicle_count",))))
    query_refused(gw, signed_request(sc.consumer, doc, VR, ("plate_no",)), 403, "MODE_MISMATCH")


def test_purpose_other_than_the_grants_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    signed = signed_request(sc.consumer, grant, VR, FIELDS, purpose=4)  # catalogue allows 4
    query_refused(gw, signed, 403, "PURPOSE_NOT_GRANTED")


def test_purpose_the_resource_no_longer_allows_is_refused(
    sc: Scenario, gw: InProcessGateway
) -> None:
    doc = active_grant(sc, fresh_subject(sc), {DL: ("status",)}, purpose=4)
    names = ["licence_class", "points", "status", "valid_until"]
    update = sc.net.catalogue.functions.update
    args = ([code32(f) for f in names], sm3(canonical_json({"fields": names})), 3)
    sc.net.send(
        sc.net.committee[0], update(code32(DL), *args, purposes_mask(1), "http://127.0.0.1/gateway")
    )
    try:
        query_refused(
            gw, signed_request(sc.consumer, doc, DL, ("status",)), 403, "PURPOSE_NOT_ALLOWED"
        )
    finally:
        sc.net.send(
            sc.net.committee[0],
            update(code32(DL), *args, purposes_mask(1, 4), "http://127.0.0.1/gateway"),
        )


def test_subject_the_department_does_not_hold_is_refused(
    sc: Scenario, gw: InProcessGateway
) -> None:
    doc = active_grant(sc, "11010519491231002X", {VR: FIELDS})
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 404, "SUBJECT_NOT_FOUND")


# ---------------------------------------------------------------------- grant owner


def test_grant_of_an_owner_whose_attestation_was_revoked_is_refused(
    sc: Scenario, gw: InProcessGateway
) -> None:
    subject = fresh_subject(sc)
    doc = active_grant(sc, subject, {VR: FIELDS})
    sc.net.send(
        sc.net.committee[0],
        sc.net.owners.functions.revokeAttestation(
            sc.owners[subject].pseudonym, code32("lost-phone")
        ),
    )
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 403, "OWNER_NOT_ATTESTED")


def test_grant_of_an_owner_whose_key_was_rotated_is_refused(
    sc: Scenario, gw: InProcessGateway
) -> None:
    """The grant names the key the owner had; the attested key is now another one."""
    subject = fresh_subject(sc)
    doc = active_grant(sc, subject, {VR: FIELDS})
    owner, attester = sc.owners[subject], sc.net.committee[0]
    new_key = SM2PrivateKey.generate().public_key().to_bytes()
    statement = attestation_document(owner.pseudonym, new_key, attester, chain_now(sc))
    sc.net.send(
        attester,
        sc.net.owners.functions.attest(
            owner.pseudonym, new_key, statement, attester.sm2.sign(statement)
        ),
    )
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 403, "OWNER_NOT_ATTESTED")


def test_grant_of_an_owner_whose_attestation_is_forged_is_refused(
    sc: Scenario, gw: InProcessGateway
) -> None:
    """An identity authority records an attestation signed by another key: the chain refuses it."""

    subject = fresh_subject(sc, attest=False)
    owner = Owner(pseudonym(sc.pseudonym_key, "resident_id", subject), SM2PrivateKey.generate())
    attester = sc.net.committee[0]
    statement = attestation_document(owner.pseudonym, owner.sm2_public_key, attester, chain_now(sc))
    with pytest.raises(OwnerRegistryInvalidAttestation):
        sc.net.send(
            attester,
            sc.net.owners.functions.attest(
                owner.pseudonym,
                owner.sm2_public_key,
                statement,
                SM2PrivateKey.generate().sign(statement),
            ),
        )
    assert sc.net.contracts.owner(owner.pseudonym).key_version == 0


# ------------------------------------------------------------------- grant document


def test_grant_naming_a_key_that_is_not_the_attested_one_is_refused(
    sc: Scenario, gw: InProcessGateway
) -> None:
    """The consumer writes its own key in as the owner's, and approves with it."""
    impostor = SM2PrivateKey.generate()
    real = grant_document(sc, owner_for(sc, fresh_subject(sc)), {VR: FIELDS})
    doc = real.model_copy(update={"owner_key": "0x" + impostor.public_key().to_bytes().hex()})
    request_grant(sc, doc)
    with pytest.raises(GrantRegistryInvalidOwnerSignature):
        approve(sc, doc, sc.owners[_subject_of(sc, real)], signature=impostor.sign(doc.canonical()))
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 403, "GRANT_PENDING")


def test_grant_document_whose_digest_is_not_the_chains_is_refused(
    sc: Scenario, gw: InProcessGateway
) -> None:
    owner = owner_for(sc, fresh_subject(sc))
    doc = grant_document(sc, owner, {VR: FIELDS})
    with pytest.raises(GrantRegistryDocumentDigestMismatch):
        _request_with_digest(sc, doc, sm3(doc.canonical() + b" "))
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 404, "UNKNOWN_GRANT")


def test_grant_document_that_states_other_terms_than_the_chain_is_refused(
    sc: Scenario, gw: InProcessGateway
) -> None:
    """The document the owner signs says 500 uses; the terms on chain say 5."""
    owner = owner_for(sc, fresh_subject(sc))
    doc = grant_document(sc, owner, {VR: FIELDS}, max_uses=5)
    lying = doc.model_copy(update={"max_uses": 500})
    _request_with_digest(sc, lying, sm3(lying.canonical()), max_uses=5)
    approve(sc, lying, owner)
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 403, "GRANT_DOCUMENT_INVALID")


def test_approval_with_a_forged_owner_signature_is_refused(
    sc: Scenario, gw: InProcessGateway
) -> None:
    owner = owner_for(sc, fresh_subject(sc))
    doc = grant_document(sc, owner, {VR: FIELDS})
    request_grant(sc, doc)
    with pytest.raises(GrantRegistryInvalidOwnerSignature):
        approve(sc, doc, owner, signature=SM2PrivateKey.generate().sign(doc.canonical()))
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 403, "GRANT_PENDING")


def test_paused_grant_reopened_by_a_forged_resume_is_refused(
    sc: Scenario, gw: InProcessGateway
) -> None:
    """The chain verifies SM2: a relayed resume the owner did not sign is refused on chain."""
    subject = fresh_subject(sc)
    doc = active_grant(sc, subject, {VR: FIELDS})
    act(sc, doc, sc.owners[subject], GrantAction.PAUSE)
    with pytest.raises(GrantRegistryInvalidOwnerSignature):
        relay(sc, doc, GrantAction.RESUME, SM2PrivateKey.generate())
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 403, "GRANT_PAUSED")


def test_paused_grant_reopened_by_a_replayed_genuine_resume_is_refused(
    sc: Scenario, gw: InProcessGateway
) -> None:
    """The attack that once reopened a grant: the owner's own old RESUME, relayed again."""
    subject = fresh_subject(sc)
    doc = active_grant(sc, subject, {VR: FIELDS})
    owner = sc.owners[subject]
    grant_id = bytes.fromhex(doc.grant_id[2:])
    act(sc, doc, owner, GrantAction.PAUSE)
    seq, at = sc.net.contracts.decision_seq(grant_id), chain_now(sc)
    resume = GrantActionDocument(
        action=GrantAction.RESUME, grant_id=doc.grant_id, document_digest=doc.digest_hex(),
        seq=seq, at=at,
    ).canonical()  # fmt: skip
    signature = owner.sm2.sign(resume)
    sc.net.send(sc.net.committee[0], sc.net.grants.functions.resume(grant_id, seq, at, signature))
    act(sc, doc, owner, GrantAction.PAUSE)
    with pytest.raises(GrantRegistryStaleDecision) as exc:
        sc.net.send(
            sc.net.committee[1], sc.net.grants.functions.resume(grant_id, seq, at, signature)
        )
    assert (exc.value.expected_seq, exc.value.seq) == (seq + 2, seq)
    query_refused(gw, signed_request(sc.consumer, doc, VR, FIELDS), 403, "GRANT_PAUSED")


# --------------------------------------------------------------------------- helpers


def _subject_of(sc: Scenario, doc: GrantDocument) -> str:
    return next(s for s, o in sc.owners.items() if "0x" + o.pseudonym.hex() == doc.owner_pseudonym)


def _request_with_digest(
    sc: Scenario, doc: GrantDocument, digest: bytes, *, max_uses: int | None = None
) -> None:
    data_from, data_to = doc.data_period_seconds()
    terms = (
        bytes.fromhex(doc.grant_id[2:]),
        bytes.fromhex(doc.owner_pseudonym[2:]),
        [code32(i.resource) for i in doc.scope],
        int(doc.purpose),
        data_from,
        data_to,
        doc.not_before,
        doc.not_after,
        max_uses or doc.max_uses,
        0 if doc.mode is GrantMode.RAW else 1,
        digest,
    )
    sc.net.send(
        sc.consumer,
        sc.net.grants.functions.request(
            terms, doc.canonical(), sc.consumer.sm2.sign(doc.canonical())
        ),
    )
