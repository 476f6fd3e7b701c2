"""GrantRegistry use counter: advanced only by the provider of the resource used, only on
ACTIVE grants, never past maxUses; batches are all or nothing."""

from __future__ import annotations

import secrets

import pytest

from quancheng.chain import GrantStatus, Role
from quancheng.chain.errors import (
    ConsortiumRegistryUnknownAccount,
    ConsortiumRegistryWrongRole,
    GrantRegistryBatchLengthMismatch,
    GrantRegistryEmptyBatch,
    GrantRegistryNotActive,
    GrantRegistryNotResourceProvider,
    GrantRegistryNotYetValid,
    GrantRegistryResourceNotInGrant,
    GrantRegistryUnknownGrant,
    GrantRegistryUsesExceeded,
    GrantRegistryZeroCount,
)
from tests.utils.chain_factories import (
    Member,
    Owner,
    TestNetwork,
    active_grant,
    admit,
    advance_time,
    fresh_account,
    owner_action,
    register_resource,
    request_grant,
)


def _record(net: TestNetwork, provider: Member, grant_id: bytes, resource: bytes, count: int = 1):  # type: ignore[no-untyped-def]
    return net.send(provider, net.grants.functions.recordUses(grant_id, resource, count))


def test_provider_records_uses_until_the_grant_is_exhausted(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = active_grant(net, consumer, owner, [resource], maxUses=3)
    receipt = _record(net, provider, grant_id, resource, 2)
    assert [(e.name, e.args) for e in net.events(receipt)] == [
        ("GrantUsesRecorded", {
            "grantId": grant_id, "resourceId": resource, "providerId": provider.id,
            "count": 2, "uses": 2,
        }),
    ]  # fmt: skip
    assert net.contracts.grant_status(grant_id) is GrantStatus.ACTIVE

    receipt = _record(net, provider, grant_id, resource, 1)
    assert [(e.name, e.args) for e in net.events(receipt)] == [
        ("GrantUsesRecorded", {
            "grantId": grant_id, "resourceId": resource, "providerId": provider.id,
            "count": 1, "uses": 3,
        }),
        ("GrantExhausted", {"grantId": grant_id, "uses": 3}),
    ]  # fmt: skip
    grant = net.contracts.grant(grant_id)
    assert (grant.uses, grant.status) == (3, GrantStatus.EXHAUSTED)
    assert net.contracts.grant_status(grant_id, at=grant.not_after + 1) is GrantStatus.EXHAUSTED
    with pytest.raises(GrantRegistryNotActive) as exc:
        _record(net, provider, grant_id, resource, 1)
    assert (exc.value.grant_id, exc.value.status) == (grant_id, GrantStatus.EXHAUSTED)
    with pytest.raises(GrantRegistryNotActive):
        owner_action(net, grant_id, owner, "pause")


def test_uses_beyond_max_uses_are_refused(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = active_grant(net, consumer, owner, [resource], maxUses=5)
    _record(net, provider, grant_id, resource, 4)
    with pytest.raises(GrantRegistryUsesExceeded) as exc:
        _record(net, provider, grant_id, resource, 2)
    assert (exc.value.grant_id, exc.value.uses, exc.value.count, exc.value.max_uses) == (
        grant_id,
        4,
        2,
        5,
    )
    assert net.contracts.grant(grant_id).uses == 4


def test_zero_count_is_refused(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = active_grant(net, consumer, owner, [resource])
    with pytest.raises(GrantRegistryZeroCount) as exc:
        _record(net, provider, grant_id, resource, 0)
    assert exc.value.grant_id == grant_id


@pytest.mark.parametrize("state", ["pending", "paused", "revoked", "rejected"])
def test_uses_of_a_grant_that_is_not_active_are_refused(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes, state: str
) -> None:
    if state in ("pending", "rejected"):
        grant_id = request_grant(net, consumer, owner, [resource])
    else:
        grant_id = active_grant(net, consumer, owner, [resource])
    action = {"paused": "pause", "revoked": "revoke", "rejected": "reject"}.get(state)
    if action:
        owner_action(net, grant_id, owner, action)
    with pytest.raises(GrantRegistryNotActive) as exc:
        _record(net, provider, grant_id, resource)
    assert exc.value.status is GrantStatus[state.upper()]


def test_uses_before_not_before_are_refused(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    not_before = net.now() + 600
    grant_id = active_grant(
        net, consumer, owner, [resource], notBefore=not_before, notAfter=not_before + 60
    )
    with pytest.raises(GrantRegistryNotYetValid) as exc:
        _record(net, provider, grant_id, resource)
    assert (exc.value.grant_id, exc.value.not_before) == (grant_id, not_before)


def test_uses_of_a_resource_outside_the_grant_are_refused(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    other = register_resource(net, provider)
    grant_id = active_grant(net, consumer, owner, [resource])
    with pytest.raises(GrantRegistryResourceNotInGrant) as exc:
        _record(net, provider, grant_id, other)
    assert (exc.value.grant_id, exc.value.resource_id) == (grant_id, other)


def test_uses_counted_only_by_the_provider_of_the_resource(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    rival = admit(net, Role.PROVIDER)
    rival_resource = register_resource(net, rival)
    grant_id = active_grant(net, consumer, owner, [resource, rival_resource])
    with pytest.raises(GrantRegistryNotResourceProvider) as exc:
        _record(net, rival, grant_id, resource)
    assert (exc.value.resource_id, exc.value.caller_id) == (resource, rival.id)
    _record(net, rival, grant_id, rival_resource)
    _record(net, provider, grant_id, resource)
    assert net.contracts.grant(grant_id).uses == 2


def test_uses_recorded_by_a_consumer_are_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = active_grant(net, consumer, owner, [resource])
    with pytest.raises(ConsortiumRegistryWrongRole) as exc:
        _record(net, consumer, grant_id, resource)
    assert (exc.value.required, exc.value.actual) == (Role.PROVIDER, Role.CONSUMER)


def test_uses_recorded_by_an_account_of_no_institution_are_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = active_grant(net, consumer, owner, [resource])
    stranger = fresh_account(net)
    for fn in (
        net.grants.functions.recordUses(grant_id, resource, 1),
        net.grants.functions.recordUsesBatch([grant_id], [resource], [1]),
    ):
        with pytest.raises(ConsortiumRegistryUnknownAccount) as exc:
            net.send(stranger, fn)
        assert exc.value.account == stranger.address


def test_uses_of_an_unknown_grant_are_refused(
    net: TestNetwork, provider: Member, resource: bytes
) -> None:
    ghost = secrets.token_bytes(32)
    with pytest.raises(GrantRegistryUnknownGrant) as exc:
        _record(net, provider, ghost, resource)
    assert exc.value.grant_id == ghost


# ---------------------------------------------------------------------------------- batches


def test_batch_records_every_entry_in_one_transaction(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    first = active_grant(net, consumer, owner, [resource], maxUses=2)
    second = active_grant(net, consumer, owner, [resource], maxUses=10)
    receipt = net.send(
        provider,
        net.grants.functions.recordUsesBatch([first, second, first], [resource] * 3, [1, 4, 1]),
    )
    assert [(e.name, e.args["grantId"], e.args.get("uses")) for e in net.events(receipt)] == [
        ("GrantUsesRecorded", first, 1),
        ("GrantUsesRecorded", second, 4),
        ("GrantUsesRecorded", first, 2),
        ("GrantExhausted", first, 2),
    ]
    assert net.contracts.grant_status(first) is GrantStatus.EXHAUSTED


def test_batch_is_all_or_nothing(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    good = active_grant(net, consumer, owner, [resource], maxUses=10)
    small = active_grant(net, consumer, owner, [resource], maxUses=1)
    fn = net.grants.functions.recordUsesBatch([good, small], [resource, resource], [3, 2])
    with pytest.raises(GrantRegistryUsesExceeded) as exc:
        net.send(provider, fn)
    assert (exc.value.grant_id, exc.value.uses, exc.value.count, exc.value.max_uses) == (
        small,
        0,
        2,
        1,
    )
    assert net.contracts.grant(good).uses == 0


def test_batch_with_arrays_of_different_lengths_is_refused(
    net: TestNetwork, provider: Member, resource: bytes
) -> None:
    fn = net.grants.functions.recordUsesBatch([secrets.token_bytes(32)] * 2, [resource], [1, 1, 1])
    with pytest.raises(GrantRegistryBatchLengthMismatch) as exc:
        net.send(provider, fn)
    assert (exc.value.grant_ids, exc.value.resource_ids, exc.value.counts) == (2, 1, 3)


def test_empty_batch_is_refused(net: TestNetwork, provider: Member) -> None:
    with pytest.raises(GrantRegistryEmptyBatch):
        net.send(provider, net.grants.functions.recordUsesBatch([], [], []))


def test_uses_of_an_expired_grant_are_refused(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    now = net.now()
    grant_id = active_grant(net, consumer, owner, [resource], notBefore=now - 10, notAfter=now + 2)
    advance_time(net, 3)
    with pytest.raises(GrantRegistryNotActive) as exc:
        _record(net, provider, grant_id, resource)
    assert (exc.value.grant_id, exc.value.status) == (grant_id, GrantStatus.EXPIRED)
