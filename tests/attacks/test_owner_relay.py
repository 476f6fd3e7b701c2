"""Attacks on the owner's decisions as the identity authority relays them (SDK).

The chain cannot check SM2, so the authority is the gate: a decision the attested owner did
not sign, a stale or future one, or one about another document is refused before any
transaction is sent — the authority's nonce does not move and the grant stays as it was.
"""

from __future__ import annotations

from typing import Any

import pytest

from quancheng.authority import IdentityAuthority, StaleActionDocument
from quancheng.crypto import SM2PrivateKey
from quancheng.grants import GrantDocumentMismatch, OwnerSignatureInvalid
from quancheng.protocol import GrantAction, GrantActionDocument, GrantDocument
from tests.attacks.support import FIELDS, VR, fresh_subject
from tests.utils.scenario import Scenario, active_grant, chain_now, grant_document, request_grant
from tests.utils.sdk_factories import institution_of


@pytest.fixture(scope="module")
def authority(sc: Scenario) -> IdentityAuthority:
    """The identity authority: the scenario's committee member 0, with its pseudonym key."""
    return IdentityAuthority(
        institution_of(sc.net.committee[0]), sc.pseudonym_key, sc.manifest_path, sc.rpc_url
    )


def grant_state(sc: Scenario, doc: GrantDocument) -> tuple[Any, ...]:
    """The grant, its history and the authority's nonce: what a relay would move."""
    gid = bytes.fromhex(doc.grant_id[2:])
    c = sc.net.contracts
    return (
        c.grant(gid),
        len(c.grant_history(gid)),
        sc.net.w3.eth.get_transaction_count(sc.net.committee[0].account.address),
    )


def _action(doc: GrantDocument, action: GrantAction, at: int, **over: Any) -> GrantActionDocument:
    return GrantActionDocument(
        action=action,
        grant_id=doc.grant_id,
        document_digest=over.get("digest", doc.digest_hex()),
        seq=over.get("seq", 1),
        at=at,
    )


def test_approval_with_a_forged_owner_signature_is_not_relayed(
    sc: Scenario, authority: IdentityAuthority
) -> None:
    subject = fresh_subject(sc)
    doc = grant_document(sc, sc.owners[subject], {VR: FIELDS})
    request_grant(sc, doc)
    before = grant_state(sc, doc)
    with pytest.raises(OwnerSignatureInvalid) as caught:
        authority.relay_approval(doc.grant_id, SM2PrivateKey.generate().sign(doc.canonical()))
    assert caught.value.grant_id == doc.grant_id
    assert grant_state(sc, doc) == before


@pytest.mark.parametrize("action", [GrantAction.REVOKE, GrantAction.PAUSE], ids=["revoke", "pause"])
def test_action_with_a_forged_owner_signature_is_not_relayed(
    sc: Scenario, authority: IdentityAuthority, action: GrantAction
) -> None:
    doc = active_grant(sc, fresh_subject(sc), {VR: FIELDS})
    document = _action(doc, action, chain_now(sc))
    before = grant_state(sc, doc)
    with pytest.raises(OwnerSignatureInvalid):
        authority.relay_action(document, SM2PrivateKey.generate().sign(document.canonical()))
    assert grant_state(sc, doc) == before


@pytest.mark.parametrize(
    ("shift", "reason"),
    [(-3600, "s old"), (3600, "dated in the future")],
    ids=["replayed-hour-old", "future"],
)
def test_owner_signed_action_out_of_its_time_is_not_relayed(
    sc: Scenario, authority: IdentityAuthority, shift: int, reason: str
) -> None:
    subject = fresh_subject(sc)
    doc = active_grant(sc, subject, {VR: FIELDS})
    document = _action(doc, GrantAction.REVOKE, chain_now(sc) + shift)
    before = grant_state(sc, doc)
    with pytest.raises(StaleActionDocument) as caught:
        authority.relay_action(document, sc.owners[subject].sm2.sign(document.canonical()))
    assert reason in caught.value.reason
    assert grant_state(sc, doc) == before


def test_owner_signed_action_about_another_document_is_not_relayed(
    sc: Scenario, authority: IdentityAuthority
) -> None:
    subject = fresh_subject(sc)
    doc = active_grant(sc, subject, {VR: FIELDS})
    document = _action(doc, GrantAction.REVOKE, chain_now(sc), digest="0x" + "11" * 32)
    before = grant_state(sc, doc)
    with pytest.raises(GrantDocumentMismatch):
        authority.relay_action(document, sc.owners[subject].sm2.sign(document.canonical()))
    assert grant_state(sc, doc) == before
