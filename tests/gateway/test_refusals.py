"""Every refusal of the protocol: exact status and code, no data, nothing written."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from quancheng.chain.errors import (
    GrantRegistryInvalidOwnerSignature,
    OwnerRegistryInvalidAttestation,
)
from quancheng.chain.types import Role, code32, purposes_mask
from quancheng.crypto import SM2PrivateKey, canonical_json, pseudonym, sm3
from quancheng.protocol import GrantAction, QueryRequest, SignedRequest
from quancheng.protocol.documents import b64
from tests.gateway.conftest import InProcessGateway
from tests.gateway.support import assert_refusal_body, log_state, request_stored
from tests.utils.chain_factories import Member, Owner, admit, attestation_document, pass_proposal
from tests.utils.readers import signed_get
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

VR, DL = "vehicle.registration", "driving.licence"
FIELDS = ("plate_no", "status")


def refused(
    gw: InProcessGateway,
    send: Callable[[], Any],
    status: int,
    code: str,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Send, check the refusal, and check that nothing in the log changed."""
    gw.sync()
    before = log_state(gw.gateway)
    resp = send()
    body = assert_refusal_body(resp, status, code, FIELDS)
    assert log_state(gw.gateway) == before
    if request_id is not None:
        assert not request_stored(gw.gateway, request_id)
    return body


def query_refused(
    gw: InProcessGateway, signed: SignedRequest, status: int, code: str
) -> dict[str, Any]:
    return refused(gw, lambda: gw.query(signed), status, code, signed.request.request_id)


@pytest.fixture(scope="module")
def grant(scenario: Scenario) -> Any:
    return active_grant(scenario, scenario.subjects[3], {VR: FIELDS}, max_uses=100)


# ------------------------------------------------------------------------- the request


def test_bad_json_is_malformed(gw: InProcessGateway) -> None:
    refused(gw, lambda: gw.client.post("/v1/query", content=b"{not json"), 400, "MALFORMED_REQUEST")


def test_wrong_schema_is_malformed(scenario: Scenario, gw: InProcessGateway, grant: Any) -> None:
    body = json.loads(signed_request(scenario.consumer, grant, VR, FIELDS).model_dump_json())
    body["request"]["extra"] = 1
    refused(gw, lambda: gw.client.post("/v1/query", json=body), 400, "MALFORMED_REQUEST")
    refused(gw, lambda: gw.client.post("/v1/query", json=[1, 2]), 400, "MALFORMED_REQUEST")


def test_query_parameter_errors_use_the_protocol_body(
    scenario: Scenario, gw: InProcessGateway
) -> None:
    resp = signed_get(
        gw.client, scenario.auditor, "/v1/receipts", audience=scenario.provider.code, from_index=-1
    )
    assert_refusal_body(resp, 400, "MALFORMED_REQUEST")


def test_large_body_is_refused(gw: InProcessGateway) -> None:
    big = b'{"pad":"' + b"x" * 70_000 + b'"}'
    refused(gw, lambda: gw.client.post("/v1/query", content=big), 413, "REQUEST_TOO_LARGE")


def test_bad_signature(scenario: Scenario, gw: InProcessGateway, grant: Any) -> None:
    signed = signed_request(scenario.consumer, grant, VR, FIELDS)
    forged = SignedRequest(
        request=signed.request, signature=b64(SM2PrivateKey.generate().sign(b"x"))
    )
    query_refused(gw, forged, 401, "BAD_REQUEST_SIGNATURE")


def test_signature_checked_with_a_key_rotated_meanwhile_is_refused(
    scenario: Scenario, gw: InProcessGateway, grant: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signature is verified off the event loop; the chain follower may apply a key
    rotation before the remaining checks run. The request, signed with the old key, must then
    be refused, not judged against the new key's holder."""
    view = gw.gateway.view
    code = scenario.consumer.code
    verify = gw.gateway.verifier.verify
    before = view.members[code]

    async def verify_then_rotate(key: Any, signature: bytes, data: bytes) -> bool:
        valid = await verify(key, signature, data)
        view.members[code] = replace(before, key=SM2PrivateKey.generate().public_key())
        return valid

    monkeypatch.setattr(gw.gateway.verifier, "verify", verify_then_rotate)
    try:
        signed = signed_request(scenario.consumer, grant, VR, FIELDS)
        body = query_refused(gw, signed, 401, "BAD_REQUEST_SIGNATURE")
        assert "changed" in body["error"]["message"]
    finally:
        view.members[code] = before


def test_request_bound_to_a_channel_is_refused_without_that_client_certificate(
    scenario: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    # Plain HTTP presents no client certificate: a request bound to one is not answered here
    # (nor its id spent); over TLS with another certificate it is CHANNEL_MISMATCH
    # (tests/attacks/test_channel_binding.py).
    channel = "0x" + secrets.token_hex(32)
    bound = signed_request(scenario.consumer, grant, VR, FIELDS, channel=channel)
    query_refused(gw, bound, 401, "CHANNEL_REQUIRED")
    assert not request_stored(gw.gateway, bound.request.request_id)


def test_unknown_consumer(scenario: Scenario, gw: InProcessGateway, grant: Any) -> None:
    stranger = Member(
        "bank.unknown", Role.CONSUMER, scenario.consumer.account, SM2PrivateKey.generate()
    )
    query_refused(gw, signed_request(stranger, grant, VR, FIELDS), 403, "UNKNOWN_CONSUMER")


def test_suspended_consumer_is_not_active(scenario: Scenario, gw: InProcessGateway) -> None:
    other = admit(scenario.net, Role.CONSUMER)
    doc = active_grant(scenario, scenario.subjects[4], {VR: FIELDS}, consumer=other)
    pass_proposal(scenario.net, scenario.net.registry.functions.proposeSuspension(other.id))
    query_refused(gw, signed_request(other, doc, VR, FIELDS), 403, "CONSUMER_NOT_ACTIVE")


def test_provider_is_not_a_consumer(scenario: Scenario, gw: InProcessGateway, grant: Any) -> None:
    signed = signed_request(scenario.provider, grant, VR, FIELDS)
    query_refused(gw, signed, 403, "CONSUMER_NOT_ACTIVE")


def test_clock_skew(scenario: Scenario, gw: InProcessGateway, grant: Any) -> None:
    old = gw.clock.now_ms() - 301_000
    query_refused(
        gw,
        signed_request(scenario.consumer, grant, VR, FIELDS, issued_at_ms=old),
        400,
        "CLOCK_SKEW",
    )


def test_replayed_request(scenario: Scenario, gw: InProcessGateway, grant: Any) -> None:
    signed = signed_request(scenario.consumer, grant, VR, FIELDS)
    assert gw.query(signed).status_code == 200
    refused(gw, lambda: gw.query(signed), 409, "REPLAYED_REQUEST")


def test_unknown_resource(scenario: Scenario, gw: InProcessGateway, grant: Any) -> None:
    signed = signed_request(scenario.consumer, grant, "tax.payment", ("amount_fen",))
    query_refused(gw, signed, 404, "UNKNOWN_RESOURCE")


# --------------------------------------------------------------------------- the grant


def test_unknown_grant(scenario: Scenario, gw: InProcessGateway) -> None:
    signed = signed_request(scenario.consumer, "0x" + secrets.token_hex(32), VR, FIELDS)
    query_refused(gw, signed, 404, "UNKNOWN_GRANT")


def test_pending_grant(scenario: Scenario, gw: InProcessGateway) -> None:
    owner = owner_for(scenario, scenario.subjects[5])
    doc = grant_document(scenario, owner, {VR: FIELDS})
    request_grant(scenario, doc)
    query_refused(gw, signed_request(scenario.consumer, doc, VR, FIELDS), 403, "GRANT_PENDING")


def test_rejected_grant(scenario: Scenario, gw: InProcessGateway) -> None:
    owner = owner_for(scenario, scenario.subjects[5])
    doc = grant_document(scenario, owner, {VR: FIELDS})
    request_grant(scenario, doc)
    act(scenario, doc, owner, GrantAction.REJECT)
    query_refused(gw, signed_request(scenario.consumer, doc, VR, FIELDS), 403, "GRANT_REJECTED")


@pytest.mark.parametrize(
    ("action", "code"), [(GrantAction.PAUSE, "GRANT_PAUSED"), (GrantAction.REVOKE, "GRANT_REVOKED")]
)
def test_paused_and_revoked_grants(
    scenario: Scenario, gw: InProcessGateway, action: GrantAction, code: str
) -> None:
    doc = active_grant(scenario, scenario.subjects[6], {VR: FIELDS})
    act(scenario, doc, scenario.owners[scenario.subjects[6]], action)
    query_refused(gw, signed_request(scenario.consumer, doc, VR, FIELDS), 403, code)


def test_not_yet_valid_grant(scenario: Scenario, gw: InProcessGateway) -> None:
    now = chain_now(scenario)
    doc = active_grant(
        scenario, scenario.subjects[7], {VR: FIELDS}, not_before=now + 3600, not_after=now + 7200
    )
    signed = signed_request(scenario.consumer, doc, VR, FIELDS)
    query_refused(gw, signed, 403, "GRANT_NOT_YET_VALID")


def test_expired_by_the_gateway_clock(scenario: Scenario, gw: InProcessGateway, grant: Any) -> None:
    gw.drain()  # receipts must not look a few hours un-anchored once the clock moves
    gw.clock.advance(2 * 3600)  # the grant ends an hour after it began
    try:
        signed = signed_request(
            scenario.consumer, grant, VR, FIELDS, issued_at_ms=gw.clock.now_ms()
        )
        query_refused(gw, signed, 403, "GRANT_EXPIRED")
    finally:
        gw.clock.advance(-2 * 3600)
    assert gw.query(signed_request(scenario.consumer, grant, VR, FIELDS)).status_code == 200


def test_exhausted_after_max_uses(scenario: Scenario, gw: InProcessGateway) -> None:
    doc = active_grant(scenario, scenario.subjects[8], {VR: FIELDS}, max_uses=2)
    gw.sync()
    for _ in range(2):
        assert gw.query(signed_request(scenario.consumer, doc, VR, FIELDS)).status_code == 200
    query_refused(gw, signed_request(scenario.consumer, doc, VR, FIELDS), 403, "GRANT_EXHAUSTED")


def test_consumer_mismatch(scenario: Scenario, gw: InProcessGateway, grant: Any) -> None:
    other = admit(scenario.net, Role.CONSUMER)
    query_refused(gw, signed_request(other, grant, VR, FIELDS), 403, "GRANT_CONSUMER_MISMATCH")


def test_resource_not_granted(scenario: Scenario, gw: InProcessGateway, grant: Any) -> None:
    signed = signed_request(scenario.consumer, grant, DL, ("status",))
    query_refused(gw, signed, 403, "RESOURCE_NOT_GRANTED")


@pytest.mark.parametrize("fields", [("owner_name",), ("plate_no", "brand")])
def test_field_not_granted(
    scenario: Scenario, gw: InProcessGateway, grant: Any, fields: tuple[str, ...]
) -> None:
    query_refused(
        gw, signed_request(scenario.consumer, grant, VR, fields), 403, "FIELD_NOT_GRANTED"
    )


def test_indicator_under_a_raw_grant_is_a_mode_mismatch(
    scenario: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    signed = signed_request(scenario.consumer, grant, VR, ("vehicle_count",))
    body = query_refused(gw, signed, 403, "MODE_MISMATCH")
    assert body["error"]["details"]["fields"] == ["vehicle_count"]


def test_field_the_resource_does_not_have_is_unknown(
    scenario: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    signed = signed_request(scenario.consumer, grant, VR, ("plate_no", "no_such_field"))
    body = query_refused(gw, signed, 404, "FIELD_UNKNOWN")
    assert body["error"]["details"]["fields"] == ["no_such_field"]


def test_purpose_not_granted(scenario: Scenario, gw: InProcessGateway, grant: Any) -> None:
    signed = signed_request(scenario.consumer, grant, VR, FIELDS, purpose=4)
    query_refused(gw, signed, 403, "PURPOSE_NOT_GRANTED")


def test_purpose_no_longer_allowed_by_the_catalogue(
    scenario: Scenario, gw: InProcessGateway
) -> None:
    doc = active_grant(scenario, scenario.subjects[9], {DL: ("status",)}, purpose=4)
    update = scenario.net.catalogue.functions.update
    fields = [code32(f) for f in ("licence_class", "points", "status", "valid_until")]
    digest = sm3(canonical_json({"fields": ["licence_class", "points", "status", "valid_until"]}))
    scenario.net.send(
        scenario.net.committee[0],
        update(code32(DL), fields, digest, 3, purposes_mask(1), "http://127.0.0.1/gateway"),
    )
    try:
        signed = signed_request(scenario.consumer, doc, DL, ("status",))
        query_refused(gw, signed, 403, "PURPOSE_NOT_ALLOWED")
    finally:
        scenario.net.send(
            scenario.net.committee[0],
            update(code32(DL), fields, digest, 3, purposes_mask(1, 4), "http://127.0.0.1/gateway"),
        )


def test_bad_owner_approval_makes_the_grant_invalid(
    scenario: Scenario, gw: InProcessGateway
) -> None:
    owner = owner_for(scenario, scenario.subjects[10])
    doc = grant_document(scenario, owner, {VR: FIELDS})
    request_grant(scenario, doc)
    # The chain verifies the owner's signature itself: a forged approval is never recorded.
    with pytest.raises(GrantRegistryInvalidOwnerSignature):
        approve(scenario, doc, owner, signature=SM2PrivateKey.generate().sign(doc.canonical()))
    query_refused(gw, signed_request(scenario.consumer, doc, VR, FIELDS), 403, "GRANT_PENDING")


def test_document_that_differs_from_the_terms_is_invalid(
    scenario: Scenario, gw: InProcessGateway
) -> None:
    owner = owner_for(scenario, scenario.subjects[10])
    doc = grant_document(scenario, owner, {VR: FIELDS}, max_uses=5)
    lying = doc.model_copy(update={"max_uses": 500})
    data_from, data_to = doc.data_period_seconds()
    terms = (
        bytes.fromhex(doc.grant_id[2:]),
        owner.pseudonym,
        [code32(VR)],
        1,
        data_from,
        data_to,
        doc.not_before,
        doc.not_after,
        5,
        0,
        sm3(lying.canonical()),
    )
    scenario.net.send(
        scenario.consumer,
        scenario.net.grants.functions.request(
            terms, lying.canonical(), scenario.consumer.sm2.sign(lying.canonical())
        ),
    )
    approve(scenario, lying, owner)
    query_refused(
        gw, signed_request(scenario.consumer, doc, VR, FIELDS), 403, "GRANT_DOCUMENT_INVALID"
    )


def test_owner_whose_attestation_is_revoked(scenario: Scenario, gw: InProcessGateway) -> None:
    subject = scenario.subjects[11]
    doc = active_grant(scenario, subject, {VR: FIELDS})
    owner = scenario.owners[subject]
    scenario.net.send(
        scenario.net.committee[0],
        scenario.net.owners.functions.revokeAttestation(owner.pseudonym, code32("lost-phone")),
    )
    query_refused(gw, signed_request(scenario.consumer, doc, VR, FIELDS), 403, "OWNER_NOT_ATTESTED")


@pytest.mark.parametrize("forgery", ["signature", "document"])
def test_owner_whose_attestation_does_not_verify(
    scenario: Scenario, gw: InProcessGateway, forgery: str
) -> None:
    """A relayed attestation that does not verify never serves: the chain refuses a forged
    signature; a document naming another key passes the chain (it does not parse JSON) and is
    refused by the gateway."""
    subject = scenario.subjects[-1 if forgery == "signature" else -2]
    key = SM2PrivateKey.generate()
    owner = Owner(pseudonym(scenario.pseudonym_key, "resident_id", subject), key)
    attester = scenario.net.committee[0]
    named_key = (key if forgery == "signature" else SM2PrivateKey.generate()).public_key()
    document = attestation_document(
        owner.pseudonym, named_key.to_bytes(), attester, chain_now(scenario)
    )
    signer = SM2PrivateKey.generate() if forgery == "signature" else attester.sm2
    attest = scenario.net.owners.functions.attest(
        owner.pseudonym, owner.sm2_public_key, document, signer.sign(document)
    )
    if forgery == "signature":
        with pytest.raises(OwnerRegistryInvalidAttestation):
            scenario.net.send(attester, attest)
        assert scenario.net.contracts.owner(owner.pseudonym).key_version == 0
        return
    scenario.net.send(attester, attest)
    scenario.owners[subject] = owner
    doc = active_grant(scenario, subject, {VR: FIELDS})
    body = query_refused(
        gw, signed_request(scenario.consumer, doc, VR, FIELDS), 403, "OWNER_NOT_ATTESTED"
    )
    assert body["error"]["details"]["reason"] == "attestation does not verify"


def test_subject_the_department_does_not_hold(scenario: Scenario, gw: InProcessGateway) -> None:
    doc = active_grant(scenario, "11010519491231002X", {VR: FIELDS})
    query_refused(gw, signed_request(scenario.consumer, doc, VR, FIELDS), 404, "SUBJECT_NOT_FOUND")


def test_handler_returning_extra_keys_is_an_internal_error(
    scenario: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    from tests.gateway.department import LeakyHandler

    handlers = gw.gateway.handlers
    original = handlers[VR]
    handlers[VR] = LeakyHandler()
    try:
        signed = signed_request(scenario.consumer, grant, VR, ("plate_no",))
        body = query_refused(gw, signed, 500, "INTERNAL_ERROR")
        assert "泄露" not in json.dumps(body, ensure_ascii=False)
    finally:
        handlers[VR] = original


def test_a_refused_request_id_can_be_used_later(
    scenario: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    request_id = str(uuid.uuid4())
    bad = signed_request(scenario.consumer, grant, VR, ("owner_name",), request_id=request_id)
    query_refused(gw, bad, 403, "FIELD_NOT_GRANTED")
    good = signed_request(scenario.consumer, grant, VR, FIELDS, request_id=request_id)
    assert gw.query(good).status_code == 200


def test_every_query_refusal_code_is_covered() -> None:
    from quancheng.protocol.refusals import ALL_CODES, READER_CODES

    source = Path(__file__).read_text(encoding="utf-8")
    elsewhere = {  # covered in other files (outages: tests/gateway, tests/faults)
        "UNKNOWN_RECEIPT",
        "RECEIPT_NOT_ANCHORED",
        "CHAIN_UNAVAILABLE",
        "STORAGE_UNAVAILABLE",
        "SUBJECT_KIND_MISMATCH",  # tests/attacks/test_grant_scope.py (a department with firms)
        "CHANNEL_MISMATCH",  # over TLS only: tests/attacks/test_channel_binding.py
        *READER_CODES,  # reads of the log, not queries: tests/attacks/test_log_access.py
    }
    assert [c for c in ALL_CODES if f'"{c}"' not in source and c not in elsewhere] == []


_ = QueryRequest
