"""The chain verifies every owner decision itself: relaying one confers no power.

Each test is an insider's attack against the real node — a committee member, another member or
the relaying portal replaying, forging or re-ordering an owner's decisions — and asserts the
exact revert and that the grant did not change.
"""

from __future__ import annotations

import pytest

from quancheng.chain import GrantStatus
from quancheng.chain.errors import (
    GrantRegistryDocumentDigestMismatch,
    GrantRegistryInvalidDecisionTime,
    GrantRegistryInvalidOwnerSignature,
    GrantRegistryOwnerRevoked,
    GrantRegistryStaleDecision,
)
from quancheng.chain.types import code32
from quancheng.protocol import GrantAction, GrantActionDocument
from tests.utils.chain_factories import (
    Member,
    Owner,
    TestNetwork,
    action_document,
    active_grant,
    attestation_document,
    owner_action,
    request_grant,
    sm2_key,
)


def _relay(
    net: TestNetwork, relayer: Member, grant_id: bytes, action: str, seq: int, at: int, sig: bytes
) -> None:
    net.send(relayer, getattr(net.grants.functions, action)(grant_id, seq, at, sig))


def test_a_replayed_genuine_resume_does_not_reopen_a_paused_grant(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    """The attack of the issue: an old, genuine RESUME relayed again after a later PAUSE."""
    grant_id = active_grant(net, consumer, owner, [resource])
    owner_action(net, grant_id, owner, "pause")  # seq 1
    resume_doc, resume_seq, at = action_document(net, grant_id, "resume")  # seq 2
    resume_sig = owner.sm2.sign(resume_doc)
    _relay(net, net.committee[0], grant_id, "resume", resume_seq, at, resume_sig)
    owner_action(net, grant_id, owner, "pause")  # seq 3: the owner paused again

    with pytest.raises(GrantRegistryStaleDecision) as exc:
        _relay(net, net.committee[1], grant_id, "resume", resume_seq, at, resume_sig)
    assert (exc.value.grant_id, exc.value.expected_seq, exc.value.seq) == (grant_id, 4, 2)
    assert net.contracts.grant_status(grant_id) is GrantStatus.PAUSED
    assert net.contracts.decision_seq(grant_id) == 4


def test_a_decision_cannot_be_used_twice_or_ahead_of_its_turn(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = active_grant(net, consumer, owner, [resource])
    ahead_doc, _, at = action_document(net, grant_id, "pause", seq=2)
    with pytest.raises(GrantRegistryStaleDecision) as ahead:
        _relay(net, consumer, grant_id, "pause", 2, at, owner.sm2.sign(ahead_doc))
    assert (ahead.value.expected_seq, ahead.value.seq) == (1, 2)

    doc, seq, at = action_document(net, grant_id, "pause")
    signature = owner.sm2.sign(doc)
    _relay(net, consumer, grant_id, "pause", seq, at, signature)
    owner_action(net, grant_id, owner, "resume")
    with pytest.raises(GrantRegistryStaleDecision):
        _relay(net, consumer, grant_id, "pause", seq, at, signature)
    assert net.contracts.grant_status(grant_id) is GrantStatus.ACTIVE


def test_a_committee_member_cannot_decide_with_its_own_key(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = request_grant(net, consumer, owner, [resource])
    insider = net.committee[0]
    forged = insider.sm2.sign(net.documents[grant_id])
    with pytest.raises(GrantRegistryInvalidOwnerSignature) as exc:
        net.send(insider, net.grants.functions.approve(grant_id, net.documents[grant_id], forged))
    assert (exc.value.grant_id, exc.value.owner_pseudonym, exc.value.key_version) == (
        grant_id,
        owner.pseudonym,
        1,
    )
    doc, seq, at = action_document(net, grant_id, "reject")
    with pytest.raises(GrantRegistryInvalidOwnerSignature):
        _relay(net, insider, grant_id, "reject", seq, at, insider.sm2.sign(doc))
    assert net.contracts.grant_status(grant_id) is GrantStatus.PENDING


def test_a_signature_over_another_action_or_time_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    """The contract builds the document from the call: a PAUSE signature cannot REVOKE."""
    grant_id = active_grant(net, consumer, owner, [resource])
    doc, seq, at = action_document(net, grant_id, "pause")
    signature = owner.sm2.sign(doc)
    with pytest.raises(GrantRegistryInvalidOwnerSignature):
        _relay(net, consumer, grant_id, "revoke", seq, at, signature)
    with pytest.raises(GrantRegistryInvalidOwnerSignature):
        _relay(net, consumer, grant_id, "pause", seq, at + 1, signature)
    with pytest.raises(GrantRegistryInvalidDecisionTime) as exc:
        _relay(net, consumer, grant_id, "pause", seq, 2**53, signature)
    assert exc.value.at == 2**53
    assert net.contracts.grant_status(grant_id) is GrantStatus.ACTIVE


def test_an_approval_of_another_document_is_refused(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = request_grant(net, consumer, owner, [resource])
    other = request_grant(net, consumer, owner, [resource])
    document = net.documents[other]
    with pytest.raises(GrantRegistryDocumentDigestMismatch) as exc:
        net.send(
            net.committee[0],
            net.grants.functions.approve(grant_id, document, owner.sm2.sign(document)),
        )
    recorded = net.contracts.grant(grant_id).document_digest
    assert (exc.value.grant_id, exc.value.expected) == (grant_id, recorded)
    assert net.contracts.grant_status(grant_id) is GrantStatus.PENDING


def test_decisions_need_the_owners_current_key(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes
) -> None:
    """After a re-binding the old key decides nothing; after revocation nobody does."""
    grant_id = active_grant(net, consumer, owner, [resource])
    new_key = sm2_key()
    authority = net.committee[0]
    document = attestation_document(
        owner.pseudonym, new_key.public_key().to_bytes(), authority, net.now()
    )
    net.send(
        authority,
        net.owners.functions.attest(
            owner.pseudonym, new_key.public_key().to_bytes(), document, authority.sm2.sign(document)
        ),
    )
    doc, seq, at = action_document(net, grant_id, "pause")
    with pytest.raises(GrantRegistryInvalidOwnerSignature) as old:
        _relay(net, consumer, grant_id, "pause", seq, at, owner.sm2.sign(doc))
    assert old.value.key_version == 2
    _relay(net, consumer, grant_id, "pause", seq, at, new_key.sign(doc))
    assert net.contracts.grant_status(grant_id) is GrantStatus.PAUSED

    net.send(authority, net.owners.functions.revokeAttestation(owner.pseudonym, code32("lost")))
    doc, seq, at = action_document(net, grant_id, "resume")
    with pytest.raises(GrantRegistryOwnerRevoked):
        _relay(net, consumer, grant_id, "resume", seq, at, new_key.sign(doc))
    assert net.contracts.grant_status(grant_id) is GrantStatus.PAUSED


@pytest.mark.parametrize("action", ["reject", "pause", "resume", "revoke"])
def test_the_contract_builds_exactly_the_sdks_canonical_decision_document(
    net: TestNetwork, consumer: Member, owner: Owner, resource: bytes, action: str
) -> None:
    grant_id = request_grant(net, consumer, owner, [resource])
    digest = net.contracts.grant(grant_id).document_digest
    for seq, at in ((0, 0), (7, 1_767_225_600), (2**32 - 1, 2**53 - 1)):
        built = net.grants.functions.decisionDocument(grant_id, action, seq, at).call()
        expected = GrantActionDocument(
            action=GrantAction(action),
            grant_id="0x" + grant_id.hex(),
            document_digest="0x" + bytes(digest).hex(),
            seq=seq,
            at=at,
        ).canonical()
        assert bytes(built) == expected
