"""Attacks on who signs a query and when: signatures, membership, replays, clocks.

Every attack here is refused with its exact status and code, answers no data and leaves the
gateway's log, request ids, use counts, reported log size and receipt metrics as they were.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from quancheng.chain import Role
from quancheng.crypto import SM2PrivateKey, canonical_json
from quancheng.crypto._curve import SM2P256
from quancheng.crypto._der import decode_signature, encode_signature
from quancheng.protocol import GrantDocument, SignedRequest
from quancheng.protocol.documents import b64, unb64
from tests.attacks.support import (
    FIELDS,
    VR,
    answered,
    fresh_subject,
    refused,
    request_dict,
    sign_dict,
    state_of,
)
from tests.gateway.conftest import InProcessGateway
from tests.utils.chain_factories import Member, admit, pass_proposal
from tests.utils.scenario import Scenario, active_grant, signed_request

N = SM2P256.n


def _post(gw: InProcessGateway, body: dict[str, Any] | bytes) -> Callable[[], Any]:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda: gw.client.post("/v1/query", content=content)


def _with_signature(signed: SignedRequest, signature: bytes | str) -> dict[str, Any]:
    sig = signature if isinstance(signature, str) else b64(signature)
    return {"request": signed.request.model_dump(mode="json"), "signature": sig}


# --------------------------------------------------------------------------- signatures


def _der_int(value: bytes) -> bytes:
    return bytes([0x02, len(value)]) + value


def _minimal(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 8) // 8, "big")


#: Re-encodings and re-valuations of a valid signature (r, s): none may verify.
MALLEATIONS: dict[str, Callable[[bytes], bytes]] = {
    "s-to-n-minus-s": lambda sig: encode_signature(
        decode_signature(sig)[0], N - decode_signature(sig)[1]
    ),
    "r-and-s-swapped": lambda sig: encode_signature(*reversed(decode_signature(sig))),
    "s-plus-n": lambda sig: encode_signature(
        decode_signature(sig)[0], decode_signature(sig)[1] + N
    ),
    "s-zero": lambda sig: encode_signature(decode_signature(sig)[0], 0),
    "trailing-byte": lambda sig: sig + b"\x00",
    "leading-zero-in-r": lambda sig: (
        bytes([0x30, len(sig) - 1])
        + _der_int(b"\x00" + _minimal(decode_signature(sig)[0]))
        + _der_int(_minimal(decode_signature(sig)[1]))
    ),
    "long-form-length": lambda sig: bytes([0x30, 0x81, sig[1]]) + sig[2:],
    "third-integer": lambda sig: bytes([0x30, sig[1] + 3]) + sig[2:] + b"\x02\x01\x00",
    "empty-sequence": lambda sig: b"\x30\x00",
}


@pytest.mark.parametrize("malleation", list(MALLEATIONS), ids=list(MALLEATIONS))
def test_malleated_signature_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: GrantDocument, malleation: str
) -> None:
    signed = signed_request(sc.consumer, grant, VR, FIELDS)
    bad = MALLEATIONS[malleation](unb64(signed.signature))
    assert bad != unb64(signed.signature)
    refused(
        gw,
        _post(gw, _with_signature(signed, bad)),
        401,
        "BAD_REQUEST_SIGNATURE",
        request_id=signed.request.request_id,
    )


def test_forged_signature_is_refused(sc: Scenario, gw: InProcessGateway, grant: Any) -> None:
    signed = signed_request(sc.consumer, grant, VR, FIELDS)
    forged = SM2PrivateKey.generate().sign(signed.request.canonical())
    refused(
        gw,
        _post(gw, _with_signature(signed, forged)),
        401,
        "BAD_REQUEST_SIGNATURE",
        request_id=signed.request.request_id,
    )


def test_signature_by_another_members_key_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any, other_consumer: Member
) -> None:
    """Another bank signs a query in our bank's name with its own (valid, on-chain) key."""
    signed = signed_request(other_consumer, grant, VR, FIELDS, consumer_code=sc.consumer.code)
    refused(
        gw,
        lambda: gw.query(signed),
        401,
        "BAD_REQUEST_SIGNATURE",
        request_id=signed.request.request_id,
    )


def test_request_changed_after_signing_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    signed = signed_request(sc.consumer, grant, VR, ("plate_no",))
    body = _with_signature(signed, signed.signature)
    body["request"]["fields"] = ["plate_no", "status"]
    refused(gw, _post(gw, body), 401, "BAD_REQUEST_SIGNATURE")


def test_signature_over_non_canonical_json_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    signed = signed_request(sc.consumer, grant, VR, FIELDS)
    pretty = json.dumps(signed.request.model_dump(mode="json"), indent=2).encode()
    refused(
        gw,
        _post(gw, _with_signature(signed, sc.consumer.sm2.sign(pretty))),
        401,
        "BAD_REQUEST_SIGNATURE",
    )


def test_signature_with_another_sm2_user_id_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    signed = signed_request(sc.consumer, grant, VR, FIELDS)
    other_id = sc.consumer.sm2.sign(signed.request.canonical(), user_id=b"ALICE123@YAHOO.COM")
    refused(gw, _post(gw, _with_signature(signed, other_id)), 401, "BAD_REQUEST_SIGNATURE")


@pytest.mark.parametrize(
    ("signature", "status", "code"),
    [
        ("AAA", 401, "BAD_REQUEST_SIGNATURE"),
        ("", 400, "MALFORMED_REQUEST"),
        ("MEUC!*", 400, "MALFORMED_REQUEST"),
        ("A" * 400, 400, "MALFORMED_REQUEST"),
    ],
    ids=["bad-padding", "empty", "not-base64", "too-long"],
)
def test_signature_that_is_not_base64_der_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any, signature: str, status: int, code: str
) -> None:
    signed = signed_request(sc.consumer, grant, VR, FIELDS)
    refused(gw, _post(gw, _with_signature(signed, signature)), status, code)


# --------------------------------------------------------------------------- membership


def _member_with_grant(sc: Scenario) -> tuple[Member, GrantDocument]:
    member = admit(sc.net, Role.CONSUMER)
    return member, active_grant(sc, fresh_subject(sc), {VR: FIELDS}, consumer=member)


@pytest.mark.parametrize(
    "vote", ["proposeSuspension", "proposeRemoval"], ids=["suspended", "removed"]
)
def test_valid_signature_of_a_member_the_committee_voted_out_is_refused(
    sc: Scenario, gw: InProcessGateway, vote: str
) -> None:
    member, doc = _member_with_grant(sc)
    gw.sync()
    assert gw.query(signed_request(member, doc, VR, FIELDS)).status_code == 200
    pass_proposal(sc.net, getattr(sc.net.registry.functions, vote)(member.id))
    signed = signed_request(member, doc, VR, FIELDS)
    refused(
        gw,
        lambda: gw.query(signed),
        403,
        "CONSUMER_NOT_ACTIVE",
        request_id=signed.request.request_id,
    )


def test_consumer_that_is_no_member_is_refused(sc: Scenario, gw: InProcessGateway) -> None:
    stranger = Member("bank.nobody", Role.CONSUMER, sc.consumer.account, SM2PrivateKey.generate())
    signed = signed_request(stranger, "0x" + "ab" * 32, VR, FIELDS)
    refused(gw, lambda: gw.query(signed), 403, "UNKNOWN_CONSUMER")


@pytest.mark.parametrize("who", ["provider", "committee"])
def test_member_without_the_consumer_role_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any, who: str
) -> None:
    member = sc.provider if who == "provider" else sc.net.committee[0]
    signed = signed_request(member, grant, VR, FIELDS)
    refused(gw, lambda: gw.query(signed), 403, "CONSUMER_NOT_ACTIVE")


# ------------------------------------------------------------------------------- replay


def test_replayed_request_is_refused(sc: Scenario, gw: InProcessGateway, grant: Any) -> None:
    signed = signed_request(sc.consumer, grant, VR, FIELDS)
    gw.sync()
    answered(gw, gw.query(signed))
    refused(gw, lambda: gw.query(signed), 409, "REPLAYED_REQUEST")


def test_used_request_id_with_a_new_body_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    request_id = str(uuid.uuid4())
    gw.sync()
    answered(gw, gw.query(signed_request(sc.consumer, grant, VR, FIELDS, request_id=request_id)))
    again = signed_request(sc.consumer, grant, VR, ("plate_no",), request_id=request_id)
    refused(gw, lambda: gw.query(again), 409, "REPLAYED_REQUEST")


def test_request_id_replayed_in_another_case_is_malformed(
    sc: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    """UUIDs are lower-case on the wire: an upper-cased replay is not a second id."""
    request_id = str(uuid.uuid4())
    gw.sync()
    answered(gw, gw.query(signed_request(sc.consumer, grant, VR, FIELDS, request_id=request_id)))
    body = signed_request(sc.consumer, grant, VR, FIELDS).model_dump(mode="json")
    body["request"]["request_id"] = request_id.upper()
    body["signature"] = b64(sc.consumer.sm2.sign(canonical_json(body["request"])))
    refused(gw, _post(gw, body), 400, "MALFORMED_REQUEST")


# -------------------------------------------------------------------------------- clock


@pytest.mark.parametrize("direction", [-1, 1], ids=["stale", "future"])
def test_timestamp_beyond_the_allowed_skew_is_refused(
    sc: Scenario, gw: InProcessGateway, grant: Any, direction: int
) -> None:
    skew_ms = int(gw.gateway.settings.clock_skew_s * 1000)
    at = gw.clock.now_ms() + direction * (skew_ms + 1_000)
    signed = signed_request(sc.consumer, grant, VR, FIELDS, issued_at_ms=at)
    refused(gw, lambda: gw.query(signed), 400, "CLOCK_SKEW", request_id=signed.request.request_id)


def test_timestamp_beyond_json_integers_is_malformed_not_a_crash(
    sc: Scenario, gw: InProcessGateway, grant: Any
) -> None:
    body = sign_dict(sc.consumer, request_dict(sc, grant, issued_at_ms=2**63))
    refused(gw, _post(gw, body), 400, "MALFORMED_REQUEST")


def test_refusals_left_no_reservation_behind(gw: InProcessGateway) -> None:
    state = state_of(gw)
    assert state.committer is not None and state.committer[3] == 0
