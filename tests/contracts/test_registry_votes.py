"""ConsortiumRegistry: M-of-N proposals and votes, expiry, the threshold; every refusal."""

from __future__ import annotations

import pytest

from quancheng.chain import (
    InstitutionStatus,
    ProposalAction,
    ProposalStatus,
    Role,
)
from quancheng.chain.errors import (
    ConsortiumRegistryAlreadyVoted,
    ConsortiumRegistryInstitutionNotActive,
    ConsortiumRegistryNotEnoughVotes,
    ConsortiumRegistryProposalAlreadyExecuted,
    ConsortiumRegistryProposalExpired,
    ConsortiumRegistryThresholdOutOfRange,
    ConsortiumRegistryUnknownAccount,
    ConsortiumRegistryUnknownProposal,
    ConsortiumRegistryWrongRole,
)
from tests.utils.chain_factories import (
    Member,
    TestNetwork,
    admission_call,
    admit,
    advance_time,
    candidate,
    fresh_account,
    pass_proposal,
    proposal_id,
    suspend,
)

ZERO32 = b"\x00" * 32
ZERO_ADDRESS = "0x" + "00" * 20


# --------------------------------------------------------------------- proposals and votes


def test_proposal_by_an_account_of_no_institution_is_refused(net: TestNetwork) -> None:
    stranger = fresh_account(net)
    with pytest.raises(ConsortiumRegistryUnknownAccount) as exc:
        net.send(stranger, net.registry.functions.proposeThreshold(1))
    assert exc.value.account == stranger.address


def test_vote_by_non_committee_account_is_refused(net: TestNetwork, consumer: Member) -> None:
    pid = proposal_id(net, net.send(net.committee[0], admission_call(net, candidate(net))))
    with pytest.raises(ConsortiumRegistryWrongRole) as exc:
        net.send(consumer, net.registry.functions.vote(pid))
    assert (exc.value.institution_id, exc.value.required, exc.value.actual) == (
        consumer.id, Role.COMMITTEE, Role.CONSUMER,
    )  # fmt: skip


def test_vote_by_an_account_of_no_institution_is_refused(net: TestNetwork) -> None:
    pid = proposal_id(net, net.send(net.committee[0], admission_call(net, candidate(net))))
    stranger = fresh_account(net)
    with pytest.raises(ConsortiumRegistryUnknownAccount) as exc:
        net.send(stranger, net.registry.functions.vote(pid))
    assert exc.value.account == stranger.address


def test_vote_by_a_suspended_committee_member_is_refused(net: TestNetwork) -> None:
    extra = admit(net, Role.COMMITTEE)
    suspend(net, extra)
    pid = proposal_id(net, net.send(net.committee[0], admission_call(net, candidate(net))))
    with pytest.raises(ConsortiumRegistryInstitutionNotActive) as exc:
        net.send(extra, net.registry.functions.vote(pid))
    assert (exc.value.institution_id, exc.value.status) == (extra.id, InstitutionStatus.SUSPENDED)


def test_double_vote_is_refused(net: TestNetwork) -> None:
    pid = proposal_id(net, net.send(net.committee[0], admission_call(net, candidate(net))))
    with pytest.raises(ConsortiumRegistryAlreadyVoted) as exc:
        net.send(net.committee[0], net.registry.functions.vote(pid))
    assert (exc.value.proposal_id, exc.value.member_id) == (pid, net.committee[0].id)
    assert net.registry.functions.hasVoted(pid, net.committee[0].id).call()
    assert not net.registry.functions.hasVoted(pid, net.committee[1].id).call()


def test_vote_on_an_executed_proposal_is_refused(net: TestNetwork) -> None:
    receipt = pass_proposal(net, admission_call(net, candidate(net)))
    pid = next(e.args["proposalId"] for e in net.events(receipt) if e.name == "ProposalExecuted")
    with pytest.raises(ConsortiumRegistryProposalAlreadyExecuted) as exc:
        net.send(net.committee[2], net.registry.functions.vote(pid))
    assert exc.value.proposal_id == pid


def test_vote_on_an_unknown_proposal_is_refused(net: TestNetwork) -> None:
    unknown = net.registry.functions.proposalCount().call() + 1000
    with pytest.raises(ConsortiumRegistryUnknownProposal) as exc:
        net.send(net.committee[0], net.registry.functions.vote(unknown))
    assert exc.value.proposal_id == unknown
    with pytest.raises(ConsortiumRegistryUnknownProposal):
        net.contracts.proposal(unknown)
    assert net.registry.functions.proposalStatus(unknown).call() == ProposalStatus.NONE


def test_vote_on_an_expired_proposal_is_refused(make_network) -> None:
    short = make_network(voting_period=5)
    cand = candidate(short)
    receipt = short.send(short.committee[0], admission_call(short, cand))
    pid = proposal_id(short, receipt)
    expires_at = short.contracts.proposal(pid).expires_at
    assert short.registry.functions.proposalStatus(pid).call() == ProposalStatus.OPEN

    advance_time(short, 6)

    assert short.registry.functions.proposalStatus(pid).call() == ProposalStatus.EXPIRED
    with pytest.raises(ConsortiumRegistryProposalExpired) as exc:
        short.send(short.committee[1], short.registry.functions.vote(pid))
    assert (exc.value.proposal_id, exc.value.expires_at) == (pid, expires_at)
    with pytest.raises(ConsortiumRegistryProposalExpired):
        short.send(short.committee[1], short.registry.functions.execute(pid))
    assert short.contracts.institution(cand.id).status is InstitutionStatus.NONE


def test_execute_without_enough_votes_is_refused(net: TestNetwork) -> None:
    pid = proposal_id(net, net.send(net.committee[0], admission_call(net, candidate(net))))
    with pytest.raises(ConsortiumRegistryNotEnoughVotes) as exc:
        net.send(net.committee[1], net.registry.functions.execute(pid))
    assert (exc.value.proposal_id, exc.value.votes, exc.value.threshold) == (pid, 1, 2)


def test_threshold_is_read_when_a_proposal_executes(make_network) -> None:
    strict = make_network(committee_size=3, threshold=3)
    c0, c1, c2 = strict.committee
    cand = candidate(strict)
    pending = proposal_id(strict, strict.send(c0, admission_call(strict, cand)))
    lower = proposal_id(strict, strict.send(c0, strict.registry.functions.proposeThreshold(1)))
    strict.send(c1, strict.registry.functions.vote(lower))
    receipt = strict.send(c2, strict.registry.functions.vote(lower))
    assert ("ThresholdChanged", {"proposalId": lower, "oldThreshold": 3, "newThreshold": 1}) in [
        (e.name, e.args) for e in strict.events(receipt)
    ]
    # The admission still has its single vote; with the threshold now 1 anyone may execute it.
    receipt = strict.send(c2, strict.registry.functions.execute(pending))
    assert [e.name for e in strict.events(receipt)] == ["InstitutionAdmitted", "ProposalExecuted"]
    assert strict.contracts.institution(cand.id).status is InstitutionStatus.ACTIVE


def test_votes_of_members_no_longer_active_are_not_counted(net: TestNetwork) -> None:
    extra = admit(net, Role.COMMITTEE)
    cand = candidate(net)
    pid = proposal_id(net, net.send(extra, admission_call(net, cand)))
    suspend(net, extra)
    assert net.registry.functions.validVotes(pid).call() == 0
    receipt = net.send(net.committee[2], net.registry.functions.vote(pid))
    assert [(e.name, e.args["votes"]) for e in net.events(receipt)] == [("ProposalVoted", 1)]
    assert net.contracts.institution(cand.id).status is InstitutionStatus.NONE
    net.send(net.committee[0], net.registry.functions.vote(pid))
    assert net.contracts.institution(cand.id).status is InstitutionStatus.ACTIVE


# ------------------------------------------------------------------------------- threshold


def test_threshold_change_passes_by_vote(make_network) -> None:
    small = make_network(committee_size=3, threshold=2)
    receipt = pass_proposal(small, small.registry.functions.proposeThreshold(3))
    events = small.events(receipt)
    pid = events[-1].args["proposalId"]
    assert [(e.name, e.args) for e in events[-2:]] == [
        ("ThresholdChanged", {"proposalId": pid, "oldThreshold": 2, "newThreshold": 3}),
        ("ProposalExecuted", {
            "proposalId": pid, "action": ProposalAction.SET_THRESHOLD, "institutionId": ZERO32,
        }),
    ]  # fmt: skip
    assert small.registry.functions.threshold().call() == 3


@pytest.mark.parametrize("threshold", [0, 4])
def test_threshold_outside_one_to_committee_size_is_refused(make_network, threshold: int) -> None:
    small = make_network(committee_size=3, threshold=2)
    with pytest.raises(ConsortiumRegistryThresholdOutOfRange) as exc:
        small.send(small.committee[0], small.registry.functions.proposeThreshold(threshold))
    assert (exc.value.threshold, exc.value.committee_size) == (threshold, 3)
