"""Attacks on the owner portal's JSON API (数字保险箱), in process over the attack deployment.

Forged signatures, another owner's grants and requests without a valid CSRF token are
refused with the portal's exact status and code, carry no grant data, and relay nothing:
the grant, its history and the identity authority's nonce read the same afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quancheng.crypto import SM2PrivateKey, pseudonym
from quancheng.protocol import GrantAction, GrantActionDocument, GrantDocument
from tests.attacks.support import FIELDS, VR, b64
from tests.attacks.worlds import PortalOwner, PortalWorld, portal_sign_in
from tests.utils.chain_factories import Owner
from tests.utils.scenario import Scenario, grant_document, request_grant


@pytest.fixture(scope="module")
def alice(portal: PortalWorld) -> PortalOwner:
    return portal_sign_in(portal, 0)


@pytest.fixture(scope="module")
def bob(portal: PortalWorld) -> PortalOwner:
    return portal_sign_in(portal, 1)


def pending(sc: Scenario, owner: PortalOwner) -> GrantDocument:
    """The consumer asks ``owner`` for a grant: PENDING on chain."""
    who = Owner(pseudonym(sc.pseudonym_key, "resident_id", owner.resident_id), owner.key)
    doc = grant_document(sc, who, {VR: FIELDS})
    request_grant(sc, doc)
    return doc


def approved(sc: Scenario, owner: PortalOwner) -> GrantDocument:
    doc = pending(sc, owner)
    resp = owner.post(
        f"/api/grants/{doc.grant_id}/approve", {"signature": b64(owner.key.sign(doc.canonical()))}
    )
    assert resp.status_code == 200 and resp.json()["status"] == "ACTIVE", resp.text
    return doc


def portal_refused(
    sc: Scenario, doc: GrantDocument, send: Callable[[], Any], status: int, code: str
) -> dict[str, Any]:
    """Exact status and code, no grant data, and nothing relayed."""
    gid = bytes.fromhex(doc.grant_id[2:])

    def state() -> tuple[Any, ...]:
        c = sc.net.contracts
        nonce = sc.net.w3.eth.get_transaction_count(sc.net.committee[0].account.address)
        return c.grant(gid), len(c.grant_history(gid)), nonce

    before = state()
    resp = send()
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert not {"document", "document_digest", "signature", "grants"} & set(body["error"]), body
    assert state() == before
    return dict(body["error"])


def _action(
    sc: Scenario,
    owner: PortalOwner,
    doc: GrantDocument,
    action: GrantAction,
    key: SM2PrivateKey | None = None,
) -> dict[str, str]:
    seq = sc.net.contracts.decision_seq(bytes.fromhex(doc.grant_id[2:]))
    document = GrantActionDocument(
        action=action, grant_id=doc.grant_id, document_digest=doc.digest_hex(), seq=seq,
        at=int(time.time()),
    ).canonical()  # fmt: skip
    return {"document": b64(document), "signature": b64((key or owner.key).sign(document))}


# ------------------------------------------------------------------------------ attacks


def test_forged_approval_posted_to_the_api_is_refused(
    portal: PortalWorld, alice: PortalOwner
) -> None:
    doc = pending(portal.sc, alice)
    forged = b64(SM2PrivateKey.generate().sign(doc.canonical()))
    portal_refused(
        portal.sc,
        doc,
        lambda: alice.post(f"/api/grants/{doc.grant_id}/approve", {"signature": forged}),
        400,
        "OWNER_SIGNATURE_INVALID",
    )


def test_forged_revocation_posted_to_the_api_is_refused(
    portal: PortalWorld, alice: PortalOwner
) -> None:
    doc = approved(portal.sc, alice)
    body = _action(portal.sc, alice, doc, GrantAction.REVOKE, key=SM2PrivateKey.generate())
    portal_refused(
        portal.sc,
        doc,
        lambda: alice.post(f"/api/grants/{doc.grant_id}/revoke", body),
        400,
        "OWNER_SIGNATURE_INVALID",
    )


@pytest.mark.parametrize(
    "what", ["approve-with-own-key", "approve-with-victims-signature", "read-document"]
)
def test_acting_on_another_owners_pending_grant_is_refused(
    portal: PortalWorld, alice: PortalOwner, bob: PortalOwner, what: str
) -> None:
    doc = pending(portal.sc, alice)
    url = f"/api/grants/{doc.grant_id}"
    signer = bob.key if what == "approve-with-own-key" else alice.key
    signature = {"signature": b64(signer.sign(doc.canonical()))}
    send = (
        (lambda: bob.client.get(f"{url}/document"))
        if what == "read-document"
        else (lambda: bob.post(f"{url}/approve", signature))
    )
    portal_refused(portal.sc, doc, send, 403, "NOT_YOUR_GRANT")


def test_revoking_another_owners_active_grant_is_refused(
    portal: PortalWorld, alice: PortalOwner, bob: PortalOwner
) -> None:
    doc = approved(portal.sc, alice)
    body = _action(portal.sc, bob, doc, GrantAction.REVOKE)
    portal_refused(
        portal.sc,
        doc,
        lambda: bob.post(f"/api/grants/{doc.grant_id}/revoke", body),
        403,
        "NOT_YOUR_GRANT",
    )


CSRF = {
    "missing-token": {"x-csrf-token": ""},
    "invalid-token": {"x-csrf-token": "guess"},
    "other-sessions-token": {"x-csrf-token": "BOB"},
    "cross-origin": {"origin": "https://evil.example"},
    "cross-site-fetch": {"sec-fetch-site": "cross-site"},
}


@pytest.mark.parametrize("case", list(CSRF))
def test_decision_without_a_valid_csrf_token_is_refused(
    portal: PortalWorld, alice: PortalOwner, bob: PortalOwner, case: str
) -> None:
    doc = pending(portal.sc, alice)
    headers = {"x-csrf-token": alice.csrf, **CSRF[case]}
    if headers["x-csrf-token"] == "BOB":
        headers["x-csrf-token"] = bob.csrf
    if not headers["x-csrf-token"]:
        del headers["x-csrf-token"]
    body = {"signature": b64(alice.key.sign(doc.canonical()))}
    portal_refused(
        portal.sc,
        doc,
        lambda: alice.client.post(
            f"/api/grants/{doc.grant_id}/approve", json=body, headers=headers
        ),
        403,
        "CSRF_REJECTED",
    )


def test_decision_without_a_signed_in_session_is_refused(
    portal: PortalWorld, alice: PortalOwner
) -> None:
    doc = pending(portal.sc, alice)
    anonymous = TestClient(portal.app)
    csrf = anonymous.get("/api/session").json()["csrf_token"]
    body = {"signature": b64(alice.key.sign(doc.canonical()))}
    portal_refused(
        portal.sc,
        doc,
        lambda: anonymous.post(
            f"/api/grants/{doc.grant_id}/approve", json=body, headers={"x-csrf-token": csrf}
        ),
        401,
        "NOT_SIGNED_IN",
    )
