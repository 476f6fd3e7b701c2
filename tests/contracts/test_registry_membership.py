"""ConsortiumRegistry: roles that follow membership; suspension, reinstatement,
removal and key rotation by vote; every refusal."""

from __future__ import annotations

import pytest

from quancheng.chain import (
    InstitutionStatus,
    ProposalAction,
    Role,
    call,
    code32,
)
from quancheng.chain.errors import (
    ConsortiumRegistryAccountBound,
    ConsortiumRegistryAlreadySuspended,
    ConsortiumRegistryInstitutionNotActive,
    ConsortiumRegistryInstitutionRemoved,
    ConsortiumRegistryInvalidSm2PublicKey,
    ConsortiumRegistryNothingToRotate,
    ConsortiumRegistryNotSuspended,
    ConsortiumRegistryRoleManagedByVote,
    ConsortiumRegistrySm2KeyBound,
    ConsortiumRegistryThresholdOutOfRange,
    ConsortiumRegistryUnknownAccount,
    ConsortiumRegistryUnknownInstitution,
    ConsortiumRegistryWrongRole,
)
from tests.utils.chain_factories import (
    Member,
    TestNetwork,
    admission_call,
    candidate,
    fresh_account,
    pass_proposal,
    remove,
    sm2_key,
    suspend,
    unique_code,
)

ZERO32 = b"\x00" * 32
ZERO_ADDRESS = "0x" + "00" * 20


# ---------------------------------------------------------------- roles follow membership


@pytest.mark.parametrize("function", ["grantRole", "revokeRole", "renounceRole"])
def test_access_control_role_changes_outside_votes_are_refused(
    net: TestNetwork, provider: Member, function: str
) -> None:
    role = net.registry.functions.CONSUMER_ROLE().call()
    fn = getattr(net.registry.functions, function)(role, provider.address)
    for sender in (net.committee[0], provider):
        with pytest.raises(ConsortiumRegistryRoleManagedByVote) as exc:
            net.send(sender, fn)
        assert (exc.value.role, exc.value.account) == (role, provider.address)


def test_require_active_names_why_an_account_is_refused(net: TestNetwork, provider: Member) -> None:
    stranger = fresh_account(net, funded=False)
    fn = net.registry.functions.requireActive
    with pytest.raises(ConsortiumRegistryUnknownAccount) as unknown:
        call(fn(stranger.address, int(Role.PROVIDER)))
    assert unknown.value.account == stranger.address
    with pytest.raises(ConsortiumRegistryWrongRole) as wrong:
        call(fn(provider.address, int(Role.CONSUMER)))
    assert (wrong.value.required, wrong.value.actual) == (Role.CONSUMER, Role.PROVIDER)
    suspend(net, provider)
    with pytest.raises(ConsortiumRegistryInstitutionNotActive) as inactive:
        call(fn(provider.address, int(Role.PROVIDER)))
    assert inactive.value.status is InstitutionStatus.SUSPENDED


# -------------------------------------------------------------------------- status changes


def test_suspension_revokes_the_role_and_reinstatement_restores_it(
    net: TestNetwork, provider: Member
) -> None:
    role = net.registry.functions.PROVIDER_ROLE().call()
    receipt = suspend(net, provider)
    events = net.events(receipt)
    pid = events[-1].args["proposalId"]
    assert [(e.name, e.args) for e in events[-2:]] == [
        ("InstitutionSuspended", {"institutionId": provider.id, "proposalId": pid}),
        ("ProposalExecuted", {
            "proposalId": pid, "action": ProposalAction.SUSPEND, "institutionId": provider.id,
        }),
    ]  # fmt: skip
    assert net.contracts.institution(provider.id).status is InstitutionStatus.SUSPENDED
    assert not net.registry.functions.hasRole(role, provider.address).call()
    assert not net.contracts.is_active_member(provider.address, Role.PROVIDER)

    receipt = pass_proposal(net, net.registry.functions.proposeReinstatement(provider.id))
    events = net.events(receipt)
    pid = events[-1].args["proposalId"]
    assert (events[-2].name, events[-2].args) == (
        "InstitutionReinstated", {"institutionId": provider.id, "proposalId": pid},
    )  # fmt: skip
    assert net.contracts.institution(provider.id).status is InstitutionStatus.ACTIVE
    assert net.registry.functions.hasRole(role, provider.address).call()


def test_suspension_of_a_suspended_institution_is_refused(
    net: TestNetwork, provider: Member
) -> None:
    suspend(net, provider)
    with pytest.raises(ConsortiumRegistryAlreadySuspended) as exc:
        net.send(net.committee[0], net.registry.functions.proposeSuspension(provider.id))
    assert exc.value.institution_id == provider.id


def test_reinstatement_of_an_active_institution_is_refused(
    net: TestNetwork, provider: Member
) -> None:
    with pytest.raises(ConsortiumRegistryNotSuspended) as exc:
        net.send(net.committee[0], net.registry.functions.proposeReinstatement(provider.id))
    assert (exc.value.institution_id, exc.value.status) == (provider.id, InstitutionStatus.ACTIVE)


@pytest.mark.parametrize(
    "function",
    ["proposeSuspension", "proposeReinstatement", "proposeRemoval", "proposeKeyRotation"],
)
def test_changes_to_an_unknown_institution_are_refused(net: TestNetwork, function: str) -> None:
    unknown = code32(unique_code("ghost"))
    args = (
        (unknown, sm2_key().public_key().to_bytes(), ZERO_ADDRESS)
        if "Key" in function
        else (unknown,)
    )
    with pytest.raises(ConsortiumRegistryUnknownInstitution) as exc:
        net.send(net.committee[0], getattr(net.registry.functions, function)(*args))
    assert exc.value.institution_id == unknown


def test_removal_is_final_and_retires_the_id_account_and_key(
    net: TestNetwork, consumer: Member
) -> None:
    receipt = remove(net, consumer)
    pid = net.events(receipt)[-1].args["proposalId"]
    assert ("InstitutionRemoved", {"institutionId": consumer.id, "proposalId": pid}) in [
        (e.name, e.args) for e in net.events(receipt)
    ]
    assert net.contracts.institution(consumer.id).status is InstitutionStatus.REMOVED
    assert not net.contracts.is_active_member(consumer.address, Role.CONSUMER)
    assert net.contracts.institution_of(consumer.address) == consumer.id

    for fn in (
        net.registry.functions.proposeSuspension(consumer.id),
        net.registry.functions.proposeReinstatement(consumer.id),
        net.registry.functions.proposeRemoval(consumer.id),
        net.registry.functions.proposeKeyRotation(
            consumer.id, b"", fresh_account(net, funded=False).address
        ),
    ):
        with pytest.raises(ConsortiumRegistryInstitutionRemoved) as exc:
            net.send(net.committee[0], fn)
        assert exc.value.institution_id == consumer.id
    reuse = candidate(net)
    reuse.account = consumer.account
    with pytest.raises(ConsortiumRegistryAccountBound):
        net.send(net.committee[0], admission_call(net, reuse))


def test_suspending_a_committee_member_below_the_threshold_is_refused(make_network) -> None:
    tight = make_network(committee_size=2, threshold=2)
    for function in ("proposeSuspension", "proposeRemoval"):
        with pytest.raises(ConsortiumRegistryThresholdOutOfRange) as exc:
            tight.send(
                tight.committee[0],
                getattr(tight.registry.functions, function)(tight.committee[1].id),
            )
        assert (exc.value.threshold, exc.value.committee_size) == (2, 1)


# ---------------------------------------------------------------------------- key rotation


def test_key_rotation_moves_the_key_the_account_and_the_role(
    net: TestNetwork, provider: Member
) -> None:
    new_key = sm2_key()
    new_account = fresh_account(net)
    old_key, old_account = provider.sm2_public_key, provider.address
    receipt = pass_proposal(
        net,
        net.registry.functions.proposeKeyRotation(
            provider.id, new_key.public_key().to_bytes(), new_account.address
        ),
    )
    events = net.events(receipt)
    pid = events[-1].args["proposalId"]
    assert (events[-2].name, events[-2].args) == ("InstitutionKeyRotated", {
        "institutionId": provider.id, "proposalId": pid,
        "oldAccount": old_account, "newAccount": new_account.address,
        "oldSm2PublicKey": old_key, "newSm2PublicKey": new_key.public_key().to_bytes(),
    })  # fmt: skip
    record = net.contracts.institution(provider.id)
    assert (record.account, record.sm2_public_key) == (
        new_account.address,
        new_key.public_key().to_bytes(),
    )
    role = net.registry.functions.PROVIDER_ROLE().call()
    assert net.registry.functions.hasRole(role, new_account.address).call()
    assert not net.registry.functions.hasRole(role, old_account).call()
    assert net.contracts.institution_of(old_account) == ZERO32
    assert net.contracts.institution_of(new_account.address) == provider.id
    # The released key and account can be bound again.
    cand = candidate(net)
    cand.sm2 = provider.sm2
    admitted = pass_proposal(net, admission_call(net, cand))
    assert "InstitutionAdmitted" in [e.name for e in net.events(admitted)]


def test_key_rotation_of_only_the_sm2_key_keeps_the_account(
    net: TestNetwork, provider: Member
) -> None:
    new_key = sm2_key().public_key().to_bytes()
    pass_proposal(
        net, net.registry.functions.proposeKeyRotation(provider.id, new_key, ZERO_ADDRESS)
    )
    record = net.contracts.institution(provider.id)
    assert (record.account, record.sm2_public_key) == (provider.address, new_key)


def test_key_rotation_that_changes_nothing_is_refused(net: TestNetwork, provider: Member) -> None:
    fn = net.registry.functions.proposeKeyRotation(provider.id, b"", ZERO_ADDRESS)
    with pytest.raises(ConsortiumRegistryNothingToRotate) as exc:
        net.send(net.committee[0], fn)
    assert exc.value.institution_id == provider.id


def test_key_rotation_to_a_bound_key_or_account_is_refused(
    net: TestNetwork, provider: Member, consumer: Member
) -> None:
    fn = net.registry.functions.proposeKeyRotation(
        provider.id, consumer.sm2_public_key, ZERO_ADDRESS
    )
    with pytest.raises(ConsortiumRegistrySm2KeyBound) as key_exc:
        net.send(net.committee[0], fn)
    assert key_exc.value.institution_id == consumer.id
    fn = net.registry.functions.proposeKeyRotation(provider.id, b"", consumer.address)
    with pytest.raises(ConsortiumRegistryAccountBound) as acct_exc:
        net.send(net.committee[0], fn)
    assert (acct_exc.value.account, acct_exc.value.institution_id) == (
        consumer.address,
        consumer.id,
    )
    fn = net.registry.functions.proposeKeyRotation(provider.id, b"\x04\x01", ZERO_ADDRESS)
    with pytest.raises(ConsortiumRegistryInvalidSm2PublicKey):
        net.send(net.committee[0], fn)
