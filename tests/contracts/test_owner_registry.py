"""OwnerRegistry: the identity authority binds owner SM2 keys to keyed pseudonyms; rotation,
revocation, re-attestation; every refusal."""

from __future__ import annotations

import secrets

import pytest

from quancheng.attestations import verify_attestation
from quancheng.chain.errors import (
    ConsortiumRegistryNotIdentityAuthority,
    ConsortiumRegistryUnknownAccount,
    OwnerRegistryAlreadyRevoked,
    OwnerRegistryEmptyAttestation,
    OwnerRegistryEmptyAttestationDocument,
    OwnerRegistryInvalidAttestation,
    OwnerRegistryInvalidPseudonym,
    OwnerRegistryInvalidSm2PublicKey,
    OwnerRegistryKeyUnchanged,
    OwnerRegistrySm2KeyBound,
    OwnerRegistryUnknownOwner,
)
from quancheng.crypto import SM2PublicKey
from tests.utils.chain_factories import (
    Member,
    Owner,
    TestNetwork,
    attest_owner,
    attestation_document,
    fresh_account,
    sm2_key,
)

REASON = b"lost-device".ljust(32, b"\x00")


def _document(net: TestNetwork, attester: Member, pseudonym: bytes, key: bytes) -> bytes:
    if len(key) != 65 or key[0] != 4:  # not a key the protocol document can name
        return b'{"type":"quancheng.attestation/1"}'
    return attestation_document(pseudonym, key, attester, net.now())


def _attest(net: TestNetwork, attester: Member, pseudonym: bytes, key: bytes):  # type: ignore[no-untyped-def]
    document = _document(net, attester, pseudonym, key)
    fn = net.owners.functions.attest(pseudonym, key, document, attester.sm2.sign(document))
    return net.send(attester, fn)


def test_first_attestation_binds_the_key_to_the_pseudonym(net: TestNetwork) -> None:
    attester = net.committee[0]
    pseudonym, key = secrets.token_bytes(32), sm2_key().public_key().to_bytes()
    receipt = _attest(net, attester, pseudonym, key)
    (event,) = net.events(receipt)
    assert event.name == "OwnerAttested"
    signature = event.args.pop("attestation")
    document = event.args.pop("attestationDocument")
    assert event.args == {
        "pseudonym": pseudonym, "attesterId": attester.id, "keyVersion": 1,
        "sm2PublicKey": key, "previousSm2PublicKey": b"",
    }  # fmt: skip
    # The document travels on chain; it and its signature verify off chain against the
    # attester's key in the registry.
    attester_key = net.contracts.institution(attester.id).sm2_public_key
    verified = verify_attestation(
        document, signature, SM2PublicKey.from_bytes(attester_key),
        pseudonym=pseudonym, owner_key=key, attester=attester.code,
    )  # fmt: skip
    assert verified.attested_at <= net.now()
    record = net.contracts.owner(pseudonym)
    assert (record.sm2_public_key, record.attester_id, record.key_version, record.revoked) == (
        key, attester.id, 1, False,
    )  # fmt: skip
    assert record.attested_at == net.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert net.owners.functions.isAttested(pseudonym).call()
    assert net.owners.functions.pseudonymOf(key).call() == pseudonym
    assert net.owners.functions.version().call() == "0.3.0"


def test_rotation_replaces_the_key_and_releases_the_old_one(net: TestNetwork, owner: Owner) -> None:
    new_key = sm2_key().public_key().to_bytes()
    receipt = _attest(net, net.committee[0], owner.pseudonym, new_key)
    (event,) = net.events(receipt)
    args = event.args
    assert (args["keyVersion"], args["sm2PublicKey"], args["previousSm2PublicKey"]) == (
        2, new_key, owner.sm2_public_key,
    )  # fmt: skip
    assert net.contracts.owner(owner.pseudonym).sm2_public_key == new_key
    assert net.owners.functions.pseudonymOf(owner.sm2_public_key).call() == b"\x00" * 32
    other = secrets.token_bytes(32)
    _attest(net, net.committee[0], other, owner.sm2_public_key)  # the released key is free again
    assert net.owners.functions.pseudonymOf(owner.sm2_public_key).call() == other


def test_revocation_and_re_attestation_of_the_same_key(net: TestNetwork, owner: Owner) -> None:
    receipt = net.send(
        net.committee[0], net.owners.functions.revokeAttestation(owner.pseudonym, REASON)
    )
    assert [(e.name, e.args) for e in net.events(receipt)] == [
        ("OwnerAttestationRevoked", {
            "pseudonym": owner.pseudonym, "attesterId": net.committee[0].id, "reason": REASON,
        }),
    ]  # fmt: skip
    assert net.contracts.owner(owner.pseudonym).revoked
    assert not net.owners.functions.isAttested(owner.pseudonym).call()
    with pytest.raises(OwnerRegistryAlreadyRevoked) as exc:
        net.send(net.committee[0], net.owners.functions.revokeAttestation(owner.pseudonym, REASON))
    assert exc.value.pseudonym == owner.pseudonym

    receipt = _attest(net, net.committee[0], owner.pseudonym, owner.sm2_public_key)
    assert net.events(receipt)[0].args["keyVersion"] == 2
    assert net.owners.functions.isAttested(owner.pseudonym).call()


def test_attestation_of_the_current_key_again_is_refused(net: TestNetwork, owner: Owner) -> None:
    with pytest.raises(OwnerRegistryKeyUnchanged) as exc:
        _attest(net, net.committee[0], owner.pseudonym, owner.sm2_public_key)
    assert exc.value.pseudonym == owner.pseudonym


def test_attestation_of_a_key_bound_to_another_pseudonym_is_refused(
    net: TestNetwork, owner: Owner
) -> None:
    with pytest.raises(OwnerRegistrySm2KeyBound) as exc:
        _attest(net, net.committee[0], secrets.token_bytes(32), owner.sm2_public_key)
    assert (exc.value.sm2_public_key, exc.value.pseudonym) == (
        owner.sm2_public_key,
        owner.pseudonym,
    )


def test_attestation_with_a_zero_pseudonym_is_refused(net: TestNetwork) -> None:
    with pytest.raises(OwnerRegistryInvalidPseudonym) as exc:
        _attest(net, net.committee[0], b"\x00" * 32, sm2_key().public_key().to_bytes())
    assert exc.value.pseudonym == b"\x00" * 32


@pytest.mark.parametrize(
    "key",
    [
        b"",
        b"\x04" * 64,
        b"\x03" + b"\x01" * 64,
        b"\x04" + b"\x01" * 64,  # well formed, but not a point of the curve
        b"\x04" + b"\x00" * 64,  # the point at infinity's usual encoding
        b"\x04" + b"\xff" * 64,  # coordinates beyond p
    ],
)
def test_attestation_of_a_malformed_key_is_refused(net: TestNetwork, key: bytes) -> None:
    with pytest.raises(OwnerRegistryInvalidSm2PublicKey) as exc:
        _attest(net, net.committee[0], secrets.token_bytes(32), key)
    assert exc.value.sm2_public_key == key


def test_attestation_without_a_signature_is_refused(net: TestNetwork) -> None:
    pseudonym, key = secrets.token_bytes(32), sm2_key().public_key().to_bytes()
    document = attestation_document(pseudonym, key, net.committee[0], net.now())
    fn = net.owners.functions.attest(pseudonym, key, document, b"")
    with pytest.raises(OwnerRegistryEmptyAttestation) as exc:
        net.send(net.committee[0], fn)
    assert exc.value.pseudonym == pseudonym


def test_attestation_without_its_document_is_refused(net: TestNetwork) -> None:
    pseudonym, key = secrets.token_bytes(32), sm2_key().public_key().to_bytes()
    fn = net.owners.functions.attest(pseudonym, key, b"", net.committee[0].sm2.sign(b""))
    with pytest.raises(OwnerRegistryEmptyAttestationDocument) as exc:
        net.send(net.committee[0], fn)
    assert exc.value.pseudonym == pseudonym


def test_revocation_of_an_unknown_owner_is_refused(net: TestNetwork) -> None:
    pseudonym = secrets.token_bytes(32)
    with pytest.raises(OwnerRegistryUnknownOwner) as exc:
        net.send(net.committee[0], net.owners.functions.revokeAttestation(pseudonym, REASON))
    assert exc.value.pseudonym == pseudonym


def test_attestation_by_a_member_without_identity_authority_is_refused(
    net: TestNetwork, consumer: Member
) -> None:
    """Neither a consumer nor a committee member alone can bind a key to a citizen."""
    for insider in (consumer, net.committee[1]):
        pseudonym = secrets.token_bytes(32)
        with pytest.raises(ConsortiumRegistryNotIdentityAuthority) as exc:
            _attest(net, insider, pseudonym, sm2_key().public_key().to_bytes())
        assert exc.value.institution_id == insider.id
        assert net.contracts.owner(pseudonym).key_version == 0


def test_a_committee_member_cannot_rebind_or_revoke_an_owner(
    net: TestNetwork, owner: Owner
) -> None:
    insider = net.committee[2]
    with pytest.raises(ConsortiumRegistryNotIdentityAuthority):
        _attest(net, insider, owner.pseudonym, sm2_key().public_key().to_bytes())
    with pytest.raises(ConsortiumRegistryNotIdentityAuthority):
        net.send(insider, net.owners.functions.revokeAttestation(owner.pseudonym, REASON))
    record = net.contracts.owner(owner.pseudonym)
    assert (record.sm2_public_key, record.key_version, record.revoked) == (
        owner.sm2_public_key, 1, False,
    )  # fmt: skip


def test_attestation_whose_signature_is_not_the_attesters_is_refused(net: TestNetwork) -> None:
    authority = net.committee[0]
    pseudonym, key = secrets.token_bytes(32), sm2_key().public_key().to_bytes()
    document = attestation_document(pseudonym, key, authority, net.now())
    forged = sm2_key().sign(document)
    with pytest.raises(OwnerRegistryInvalidAttestation) as exc:
        net.send(authority, net.owners.functions.attest(pseudonym, key, document, forged))
    assert (exc.value.pseudonym, exc.value.attester_id) == (pseudonym, authority.id)
    assert net.contracts.owner(pseudonym).key_version == 0


def test_writes_by_an_account_of_no_institution_are_refused(net: TestNetwork) -> None:
    owner = attest_owner(net)
    stranger = fresh_account(net)
    for fn in (
        net.owners.functions.attest(
            secrets.token_bytes(32), sm2_key().public_key().to_bytes(), b"d", b"s"
        ),
        net.owners.functions.revokeAttestation(owner.pseudonym, REASON),
    ):
        with pytest.raises(ConsortiumRegistryUnknownAccount) as exc:
            net.send(stranger, fn)
        assert exc.value.account == stranger.address
