"""ConsortiumRegistry: the founding committee and the admission of institutions by vote."""

from __future__ import annotations

import pytest
from web3 import Web3

from quancheng.chain import (
    InstitutionStatus,
    ProposalAction,
    ProposalStatus,
    Role,
)
from quancheng.chain.errors import (
    ConsortiumRegistryAccountBound,
    ConsortiumRegistryEmptyName,
    ConsortiumRegistryInstitutionExists,
    ConsortiumRegistryInvalidAccount,
    ConsortiumRegistryInvalidInstitutionId,
    ConsortiumRegistryInvalidRole,
    ConsortiumRegistryInvalidSm2PublicKey,
    ConsortiumRegistryInvalidVotingPeriod,
    ConsortiumRegistrySm2KeyBound,
    ConsortiumRegistryThresholdOutOfRange,
)
from tests.utils.chain_factories import (
    Member,
    TestNetwork,
    admission_call,
    admit,
    candidate,
    pass_proposal,
    proposal_id,
)

ZERO32 = b"\x00" * 32
ZERO_ADDRESS = "0x" + "00" * 20


# ------------------------------------------------------------------------------ deployment


def test_founding_committee_is_admitted_active_with_the_committee_role(net: TestNetwork) -> None:
    for member in net.committee:
        record = net.contracts.institution(member.id)
        assert record.status is InstitutionStatus.ACTIVE
        assert record.role is Role.COMMITTEE
        assert record.account == member.address
        assert record.sm2_public_key == member.sm2_public_key
        committee_role = net.registry.functions.COMMITTEE_ROLE().call()
        assert net.registry.functions.hasRole(committee_role, member.address).call()
    assert net.registry.functions.committeeSize().call() >= 3
    assert net.registry.functions.version().call() == "0.2.0"


def test_constructor_emits_admissions_and_the_initial_threshold(net: TestNetwork) -> None:
    record = net.manifest.contracts["ConsortiumRegistry"]
    receipt = net.w3.eth.get_transaction_receipt(record.tx_hash)
    events = [(e.name, e.args) for e in net.events(receipt)]
    admitted = [args for name, args in events if name == "InstitutionAdmitted"]
    assert [a["institutionId"] for a in admitted] == [m.id for m in net.committee]
    assert admitted[0] == {
        "institutionId": net.committee[0].id,
        "account": net.committee[0].address,
        "proposalId": 0,
        "role": Role.COMMITTEE,
        "name": f"委员会成员 {net.committee[0].code}",
        "sm2PublicKey": net.committee[0].sm2_public_key,
    }
    assert events[-1] == (
        "ThresholdChanged",
        {"proposalId": 0, "oldThreshold": 0, "newThreshold": 2},
    )


@pytest.mark.parametrize(("size", "threshold"), [(3, 0), (3, 4)])
def test_constructor_refuses_a_threshold_outside_one_to_n(
    make_network, size: int, threshold: int
) -> None:
    with pytest.raises(ConsortiumRegistryThresholdOutOfRange) as exc:
        make_network(committee_size=size, threshold=threshold)
    assert (exc.value.threshold, exc.value.committee_size) == (threshold, size)


def test_constructor_refuses_a_zero_voting_period(make_network) -> None:
    with pytest.raises(ConsortiumRegistryInvalidVotingPeriod) as exc:
        make_network(voting_period=0)
    assert exc.value.voting_period == 0


# ------------------------------------------------------------------------------- admission


def test_admission_passes_when_the_second_vote_reaches_the_threshold(net: TestNetwork) -> None:
    cand = candidate(net)
    first = net.send(net.committee[0], admission_call(net, cand))
    pid = proposal_id(net, first)
    assert [(e.name, e.args) for e in net.events(first)] == [
        ("ProposalCreated", {
            "proposalId": pid, "action": ProposalAction.ADMIT, "institutionId": cand.id,
            "proposerId": net.committee[0].id,
            "expiresAt": net.w3.eth.get_block(first["blockNumber"])["timestamp"] + 7 * 24 * 3600,
        }),
        ("ProposalVoted", {"proposalId": pid, "voterId": net.committee[0].id, "votes": 1}),
    ]  # fmt: skip
    assert net.contracts.institution(cand.id).status is InstitutionStatus.NONE

    second = net.send(net.committee[1], net.registry.functions.vote(pid))

    assert [(e.name, e.args) for e in net.events(second)] == [
        ("ProposalVoted", {"proposalId": pid, "voterId": net.committee[1].id, "votes": 2}),
        ("InstitutionAdmitted", {
            "institutionId": cand.id, "account": cand.address, "proposalId": pid,
            "role": Role.PROVIDER, "name": "车管所", "sm2PublicKey": cand.sm2_public_key,
        }),
        ("ProposalExecuted", {
            "proposalId": pid, "action": ProposalAction.ADMIT, "institutionId": cand.id,
        }),
    ]  # fmt: skip
    record = net.contracts.institution(cand.id)
    assert record.status is InstitutionStatus.ACTIVE
    assert (
        record.admitted_at
        == record.updated_at
        == net.w3.eth.get_block(second["blockNumber"])["timestamp"]
    )
    assert net.contracts.institution_of(cand.address) == cand.id
    assert net.contracts.is_active_member(cand.address, Role.PROVIDER)
    assert not net.contracts.is_active_member(cand.address, Role.CONSUMER)
    provider_role = net.registry.functions.PROVIDER_ROLE().call()
    assert net.registry.functions.hasRole(provider_role, cand.address).call()
    proposal = net.contracts.proposal(pid)
    assert proposal.executed and proposal.voter_ids == [net.committee[0].id, net.committee[1].id]
    assert net.registry.functions.proposalStatus(pid).call() == ProposalStatus.EXECUTED


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.CONSUMER, Role.AUDITOR, Role.COMMITTEE])
def test_each_role_maps_to_its_access_control_role(net: TestNetwork, role: Role) -> None:
    member = admit(net, role)
    access_role = Web3.keccak(text=f"{role.name}_ROLE")
    assert net.registry.functions.accessRoleOf(int(role)).call() == access_role
    assert net.registry.functions.hasRole(access_role, member.address).call()
    assert net.registry.functions.requireActive(member.address, int(role)).call() == member.id


def test_admission_of_an_existing_id_is_refused(net: TestNetwork, provider: Member) -> None:
    cand = candidate(net)
    cand.code = provider.code
    with pytest.raises(ConsortiumRegistryInstitutionExists) as exc:
        net.send(net.committee[0], admission_call(net, cand))
    assert exc.value.institution_id == provider.id


def test_admission_with_a_zero_id_is_refused(net: TestNetwork) -> None:
    cand = candidate(net)
    fn = net.registry.functions.proposeAdmission(ZERO32, "x", 1, cand.address, cand.sm2_public_key)
    with pytest.raises(ConsortiumRegistryInvalidInstitutionId) as exc:
        net.send(net.committee[0], fn)
    assert exc.value.institution_id == ZERO32


def test_admission_with_an_empty_name_is_refused(net: TestNetwork) -> None:
    cand = candidate(net)
    with pytest.raises(ConsortiumRegistryEmptyName) as exc:
        net.send(net.committee[0], admission_call(net, cand, name=""))
    assert exc.value.institution_id == cand.id


def test_admission_with_role_none_is_refused(net: TestNetwork) -> None:
    cand = candidate(net)
    with pytest.raises(ConsortiumRegistryInvalidRole) as exc:
        net.send(net.committee[0], admission_call(net, cand, role=Role.NONE))
    assert (exc.value.institution_id, exc.value.role) == (cand.id, Role.NONE)


def test_admission_with_the_zero_account_is_refused(net: TestNetwork) -> None:
    cand = candidate(net)
    fn = net.registry.functions.proposeAdmission(cand.id, "x", 1, ZERO_ADDRESS, cand.sm2_public_key)
    with pytest.raises(ConsortiumRegistryInvalidAccount) as exc:
        net.send(net.committee[0], fn)
    assert exc.value.account == ZERO_ADDRESS


def test_admission_with_an_account_bound_to_another_institution_is_refused(
    net: TestNetwork, provider: Member
) -> None:
    cand = candidate(net)
    cand.account = provider.account
    with pytest.raises(ConsortiumRegistryAccountBound) as exc:
        net.send(net.committee[0], admission_call(net, cand))
    assert (exc.value.account, exc.value.institution_id) == (provider.address, provider.id)


def test_admission_with_a_key_bound_to_another_institution_is_refused(
    net: TestNetwork, provider: Member
) -> None:
    cand = candidate(net)
    cand.sm2 = provider.sm2
    with pytest.raises(ConsortiumRegistrySm2KeyBound) as exc:
        net.send(net.committee[0], admission_call(net, cand))
    assert exc.value.sm2_public_key == provider.sm2_public_key
    assert exc.value.institution_id == provider.id


@pytest.mark.parametrize(
    "key",
    [b"", b"\x04" + b"\x11" * 63, b"\x04" + b"\x11" * 65, b"\x02" + b"\x11" * 64],
    ids=["empty", "64-bytes", "66-bytes", "compressed-prefix"],
)
def test_admission_with_a_malformed_sm2_key_is_refused(net: TestNetwork, key: bytes) -> None:
    cand = candidate(net)
    fn = net.registry.functions.proposeAdmission(cand.id, "x", 1, cand.address, key)
    with pytest.raises(ConsortiumRegistryInvalidSm2PublicKey) as exc:
        net.send(net.committee[0], fn)
    assert exc.value.sm2_public_key == key


def test_admission_is_rechecked_when_the_proposal_executes(net: TestNetwork) -> None:
    cand = candidate(net)
    first = proposal_id(net, net.send(net.committee[0], admission_call(net, cand)))
    pass_proposal(net, admission_call(net, cand))  # a second proposal admits it first
    with pytest.raises(ConsortiumRegistryInstitutionExists) as exc:
        net.send(net.committee[1], net.registry.functions.vote(first))
    assert exc.value.institution_id == cand.id
    assert not net.contracts.proposal(first).executed
