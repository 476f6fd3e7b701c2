"""GrantRegistry decisions: the owner approves, rejects, pauses, resumes and revokes, any member
relays, the contract verifies; EXPIRED is derived from the clock.

The attacks on the decisions themselves (replays, forged signatures, stale sequence numbers) are
in test_grant_decisions_verified.py."""

from __future__ import annotations

import secrets

import pytest

from quancheng.chain import GrantStatus
from quancheng.chain.errors import (
    ConsortiumRegistryUnknownAccount,
    GrantRegistryEmptyDocument,
    GrantRegistryMissingSignature,
    GrantRegistryNotActive,
    GrantRegistryNotPaused,
    GrantRegistryNotPending,
    GrantRegistryNotRevocable,
    GrantRegistryUnknownGrant,
)
from quancheng.crypto import SM2PublicKey
from tests.utils.chain_factories import (
    Member,
    Owner,
    TestNetwork,
    action_document,
    active_grant,
    advance_time,
    approve_grant,
    fresh_account,
    owner_action,
    request_grant,
)


def _history(net: TestNetwork, grant_id: bytes) -> list[GrantStatus]:
    return [change.status for change in net.contracts.grant_history(grant_id)]


# --------------------------------------------------------------------- owner decisions


def test_approval_activates_the_grant_with_the_owners_signature(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = request_grant(net, consumer, owner, [resource])
    receipt = approve_grant(net, grant_id, owner)
    (event,) = net.events(receipt)
    signature = event.args["ownerSignature"]
    assert (event.name, event.args) == ("GrantActivated", {
        "grantId": grant_id, "relayerId": net.committee[0].id, "ownerSignature": signature,
    })  # fmt: skip
    owner_key = net.contracts.owner(owner.pseudonym).sm2_public_key
    SM2PublicKey.from_bytes(owner_key).verify(signature, net.documents[grant_id])
    grant = net.contracts.grant(grant_id)
    assert (grant.status, grant.owner_signature) == (GrantStatus.ACTIVE, signature)
    assert _history(net, grant_id) == [GrantStatus.PENDING, GrantStatus.ACTIVE]


@pytest.mark.parametrize("action", ["reject", "pause", "resume", "revoke"])
def test_owner_actions_carry_the_signed_action_document(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes, action: str
) -> None:
    if action == "reject":
        grant_id = request_grant(net, consumer, owner, [resource])
    else:
        grant_id = active_grant(net, consumer, owner, [resource])
    if action == "resume":
        owner_action(net, grant_id, owner, "pause")
    document, _, _ = action_document(net, grant_id, action)
    receipt = owner_action(net, grant_id, owner, action)
    (event,) = net.events(receipt)
    signature = event.args.pop("ownerSignature")
    name = {"reject": "GrantRejected", "pause": "GrantPaused", "resume": "GrantResumed",
            "revoke": "GrantRevoked"}[action]  # fmt: skip
    assert (event.name, event.args) == (name, {
        "grantId": grant_id, "relayerId": net.committee[0].id, "actionDocument": document,
    })  # fmt: skip
    SM2PublicKey.from_bytes(owner.sm2_public_key).verify(signature, document)
    expected = {"reject": GrantStatus.REJECTED, "pause": GrantStatus.PAUSED,
                "resume": GrantStatus.ACTIVE, "revoke": GrantStatus.REVOKED}[action]  # fmt: skip
    assert net.contracts.grant_status(grant_id) is expected


def test_full_lifecycle_history(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = active_grant(net, consumer, owner, [resource])
    for action in ("pause", "resume", "pause", "revoke"):
        owner_action(net, grant_id, owner, action)
    assert _history(net, grant_id) == [
        GrantStatus.PENDING, GrantStatus.ACTIVE, GrantStatus.PAUSED, GrantStatus.ACTIVE,
        GrantStatus.PAUSED, GrantStatus.REVOKED,
    ]  # fmt: skip


def test_decisions_out_of_turn_are_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = request_grant(net, consumer, owner, [resource])
    with pytest.raises(GrantRegistryNotActive) as pause_pending:
        owner_action(net, grant_id, owner, "pause")
    assert (pause_pending.value.grant_id, pause_pending.value.status) == (
        grant_id,
        GrantStatus.PENDING,
    )
    with pytest.raises(GrantRegistryNotRevocable) as revoke_pending:
        owner_action(net, grant_id, owner, "revoke")
    assert revoke_pending.value.status is GrantStatus.PENDING
    with pytest.raises(GrantRegistryNotPaused) as resume_pending:
        owner_action(net, grant_id, owner, "resume")
    assert resume_pending.value.status is GrantStatus.PENDING

    approve_grant(net, grant_id, owner)
    with pytest.raises(GrantRegistryNotPending) as approve_active:
        approve_grant(net, grant_id, owner)
    assert (approve_active.value.grant_id, approve_active.value.status) == (
        grant_id,
        GrantStatus.ACTIVE,
    )
    with pytest.raises(GrantRegistryNotPending):
        owner_action(net, grant_id, owner, "reject")
    with pytest.raises(GrantRegistryNotPaused) as resume_active:
        owner_action(net, grant_id, owner, "resume")
    assert resume_active.value.status is GrantStatus.ACTIVE

    owner_action(net, grant_id, owner, "pause")
    with pytest.raises(GrantRegistryNotActive) as pause_paused:
        owner_action(net, grant_id, owner, "pause")
    assert pause_paused.value.status is GrantStatus.PAUSED

    owner_action(net, grant_id, owner, "revoke")
    for action in ("resume", "pause"):
        with pytest.raises((GrantRegistryNotPaused, GrantRegistryNotActive)) as after:
            owner_action(net, grant_id, owner, action)
        assert after.value.status is GrantStatus.REVOKED
    with pytest.raises(GrantRegistryNotRevocable) as twice:
        owner_action(net, grant_id, owner, "revoke")
    assert twice.value.status is GrantStatus.REVOKED


def test_rejected_grant_cannot_be_approved(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = request_grant(net, consumer, owner, [resource])
    owner_action(net, grant_id, owner, "reject")
    with pytest.raises(GrantRegistryNotPending) as exc:
        approve_grant(net, grant_id, owner)
    assert exc.value.status is GrantStatus.REJECTED


def test_decisions_without_document_or_signature_are_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = request_grant(net, consumer, owner, [resource])
    document = net.documents[grant_id]
    with pytest.raises(GrantRegistryMissingSignature) as unsigned:
        net.send(net.committee[0], net.grants.functions.approve(grant_id, document, b""))
    assert unsigned.value.grant_id == grant_id
    with pytest.raises(GrantRegistryEmptyDocument):
        net.send(net.committee[0], net.grants.functions.approve(grant_id, b"", b"sig"))
    with pytest.raises(GrantRegistryMissingSignature):
        net.send(net.committee[0], net.grants.functions.reject(grant_id, 0, 1, b""))
    assert net.contracts.grant_status(grant_id) is GrantStatus.PENDING


def test_decisions_on_an_unknown_grant_are_refused(net: TestNetwork) -> None:
    ghost = secrets.token_bytes(32)
    for fn in (
        net.grants.functions.approve(ghost, b"{}", b"sig"),
        net.grants.functions.reject(ghost, 0, 1, b"sig"),
        net.grants.functions.pause(ghost, 1, 1, b"sig"),
        net.grants.functions.resume(ghost, 1, 1, b"sig"),
        net.grants.functions.revoke(ghost, 1, 1, b"sig"),
    ):
        with pytest.raises(GrantRegistryUnknownGrant) as exc:
            net.send(net.committee[0], fn)
        assert exc.value.grant_id == ghost
    assert net.contracts.grant_status(ghost) is GrantStatus.NONE


def test_any_member_may_relay_an_owners_decision(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = request_grant(net, consumer, owner, [resource])
    receipt = approve_grant(net, grant_id, owner, relayer=consumer)
    (event,) = net.events(receipt)
    assert event.args["relayerId"] == consumer.id
    assert net.contracts.grant_status(grant_id) is GrantStatus.ACTIVE


def test_decisions_relayed_by_a_non_member_are_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = request_grant(net, consumer, owner, [resource])
    stranger = fresh_account(net)
    signature = owner.sm2.sign(net.documents[grant_id])
    with pytest.raises(ConsortiumRegistryUnknownAccount) as exc:
        net.send(
            stranger, net.grants.functions.approve(grant_id, net.documents[grant_id], signature)
        )
    assert exc.value.account == stranger.address
    assert net.contracts.grant_status(grant_id) is GrantStatus.PENDING


# ------------------------------------------------------------------------- derived expiry


def test_grant_expires_after_not_after_and_status_at_replays_history(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    now = net.now()
    grant_id = request_grant(net, consumer, owner, [resource], notBefore=now - 10, notAfter=now + 4)
    advance_time(net, 1)  # blocks may share a second: keep PENDING observable on its own
    approve_grant(net, grant_id, owner)
    requested_at, activated_at = (c.at for c in net.contracts.grant_history(grant_id))
    assert net.contracts.grant_status(grant_id, at=requested_at - 1) is GrantStatus.NONE
    assert net.contracts.grant_status(grant_id, at=requested_at) is GrantStatus.PENDING
    assert net.contracts.grant_status(grant_id, at=activated_at) is GrantStatus.ACTIVE
    assert net.contracts.grant_status(grant_id, at=now + 4) is GrantStatus.ACTIVE
    assert net.contracts.grant_status(grant_id, at=now + 5) is GrantStatus.EXPIRED

    advance_time(net, 5)

    assert net.contracts.grant_status(grant_id) is GrantStatus.EXPIRED
    assert net.contracts.grant(grant_id).status is GrantStatus.ACTIVE  # stored, not derived
    with pytest.raises(GrantRegistryNotActive) as pause:
        owner_action(net, grant_id, owner, "pause")
    assert pause.value.status is GrantStatus.EXPIRED
    with pytest.raises(GrantRegistryNotRevocable):
        owner_action(net, grant_id, owner, "revoke")


def test_pending_grant_past_not_after_cannot_be_approved(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    now = net.now()
    grant_id = request_grant(net, consumer, owner, [resource], notBefore=now - 10, notAfter=now + 2)
    advance_time(net, 3)
    with pytest.raises(GrantRegistryNotPending) as exc:
        approve_grant(net, grant_id, owner)
    assert exc.value.status is GrantStatus.EXPIRED


def test_terminal_states_do_not_turn_into_expired(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = active_grant(net, consumer, owner, [resource])
    owner_action(net, grant_id, owner, "revoke")
    not_after = net.contracts.grant(grant_id).not_after
    assert net.contracts.grant_status(grant_id, at=not_after + 1) is GrantStatus.REVOKED
