"""Queries over real HTTP to a gateway double: verified answers, lies caught, refusals typed."""

from __future__ import annotations

import pytest

from quancheng.chain import Role
from quancheng.client import ConsumerClient
from quancheng.grants import GrantRequestHandle
from quancheng.protocol import GrantMode
from quancheng.protocol import refusals as r
from quancheng.verify import data_digest, request_hash
from quancheng.verify_errors import (
    AnswerFieldMismatch,
    AnswerNotSealed,
    AnswerVerificationError,
    DataDigestMismatch,
    MalformedAnswer,
    MissingFields,
    ReceiptFieldMismatch,
    ReceiptSignatureInvalid,
    RequestHashMismatch,
    SealedAnswerInvalid,
    UnrequestedFields,
)
from quancheng.wallet import OwnerWallet
from tests.sdk.client.conftest import World
from tests.sdk.client.gateway_double import GatewayDouble, ServerThread
from tests.utils.chain_factories import admit, pass_proposal
from tests.utils.sdk_factories import (
    ROW,
    approved_grant,
    institution_of,
    make_consumer_client,
    register_sdk_resource,
)

FIELDS = ["plate", "status"]


@pytest.fixture
def grant(world: World, client: ConsumerClient, wallet: OwnerWallet) -> GrantRequestHandle:
    """An ACTIVE grant of plate, status and owner_name (the query asks for fewer)."""
    return approved_grant(
        client, wallet, world.authority, {world.resource: ["owner_name", *FIELDS]}
    )


def test_honest_answer_is_verified_and_exposes_data_receipt_and_evidence(
    world: World, client: ConsumerClient, gateway: GatewayDouble, grant: GrantRequestHandle
) -> None:
    answer = client.query(grant.grant_id, world.resource, FIELDS)

    assert dict(answer.data) == {"plate": ROW["plate"], "status": ROW["status"]}
    assert answer.provider == world.provider.code
    assert answer.resource == world.resource
    assert answer.grant_id == grant.grant_id_hex
    assert answer.mode is GrantMode.RAW
    assert answer.request_hash == request_hash(answer.request)
    # Sensitivity 3: the data travelled sealed; the digest is of the salted plaintext, so
    # whoever sees the receipt cannot confirm a guess of the data.
    assert answer.sealed and answer.answer.data is None
    assert answer.data_digest != data_digest(answer.data)
    assert answer.receipt.receipt.response_hash == answer.data_digest
    assert answer.receipt_id == gateway.receipts[-1].receipt.receipt_id
    assert set(answer.signatures) == {"request", "receipt"}  # answer/3: the receipt binds it
    evidence = answer.evidence()
    assert evidence["request"]["request"]["request_id"] == answer.request.request_id
    assert evidence["answer"]["data_digest"] == answer.data_digest
    with pytest.raises(TypeError):
        answer.data["plate"] = "鲁B00000"  # type: ignore[index]


@pytest.mark.parametrize(
    ("behaviour", "error", "check"),
    [
        ("wrong_key", ReceiptSignatureInvalid, None),
        ("tampered_in_transit", SealedAnswerInvalid, None),  # sensitivity 3: sealed
        ("served_at_differs", AnswerFieldMismatch, "served_at_ms"),
        ("receipt_wrong_mode", ReceiptFieldMismatch, "mode"),
        ("wrong_request_hash", RequestHashMismatch, None),
        ("other_request_id", AnswerFieldMismatch, "request_id"),
        ("other_resource", AnswerFieldMismatch, "resource"),
        ("wrong_mode", AnswerFieldMismatch, "mode"),
        ("data_digest_mismatch", DataDigestMismatch, None),
        ("extra_field", UnrequestedFields, None),
        ("missing_field", MissingFields, None),
        ("receipt_other_grant", ReceiptFieldMismatch, "grant_id"),
        ("receipt_response_hash", ReceiptFieldMismatch, "response_hash"),
        ("receipt_wrong_tier", ReceiptFieldMismatch, "tier"),
        ("receipt_bad_signature", ReceiptSignatureInvalid, None),
        ("malformed_json", MalformedAnswer, None),
        ("extra_top_level_field", MalformedAnswer, None),
        ("unsealed", AnswerNotSealed, None),
        ("sealed_to_another_key", SealedAnswerInvalid, None),
        ("sealed_for_another_request", SealedAnswerInvalid, None),
        ("sealed_without_salt", SealedAnswerInvalid, None),
    ],
)
def test_dishonest_answer_raises_the_exact_verification_error(
    world: World,
    client: ConsumerClient,
    gateway: GatewayDouble,
    grant: GrantRequestHandle,
    behaviour: str,
    error: type[AnswerVerificationError],
    check: str | None,
) -> None:
    gateway.behaviour = behaviour

    with pytest.raises(AnswerVerificationError) as caught:
        client.query(grant.grant_id, world.resource, FIELDS)

    assert type(caught.value) is error
    if check is not None:
        assert caught.value.field == check  # type: ignore[attr-defined]
    if behaviour == "extra_field":
        assert caught.value.fields == ("owner_name",)  # type: ignore[attr-defined]
    if behaviour == "missing_field":
        assert caught.value.fields == ("status",)  # type: ignore[attr-defined]
        assert caught.value.code == "MISSING_FIELDS"


def test_answer_with_a_null_value_under_a_requested_field_is_verified(
    world: World, client: ConsumerClient, gateway: GatewayDouble, grant: GrantRequestHandle
) -> None:
    gateway.behaviour = "null_field"

    answer = client.query(grant.grant_id, world.resource, FIELDS)

    assert dict(answer.data) == {"plate": ROW["plate"], "status": None}


@pytest.mark.parametrize(
    "refusal",
    [
        r.ReplayedRequest(),
        r.ClockSkew(),
        r.PurposeNotGranted(),
        r.SubjectNotFound(),
        r.ChainUnavailable(),
        r.InternalError(),
    ],
    ids=lambda refusal: refusal.code,
)
def test_refusal_body_raises_the_refusal_class_of_its_code(
    world: World,
    client: ConsumerClient,
    gateway: GatewayDouble,
    grant: GrantRequestHandle,
    refusal: r.Refusal,
) -> None:
    gateway.refusal = refusal

    with pytest.raises(r.Refusal) as caught:
        client.query(grant.grant_id, world.resource, FIELDS)

    assert type(caught.value) is type(refusal)
    assert caught.value.status == refusal.status


def test_query_under_a_revoked_grant_raises_grant_revoked(
    world: World, client: ConsumerClient, wallet: OwnerWallet, grant: GrantRequestHandle
) -> None:
    world.authority.relay_action(
        *wallet.revoke(grant.grant_id, grant.document_digest, seq=_seq(world, grant.grant_id))
    )

    with pytest.raises(r.GrantRevoked) as caught:
        client.query(grant.grant_id, world.resource, FIELDS)

    assert type(caught.value) is r.GrantRevoked
    assert (caught.value.status, caught.value.code) == (403, "GRANT_REVOKED")


def test_query_for_a_field_outside_the_grant_raises_field_not_granted(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = approved_grant(client, wallet, world.authority, {world.resource: ["plate"]})

    with pytest.raises(r.FieldNotGranted) as caught:
        client.query(handle.grant_id, world.resource, ["plate", "owner_name"])

    assert caught.value.details == {"fields": ["owner_name"]}


def test_rotated_provider_key_is_read_again_once_and_the_answer_verifies(
    world: World, wallet: OwnerWallet
) -> None:
    net = world.net
    provider = admit(net, Role.PROVIDER)
    double = GatewayDouble(provider, net.contracts, rows={})
    server = ServerThread(double.app()).start()
    try:
        resource = register_sdk_resource(net, provider, endpoint=server.url)
        double.rows[resource] = dict(ROW)
        with make_consumer_client(net, world.rpc_url, admit(net, Role.CONSUMER)) as client:
            grant = approved_grant(client, wallet, world.authority, {resource: FIELDS})
            client.query(grant.grant_id, resource, FIELDS)  # caches the provider's key

            new_key = type(provider.sm2).generate()
            rotation = net.registry.functions.proposeKeyRotation(
                provider.id, new_key.public_key().to_bytes(), "0x" + "00" * 20
            )
            pass_proposal(net, rotation)
            double.signing_key = new_key

            answer = client.query(grant.grant_id, resource, FIELDS)
    finally:
        server.stop()
    assert set(answer.signatures) == {"request", "receipt"} and answer.signatures["receipt"]
    assert institution_of(provider).code == answer.provider


def _seq(world: World, grant_id: bytes | str) -> int:
    """The grant's next decision number, as the portal reads it before the owner signs."""
    gid = grant_id if isinstance(grant_id, bytes) else bytes.fromhex(grant_id.removeprefix("0x"))
    return world.net.contracts.decision_seq(gid)


def test_low_sensitivity_data_comes_clear_unless_the_consumer_asks_it_sealed(
    world: World, client: ConsumerClient, gateway: GatewayDouble, wallet: OwnerWallet
) -> None:
    resource = register_sdk_resource(
        world.net, world.provider, endpoint=world.server.url, sensitivity=2
    )
    gateway.rows[resource] = dict(ROW)
    grant = approved_grant(client, wallet, world.authority, {resource: FIELDS})

    clear = client.query(grant.grant_id, resource, FIELDS)
    sealed = client.query(grant.grant_id, resource, FIELDS, seal=True)

    assert not clear.sealed and clear.answer.data == dict(clear.data)
    assert clear.data_digest == data_digest(clear.data)
    assert sealed.sealed and sealed.request.seal and dict(sealed.data) == dict(clear.data)
    gateway.behaviour = "unsealed"  # asked sealed, answered clear: refused
    with pytest.raises(AnswerNotSealed):
        client.query(grant.grant_id, resource, FIELDS, seal=True)
