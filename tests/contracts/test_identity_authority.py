"""The identity authority: a power the committee votes, that alone binds owners' keys.

Tried as a single committee member would: it cannot make itself (or anyone) identity authority
without the threshold of votes, and once the committee withdraws the authority, or suspends its
holder, its attestations are refused.
"""

from __future__ import annotations

import secrets

import pytest
from web3 import Web3

from quancheng.chain import ProposalAction
from quancheng.chain.errors import (
    ConsortiumRegistryAlreadyIdentityAuthority,
    ConsortiumRegistryInstitutionNotActive,
    ConsortiumRegistryNotIdentityAuthority,
    ConsortiumRegistryWrongRole,
)
from tests.utils.chain_factories import (
    Member,
    TestNetwork,
    attestation_document,
    pass_proposal,
    proposal_id,
    sm2_key,
    suspend,
)

IA_ROLE = Web3.keccak(text="IDENTITY_AUTHORITY_ROLE")


def _attest(net: TestNetwork, attester: Member) -> bytes:
    pseudonym, key = secrets.token_bytes(32), sm2_key().public_key().to_bytes()
    document = attestation_document(pseudonym, key, attester, net.now())
    net.send(
        attester,
        net.owners.functions.attest(pseudonym, key, document, attester.sm2.sign(document)),
    )
    return pseudonym


def _propose(net: TestNetwork, member: Member, grant: bool) -> None:
    pass_proposal(net, net.registry.functions.proposeIdentityAuthority(member.id, grant))


def test_one_committee_vote_does_not_make_an_identity_authority(
    net: TestNetwork, consumer: Member
) -> None:
    insider = net.committee[1]
    receipt = net.send(insider, net.registry.functions.proposeIdentityAuthority(insider.id, True))
    pid = proposal_id(net, receipt)
    proposal = net.contracts.proposal(pid)
    assert (proposal.action, proposal.executed) == (ProposalAction.GRANT_IDENTITY_AUTHORITY, False)
    assert not net.contracts.is_identity_authority(insider.id)
    with pytest.raises(ConsortiumRegistryNotIdentityAuthority):
        _attest(net, insider)
    with pytest.raises(ConsortiumRegistryWrongRole):
        net.send(consumer, net.registry.functions.proposeIdentityAuthority(consumer.id, True))


def test_the_committee_grants_and_withdraws_the_authority_by_vote(
    net: TestNetwork, provider: Member
) -> None:
    _propose(net, provider, True)
    assert net.contracts.is_identity_authority(provider.id)
    assert net.registry.functions.hasRole(IA_ROLE, provider.address).call()
    assert net.registry.functions.requireIdentityAuthority(provider.address).call() == provider.id
    pseudonym = _attest(net, provider)
    assert net.contracts.owner(pseudonym).attester_id == provider.id

    with pytest.raises(ConsortiumRegistryAlreadyIdentityAuthority) as twice:
        net.send(
            net.committee[0], net.registry.functions.proposeIdentityAuthority(provider.id, True)
        )
    assert twice.value.institution_id == provider.id

    _propose(net, provider, False)
    assert not net.contracts.is_identity_authority(provider.id)
    assert not net.registry.functions.hasRole(IA_ROLE, provider.address).call()
    with pytest.raises(ConsortiumRegistryNotIdentityAuthority):
        _attest(net, provider)
    with pytest.raises(ConsortiumRegistryNotIdentityAuthority):
        net.send(
            net.committee[0], net.registry.functions.proposeIdentityAuthority(provider.id, False)
        )


def test_a_suspended_identity_authority_attests_nothing(net: TestNetwork, provider: Member) -> None:
    _propose(net, provider, True)
    suspend(net, provider)
    assert not net.contracts.is_identity_authority(provider.id)
    assert not net.registry.functions.hasRole(IA_ROLE, provider.address).call()
    with pytest.raises(ConsortiumRegistryInstitutionNotActive):
        _attest(net, provider)
    with pytest.raises(ConsortiumRegistryInstitutionNotActive):
        net.send(
            net.committee[0], net.registry.functions.proposeIdentityAuthority(provider.id, True)
        )


def test_identity_authority_events_name_the_institution_and_the_vote(
    net: TestNetwork, auditor: Member
) -> None:
    receipt = net.send(
        net.committee[0], net.registry.functions.proposeIdentityAuthority(auditor.id, True)
    )
    pid = proposal_id(net, receipt)
    receipt = net.send(net.committee[1], net.registry.functions.vote(pid))
    events = {e.name: e.args for e in net.events(receipt)}
    assert events["IdentityAuthorityGranted"] == {"institutionId": auditor.id, "proposalId": pid}
