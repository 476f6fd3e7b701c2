"""GrantRegistry requests: a consumer asks for a grant with the document it signed;
every malformed request is refused."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from quancheng.chain import GrantMode, GrantStatus, InstitutionStatus, Role, code32
from quancheng.chain.errors import (
    ConsortiumRegistryInstitutionNotActive,
    ConsortiumRegistryUnknownAccount,
    ConsortiumRegistryWrongRole,
    GrantRegistryDocumentDigestMismatch,
    GrantRegistryDuplicateGrant,
    GrantRegistryDuplicateResource,
    GrantRegistryEmptyDocument,
    GrantRegistryInvalidConsumerSignature,
    GrantRegistryInvalidDataPeriod,
    GrantRegistryInvalidDocumentDigest,
    GrantRegistryInvalidGrantId,
    GrantRegistryInvalidPurpose,
    GrantRegistryInvalidValidity,
    GrantRegistryMissingSignature,
    GrantRegistryNoResources,
    GrantRegistryNotActive,
    GrantRegistryOwnerNotAttested,
    GrantRegistryOwnerRevoked,
    GrantRegistryPurposeNotAllowed,
    GrantRegistryResourceInactive,
    GrantRegistryTermsOutOfBounds,
    GrantRegistryUnknownResource,
    GrantRegistryValidityEnded,
    GrantRegistryZeroMaxUses,
)
from quancheng.crypto import SM2PublicKey, sm3
from quancheng.errors import GrantError
from tests.utils.chain_factories import (
    Member,
    Owner,
    TestNetwork,
    fresh_account,
    grant_document,
    grant_terms,
    register_resource,
    request_grant,
    sm2_key,
    suspend,
    terms_tuple,
    unique_code,
)


def _request(
    net: TestNetwork,
    consumer: Member,
    terms: dict[str, Any],
    *,
    document: bytes | None = None,
    signature: bytes | None = None,
):  # type: ignore[no-untyped-def]
    document = grant_document(terms) if document is None else document
    signature = consumer.sm2.sign(document) if signature is None else signature
    return net.send(consumer, net.grants.functions.request(terms_tuple(terms), document, signature))


# ---------------------------------------------------------------------------- request


def test_request_records_a_pending_grant_and_emits_the_signed_document(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    terms = grant_terms(net, owner, [resource], purpose=2, maxUses=3, mode=int(GrantMode.DERIVED))
    document = grant_document(terms)
    receipt = _request(net, consumer, terms, document=document)

    (event,) = net.events(receipt)
    signature = event.args.pop("consumerSignature")
    assert (event.name, event.args) == ("GrantRequested", {
        "grantId": terms["grantId"], "ownerPseudonym": owner.pseudonym, "consumerId": consumer.id,
        "documentDigest": sm3(document), "document": document,
    })  # fmt: skip
    # What a gateway following events checks off chain: digest and consumer signature.
    consumer_key = net.contracts.institution(consumer.id).sm2_public_key
    SM2PublicKey.from_bytes(consumer_key).verify(signature, document)

    grant = net.contracts.grant(terms["grantId"])
    now = net.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert grant.model_dump() == {
        "grant_id": terms["grantId"], "owner_pseudonym": owner.pseudonym,
        "consumer_id": consumer.id, "resource_ids": [resource], "purpose": 2,
        "data_from": terms["dataFrom"], "data_to": terms["dataTo"],
        "not_before": terms["notBefore"], "not_after": terms["notAfter"], "max_uses": 3,
        "uses": 0, "mode": GrantMode.DERIVED, "status": GrantStatus.PENDING,
        "requested_at": now, "updated_at": now, "document_digest": sm3(document),
        "owner_signature": b"",
    }  # fmt: skip
    assert net.contracts.grant_status(terms["grantId"]) is GrantStatus.PENDING
    assert net.grants.functions.version().call() == "0.3.0"


def test_request_by_a_non_consumer_is_refused(
    net: TestNetwork, provider: Member, owner: Owner, resource: bytes
) -> None:
    with pytest.raises(ConsortiumRegistryWrongRole) as exc:
        _request(net, provider, grant_terms(net, owner, [resource]))
    assert (exc.value.institution_id, exc.value.required, exc.value.actual) == (
        provider.id, Role.CONSUMER, Role.PROVIDER,
    )  # fmt: skip


def test_request_by_a_suspended_consumer_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    suspend(net, consumer)
    with pytest.raises(ConsortiumRegistryInstitutionNotActive) as exc:
        _request(net, consumer, grant_terms(net, owner, [resource]))
    assert exc.value.status is InstitutionStatus.SUSPENDED


def test_request_with_a_taken_grant_id_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = request_grant(net, consumer, owner, [resource])
    with pytest.raises(GrantRegistryDuplicateGrant) as exc:
        _request(net, consumer, grant_terms(net, owner, [resource], grantId=grant_id))
    assert exc.value.grant_id == grant_id


def test_request_with_a_zero_grant_id_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    with pytest.raises(GrantRegistryInvalidGrantId):
        _request(net, consumer, grant_terms(net, owner, [resource], grantId=b"\x00" * 32))


def test_request_for_an_unattested_owner_is_refused(
    net: TestNetwork, consumer: Member, resource: bytes
) -> None:
    stranger = Owner(secrets.token_bytes(32), sm2_key())
    with pytest.raises(GrantRegistryOwnerNotAttested) as exc:
        _request(net, consumer, grant_terms(net, stranger, [resource]))
    assert exc.value.owner_pseudonym == stranger.pseudonym


def test_request_for_a_revoked_owner_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    net.send(
        net.committee[0], net.owners.functions.revokeAttestation(owner.pseudonym, b"\x00" * 32)
    )
    with pytest.raises(GrantRegistryOwnerRevoked) as exc:
        _request(net, consumer, grant_terms(net, owner, [resource]))
    assert exc.value.owner_pseudonym == owner.pseudonym


def test_request_with_purpose_zero_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    with pytest.raises(GrantRegistryInvalidPurpose) as exc:
        _request(net, consumer, grant_terms(net, owner, [resource], purpose=0))
    assert exc.value.purpose == 0


def test_request_whose_validity_is_empty_or_over_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    now = net.now()
    with pytest.raises(GrantRegistryInvalidValidity) as empty:
        _request(
            net,
            consumer,
            grant_terms(net, owner, [resource], notBefore=now + 50, notAfter=now + 50),
        )
    assert (empty.value.not_before, empty.value.not_after) == (now + 50, now + 50)
    with pytest.raises(GrantRegistryValidityEnded) as over:
        _request(
            net,
            consumer,
            grant_terms(net, owner, [resource], notBefore=now - 100, notAfter=now - 10),
        )
    assert over.value.not_after == now - 10 and over.value.timestamp >= now


def test_request_with_an_inverted_data_period_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    with pytest.raises(GrantRegistryInvalidDataPeriod) as exc:
        _request(net, consumer, grant_terms(net, owner, [resource], dataFrom=2000, dataTo=1000))
    assert (exc.value.data_from, exc.value.data_to) == (2000, 1000)


def test_request_with_zero_max_uses_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    terms = grant_terms(net, owner, [resource], maxUses=0)
    with pytest.raises(GrantRegistryZeroMaxUses) as exc:
        _request(net, consumer, terms)
    assert exc.value.grant_id == terms["grantId"]


def test_request_naming_no_resource_or_one_twice_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    with pytest.raises(GrantRegistryNoResources):
        _request(net, consumer, grant_terms(net, owner, []))
    with pytest.raises(GrantRegistryDuplicateResource) as exc:
        _request(net, consumer, grant_terms(net, owner, [resource, resource]))
    assert exc.value.resource_id == resource


def test_request_naming_an_unknown_resource_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    ghost = code32(unique_code("ghost"))
    with pytest.raises(GrantRegistryUnknownResource) as exc:
        _request(net, consumer, grant_terms(net, owner, [resource, ghost]))
    assert exc.value.resource_id == ghost


def test_request_naming_an_inactive_resource_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    net.send(net.committee[0], net.catalogue.functions.deactivate(resource))
    with pytest.raises(GrantRegistryResourceInactive) as exc:
        _request(net, consumer, grant_terms(net, owner, [resource]))
    assert exc.value.resource_id == resource


def test_request_for_a_purpose_the_resource_does_not_allow_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, provider: Member
) -> None:
    resource = register_resource(net, provider, purposes=(3,))
    with pytest.raises(GrantRegistryPurposeNotAllowed) as exc:
        _request(net, consumer, grant_terms(net, owner, [resource], purpose=4))
    assert (exc.value.resource_id, exc.value.purpose) == (resource, 4)


def test_request_without_digest_document_or_signature_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    with pytest.raises(GrantRegistryInvalidDocumentDigest):
        _request(net, consumer, grant_terms(net, owner, [resource], documentDigest=b"\x00" * 32))
    terms = grant_terms(net, owner, [resource])
    with pytest.raises(GrantRegistryEmptyDocument) as empty:
        _request(net, consumer, terms, document=b"")
    assert empty.value.grant_id == terms["grantId"]
    with pytest.raises(GrantRegistryMissingSignature) as unsigned:
        _request(net, consumer, terms, signature=b"")
    assert unsigned.value.grant_id == terms["grantId"]


def test_grant_errors_are_grant_errors() -> None:
    assert issubclass(GrantRegistryNotActive, GrantError)
    assert GrantRegistryNotActive.code == "GRANT_REGISTRY_NOT_ACTIVE"


def test_request_by_an_account_of_no_institution_is_refused(
    net: TestNetwork, owner: Owner, resource: bytes
) -> None:
    stranger = fresh_account(net)
    terms = grant_terms(net, owner, [resource])
    fn = net.grants.functions.request(terms_tuple(terms), grant_document(terms), b"sig")
    with pytest.raises(ConsortiumRegistryUnknownAccount) as exc:
        net.send(stranger, fn)
    assert exc.value.account == stranger.address


# ------------------------------------------------- verified on chain: signature, digest, bounds


def test_request_signed_with_a_key_other_than_the_registered_one_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    """A bank whose SM2 key does not match its registration cannot put a grant on chain."""
    terms = grant_terms(net, owner, [resource])
    document = grant_document(terms)
    with pytest.raises(GrantRegistryInvalidConsumerSignature) as exc:
        _request(net, consumer, terms, document=document, signature=sm2_key().sign(document))
    assert (exc.value.grant_id, exc.value.consumer_id) == (terms["grantId"], consumer.id)
    with pytest.raises(GrantRegistryInvalidConsumerSignature):
        _request(net, consumer, terms, signature=b"\x30\x06\x02\x01\x01\x02\x01\x01")
    assert net.contracts.grant_status(terms["grantId"]) is GrantStatus.NONE


def test_request_whose_document_is_not_the_digested_one_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    terms = grant_terms(net, owner, [resource])
    other = grant_document({**terms, "maxUses": 10_000})
    with pytest.raises(GrantRegistryDocumentDigestMismatch) as exc:
        _request(net, consumer, terms, document=other)
    assert (exc.value.expected, exc.value.actual) == (terms["documentDigest"], sm3(other))
    assert net.contracts.grant_status(terms["grantId"]) is GrantStatus.NONE


@pytest.mark.parametrize(
    ("term", "overrides", "value", "limit"),
    [
        ("maxUses", {"maxUses": 100_001}, 100_001, 100_000),
        ("validity", {"notBefore": 0, "notAfter": None}, None, 1_096 * 86_400),
        ("notAfter", {"notAfter": None}, None, 1_096 * 86_400),
        ("dataPeriod", {"dataFrom": 0, "dataTo": 30 * 366 * 86_400 + 1}, None, 30 * 366 * 86_400),
    ],
)
def test_request_with_terms_beyond_their_bounds_is_refused(
    net: TestNetwork,
    consumer: Member,
    owner: Owner,
    resource: bytes,
    term: str,
    overrides: dict[str, Any],
    value: int | None,
    limit: int,
) -> None:
    now = net.now()
    if term == "notAfter":
        overrides = {"notBefore": now + 2 * 86_400, "notAfter": now + 1_097 * 86_400}
    if term == "validity":
        overrides = {**overrides, "notBefore": now - 2 * 86_400, "notAfter": now + 1_095 * 86_400}
    terms = grant_terms(net, owner, [resource], **overrides)
    with pytest.raises(GrantRegistryTermsOutOfBounds) as exc:
        _request(net, consumer, terms)
    assert exc.value.term == term.encode().ljust(32, b"\0")
    assert exc.value.limit == limit
    assert exc.value.value > limit if value is None else exc.value.value == value
    assert net.contracts.grant_status(terms["grantId"]) is GrantStatus.NONE
