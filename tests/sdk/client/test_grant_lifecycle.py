"""Grants through the SDK on a real node: consumer requests, owner decides, authority relays."""

from __future__ import annotations

from datetime import timedelta

import pytest

from quancheng.authority import StaleActionDocument, UnattestedOwner
from quancheng.chain import GrantStatus, code32
from quancheng.chain.errors import GrantRegistryNotActive
from quancheng.client import ConsumerClient
from quancheng.client_errors import GrantEndedWhileWaiting, GrantWaitTimeout, OwnerKeyMismatch
from quancheng.crypto import SM2PrivateKey, sm3
from quancheng.grants import GrantDocumentMismatch, OwnerSignatureInvalid
from quancheng.protocol import GrantMode, Purpose, signing_bytes
from quancheng.verify import verify_grant_document
from quancheng.wallet import ForeignGrantDocument, OwnerWallet
from tests.sdk.client.conftest import World
from tests.utils.chain_factories import advance_time
from tests.utils.sdk_factories import approved_grant, make_authority, onboard_owner, request_for


def _nonce(world: World) -> int:
    return world.net.w3.eth.get_transaction_count(world.authority.institution.address)


def test_requested_grant_records_terms_consistent_with_the_signed_document(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = request_for(client, wallet, {world.resource: ["status", "plate"]}, max_uses=7)

    record = client.grant(handle.grant_id)
    start, end = handle.document.data_period_seconds()
    assert record.status is GrantStatus.PENDING
    assert record.document_digest == bytes(sm3(handle.document_bytes)) == handle.document_digest
    assert record.resource_ids == [bytes(code32(world.resource))]
    assert (record.data_from, record.data_to) == (start, end)
    assert record.not_after - record.not_before == 3600
    assert (record.max_uses, record.purpose) == (7, int(Purpose.MOTOR_CLAIM))
    assert handle.document.scope[0].fields == ("plate", "status")
    assert client.grant_document(handle.grant_id).document == handle.document
    assert handle.consumer_signature  # verifies below, against the registry's key
    verify_grant_document(
        handle.document_bytes,
        record,
        wallet.public_key,
        consumer_key=client.institution.sm2_public_key,
        consumer_signature=handle.consumer_signature,
    )


@pytest.mark.blocktime
def test_owner_approval_relayed_by_the_authority_activates_the_grant(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = request_for(client, wallet, {world.resource: ["plate"]})
    assert [p.grant_id for p in wallet.pending_requests(client)] == [handle.grant_id]

    signature = wallet.approve(handle.document)
    relayed = world.authority.relay_approval(handle.grant_id, signature)

    assert relayed.grant_id == handle.grant_id
    assert client.wait_for_grant(handle.grant_id, timeout=5) is GrantStatus.ACTIVE
    record = client.grant(handle.grant_id)
    assert record.owner_signature == signature
    verify_grant_document(handle.document_bytes, record, wallet.public_key)
    assert wallet.pending_requests(client) == []
    [owned] = wallet.my_grants(world.authority)
    assert (owned.grant_id, owned.status) == (handle.grant_id, GrantStatus.ACTIVE)


def test_pause_resume_and_revoke_follow_the_owner_signed_actions(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = approved_grant(client, wallet, world.authority, {world.resource: ["plate"]})
    digest = handle.document_digest
    statuses = []
    for act in (wallet.pause, wallet.resume, wallet.revoke):
        document, signature = act(handle.grant_id, digest, seq=_seq(world, handle.grant_id))
        world.authority.relay_action(document, signature)
        statuses.append(client.grant_status(handle.grant_id))

    assert statuses == [GrantStatus.PAUSED, GrantStatus.ACTIVE, GrantStatus.REVOKED]
    history = [change.status for change in client.contracts.grant_history(handle.grant_id)]
    assert history == [
        GrantStatus.PENDING,
        GrantStatus.ACTIVE,
        GrantStatus.PAUSED,
        GrantStatus.ACTIVE,
        GrantStatus.REVOKED,
    ]


def test_rejected_grant_ends_a_wait_for_activation(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = request_for(client, wallet, {world.resource: ["plate"]})
    world.authority.relay_action(
        *wallet.reject(handle.grant_id, handle.document_digest, seq=_seq(world, handle.grant_id))
    )

    with pytest.raises(GrantEndedWhileWaiting) as caught:
        client.wait_for_grant(handle.grant_id, timeout=5)
    assert caught.value.status is GrantStatus.REJECTED


def test_forged_approval_is_refused_before_any_transaction(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = request_for(client, wallet, {world.resource: ["plate"]})
    forged = SM2PrivateKey.generate().sign(handle.document_bytes)
    before = _nonce(world)

    with pytest.raises(OwnerSignatureInvalid) as caught:
        world.authority.relay_approval(handle.grant_id, forged)

    assert caught.value.grant_id == handle.grant_id_hex
    assert _nonce(world) == before
    assert client.grant_status(handle.grant_id) is GrantStatus.PENDING


def test_forged_revocation_is_refused_before_any_transaction(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = approved_grant(client, wallet, world.authority, {world.resource: ["plate"]})
    impostor = OwnerWallet(SM2PrivateKey.generate(), pseudonym=wallet.pseudonym)
    document, signature = impostor.revoke(
        handle.grant_id, handle.document_digest, seq=_seq(world, handle.grant_id)
    )
    before = _nonce(world)

    with pytest.raises(OwnerSignatureInvalid):
        world.authority.relay_action(document, signature)

    assert _nonce(world) == before
    assert client.grant_status(handle.grant_id) is GrantStatus.ACTIVE


def test_action_naming_another_document_or_too_old_is_refused_before_any_transaction(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = approved_grant(client, wallet, world.authority, {world.resource: ["plate"]})
    before = _nonce(world)

    with pytest.raises(GrantDocumentMismatch) as caught:
        world.authority.relay_action(
            *wallet.pause(handle.grant_id, b"\x01" * 32, seq=_seq(world, handle.grant_id))
        )
    assert caught.value.field == "document_digest"
    with pytest.raises(StaleActionDocument):
        stale_at = int(world.net.now()) - 3600
        world.authority.relay_action(
            *wallet.pause(
                handle.grant_id,
                handle.document_digest,
                seq=_seq(world, handle.grant_id),
                at=stale_at,
            )
        )
    assert _nonce(world) == before


def test_replayed_action_older_than_the_last_change_is_refused(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    net = world.net
    strict = make_authority(net, world.rpc_url, clock=net.now, max_clock_skew=0)
    handle = approved_grant(client, wallet, strict, {world.resource: ["plate"]})
    pause = wallet.pause(
        handle.grant_id, handle.document_digest, seq=_seq(world, handle.grant_id), at=net.now()
    )
    strict.relay_action(*pause)
    advance_time(net, 2)  # blocks may share a second: make the resume strictly later
    strict.relay_action(
        *wallet.resume(
            handle.grant_id, handle.document_digest, seq=_seq(world, handle.grant_id), at=net.now()
        )
    )
    before = _nonce(world)

    with pytest.raises(StaleActionDocument) as caught:
        strict.relay_action(*pause)

    assert caught.value.reason == "older than the grant's last change"
    assert client.grant_status(handle.grant_id) is GrantStatus.ACTIVE
    assert _nonce(world) == before


def test_wallet_refuses_to_approve_a_document_naming_another_owner(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    someone_else = onboard_owner(world.authority)
    handle = request_for(client, someone_else, {world.resource: ["plate"]})

    with pytest.raises(ForeignGrantDocument) as caught:
        wallet.approve(handle.document_bytes)
    assert caught.value.field == "owner_pseudonym"

    same_pseudonym_other_key = OwnerWallet(
        SM2PrivateKey.generate(), pseudonym=someone_else.pseudonym
    )
    with pytest.raises(ForeignGrantDocument) as caught:
        same_pseudonym_other_key.approve(handle.document)
    assert caught.value.field == "owner_key"


def test_request_with_a_key_other_than_the_attested_one_is_refused_before_sending(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    nonce = world.net.w3.eth.get_transaction_count(client.institution.address)
    with pytest.raises(OwnerKeyMismatch):
        client.request_grant(
            wallet.pseudonym,
            SM2PrivateKey.generate().public_key(),
            {world.resource: ["plate"]},
            Purpose.MOTOR_CLAIM,
            GrantMode.RAW,
            "2024-01-01",
            "2024-06-30",
            valid_for=timedelta(hours=1),
        )
    assert world.net.w3.eth.get_transaction_count(client.institution.address) == nonce


def test_relayed_action_on_a_grant_in_the_wrong_state_raises_the_contract_error(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = request_for(client, wallet, {world.resource: ["plate"]})

    with pytest.raises(GrantRegistryNotActive) as caught:
        world.authority.relay_action(
            *wallet.pause(handle.grant_id, handle.document_digest, seq=_seq(world, handle.grant_id))
        )
    assert caught.value.status is GrantStatus.PENDING


def test_wait_for_grant_times_out_on_the_injected_clock(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = request_for(client, wallet, {world.resource: ["plate"]})
    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    waiting = ConsumerClient(
        client.institution, client.contracts.manifest, world.rpc_url,
        clock=lambda: now[0], sleep=sleep,
    )  # fmt: skip
    progress: list[tuple[GrantStatus, float]] = []
    with waiting, pytest.raises(GrantWaitTimeout) as caught:
        waiting.wait_for_grant(
            handle.grant_id, timeout=5, poll_interval=2,
            on_progress=lambda status, waited: progress.append((status, waited)),
        )  # fmt: skip

    assert caught.value.status is GrantStatus.PENDING
    assert slept == [2, 2, 1]
    # Told after every read that found the owner still deciding, with the time waited.
    pending = GrantStatus.PENDING
    assert progress == [(pending, 0), (pending, 2), (pending, 4), (pending, 5)]


def test_grant_document_approved_for_one_owner_does_not_verify_for_another(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = approved_grant(client, wallet, world.authority, {world.resource: ["plate"]})
    other = SM2PrivateKey.generate()

    with pytest.raises(GrantDocumentMismatch) as caught:
        verify_grant_document(
            handle.document_bytes, client.grant(handle.grant_id), other.public_key()
        )
    assert caught.value.field == "owner_key"
    with pytest.raises(OwnerSignatureInvalid):
        verify_grant_document(
            handle.document_bytes,
            client.grant(handle.grant_id),
            wallet.public_key,
            owner_signature=other.sign(signing_bytes(handle.document)),
        )


def test_revoked_attestation_stops_new_requests_and_relays(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = request_for(client, wallet, {world.resource: ["plate"]})
    world.authority.revoke_attestation(wallet.pseudonym, "key-lost")

    with pytest.raises(OwnerKeyMismatch) as caught:
        request_for(client, wallet, {world.resource: ["plate"]})
    assert caught.value.reason == "the owner's attestation is revoked"
    with pytest.raises(UnattestedOwner):
        world.authority.relay_approval(handle.grant_id, wallet.approve(handle.document))


def _seq(world: World, grant_id: bytes | str) -> int:
    """The grant's next decision number, as the portal reads it before the owner signs."""
    gid = grant_id if isinstance(grant_id, bytes) else bytes.fromhex(grant_id.removeprefix("0x"))
    return world.net.contracts.decision_seq(gid)
