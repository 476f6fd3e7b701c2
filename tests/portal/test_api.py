"""The JSON API over real HTTP, driven by an owner's local wallet (the SDK path, no browser).

Every refusal has its exact status and code and changes nothing on chain: a forged signature
posted straight to the API is refused before anything is relayed.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from quancheng.chain import ContractSet, GrantStatus
from quancheng.crypto import SM2PrivateKey, canonical_json
from quancheng.protocol import GrantAction, GrantActionDocument, GrantDocument
from quancheng_portal.services.owners import key_proof_document
from tests.portal.support import Person, World, request_pending, status_of


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class ApiOwner:
    """An owner signed in over HTTP with a key held in Python (a local wallet)."""

    client: httpx.Client
    csrf: str
    key: SM2PrivateKey
    person: Person
    contracts: ContractSet

    @property
    def key_hex(self) -> str:
        return "0x" + self.key.public_key().to_bytes().hex()

    def post(self, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return self.client.post(path, json=body, headers={"x-csrf-token": self.csrf, **headers})

    def bind(self, key: SM2PrivateKey, *, replace: bool = False) -> httpx.Response:
        challenge = self.client.get("/api/session").json()["key_challenge"]
        key_hex = "0x" + key.public_key().to_bytes().hex()
        proof = key.sign(key_proof_document(challenge, key_hex))
        return self.post("/api/owner/key", {"public_key": key_hex, "proof": _b64(proof),
                                            "replace": replace})  # fmt: skip

    def action(self, doc: GrantDocument, action: GrantAction, *, key: SM2PrivateKey | None = None,
               at: int | None = None, seq: int | None = None,
               **fields: Any) -> tuple[bytes, bytes]:  # fmt: skip
        if seq is None:
            seq = self.contracts.decision_seq(bytes.fromhex(doc.grant_id[2:]))
        document = GrantActionDocument(action=action, grant_id=doc.grant_id,
                                       document_digest=doc.digest_hex(), seq=seq,
                                       at=int(time.time()) if at is None else at)  # fmt: skip
        body = (
            document.canonical()
            if not fields
            else canonical_json({**document.model_dump(mode="json"), **fields})
        )
        return body, (key or self.key).sign(body)


def sign_in(world: World, person: Person, *, bind: bool = True) -> ApiOwner:
    client = httpx.Client(base_url=world.portal.url, timeout=30)
    csrf = client.get("/api/session").json()["csrf_token"]
    resp = client.post("/api/session", json={"person": person.key}, headers={"x-csrf-token": csrf})
    assert resp.status_code == 200, resp.text
    owner = ApiOwner(
        client, resp.json()["csrf_token"], SM2PrivateKey.generate(), person, world.sc.net.contracts
    )
    if bind:
        assert owner.bind(owner.key).status_code == 200
    return owner


@pytest.fixture(scope="module")
def alice(world: World) -> Iterator[ApiOwner]:
    owner = sign_in(world, world.person(7))
    yield owner
    owner.client.close()


@pytest.fixture(scope="module")
def bob(world: World) -> Iterator[ApiOwner]:
    owner = sign_in(world, world.person(8))
    yield owner
    owner.client.close()


def _refused(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert body["error"]["message"]  # plain Chinese, for the page
    return dict(body["error"])


def _snapshot(world: World, doc: GrantDocument) -> tuple[Any, ...]:
    gid = bytes.fromhex(doc.grant_id[2:])
    record = world.sc.net.contracts.grant(gid)
    return (
        record.status,
        record.owner_signature,
        record.updated_at,
        len(world.sc.net.contracts.grant_history(gid)),
    )


def _approved(world: World, owner: ApiOwner) -> GrantDocument:
    doc = request_pending(world, owner.person, owner.key_hex)
    resp = owner.post(
        f"/api/grants/{doc.grant_id}/approve", {"signature": _b64(owner.key.sign(doc.canonical()))}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "ACTIVE"
    return doc


def test_a_forged_approval_is_refused_and_nothing_changes_on_chain(
    world: World, alice: ApiOwner
) -> None:
    doc = request_pending(world, alice.person, alice.key_hex)
    before = _snapshot(world, doc)
    forged = SM2PrivateKey.generate().sign(doc.canonical())
    error = _refused(alice.post(f"/api/grants/{doc.grant_id}/approve", {"signature": _b64(forged)}),
                     400, "OWNER_SIGNATURE_INVALID")  # fmt: skip
    assert "链上未做任何更改" in error["message"]
    url = f"/api/grants/{doc.grant_id}/approve"
    _refused(alice.post(url, {"signature": _b64(b"\x30\x00")}), 400, "OWNER_SIGNATURE_INVALID")
    assert _snapshot(world, doc) == before
    assert before[0] is GrantStatus.PENDING and before[1] == b""


def test_a_forged_revocation_is_refused_and_the_grant_stays_active(
    world: World, alice: ApiOwner
) -> None:
    doc = _approved(world, alice)
    before = _snapshot(world, doc)
    body, forged = alice.action(doc, GrantAction.REVOKE, key=SM2PrivateKey.generate())
    _refused(alice.post(f"/api/grants/{doc.grant_id}/revoke",
                        {"document": _b64(body), "signature": _b64(forged)}),
             400, "OWNER_SIGNATURE_INVALID")  # fmt: skip
    pause_body, pause_sig = alice.action(doc, GrantAction.PAUSE)  # a real signature, other bytes
    _refused(alice.post(f"/api/grants/{doc.grant_id}/revoke",
                        {"document": _b64(body), "signature": _b64(pause_sig)}),
             400, "OWNER_SIGNATURE_INVALID")  # fmt: skip
    assert pause_body != body
    assert _snapshot(world, doc) == before and before[0] is GrantStatus.ACTIVE


def test_decisions_out_of_turn_or_about_other_grants_are_refused(
    world: World, alice: ApiOwner, bob: ApiOwner
) -> None:
    doc = _approved(world, alice)
    before = _snapshot(world, doc)
    gid = doc.grant_id

    def post_action(
        owner: ApiOwner, action: str, body: bytes, sig: bytes, grant: str = gid
    ) -> httpx.Response:
        return owner.post(
            f"/api/grants/{grant}/{action}", {"document": _b64(body), "signature": _b64(sig)}
        )

    approve = {"signature": _b64(alice.key.sign(doc.canonical()))}
    _refused(alice.post(f"/api/grants/{gid}/approve", approve), 409, "GRANT_NOT_PENDING")
    _refused(
        post_action(alice, "resume", *alice.action(doc, GrantAction.RESUME)),
        409,
        "GRANT_NOT_PAUSED",
    )
    _refused(
        post_action(alice, "reject", *alice.action(doc, GrantAction.REJECT)),
        409,
        "GRANT_NOT_PENDING",
    )
    _refused(post_action(bob, "pause", *bob.action(doc, GrantAction.PAUSE)), 403, "NOT_YOUR_GRANT")
    _refused(bob.post(f"/api/grants/{gid}/approve", approve), 403, "NOT_YOUR_GRANT")
    _refused(bob.client.get(f"/api/grants/{gid}/document"), 403, "NOT_YOUR_GRANT")

    body, sig = alice.action(doc, GrantAction.PAUSE)
    spaced = json.dumps(json.loads(body), indent=1).encode()
    _refused(
        post_action(alice, "pause", spaced, alice.key.sign(spaced)), 400, "ACTION_NOT_CANONICAL"
    )
    _refused(post_action(alice, "revoke", body, sig), 400, "ACTION_MISMATCH")  # a pause document
    other = request_pending(world, alice.person, alice.key_hex)
    _refused(post_action(alice, "pause", body, sig, grant=other.grant_id), 400, "ACTION_MISMATCH")
    wrong_digest = alice.action(doc, GrantAction.PAUSE, document_digest="0x" + "11" * 32)
    _refused(post_action(alice, "pause", *wrong_digest), 409, "GRANT_DOCUMENT_MISMATCH")
    stale = alice.action(doc, GrantAction.PAUSE, at=int(time.time()) - 3600)
    _refused(post_action(alice, "pause", *stale), 400, "STALE_ACTION")
    _refused(post_action(alice, "pause", b"{}", sig), 400, "ACTION_DOCUMENT_INVALID")
    unknown = "0x" + "22" * 32
    _refused(alice.post(f"/api/grants/{unknown}/approve", approve), 404, "GRANT_NOT_FOUND")
    _refused(alice.client.get(f"/api/grants/{unknown}/document"), 404, "GRANT_NOT_FOUND")
    _refused(post_action(alice, "pause", body, sig, grant="0x1234"), 400, "MALFORMED_INPUT")
    _refused(
        alice.post(f"/api/grants/{gid}/approve", {"signature": "不是base64"}),
        400,
        "MALFORMED_INPUT",
    )
    assert _snapshot(world, doc) == before

    resp = post_action(alice, "pause", body, sig)  # the genuine decision still goes through
    assert resp.status_code == 200 and resp.json()["status"] == "PAUSED"
    assert status_of(world, doc) is GrantStatus.PAUSED


def test_requests_without_csrf_or_session_are_refused(world: World, alice: ApiOwner) -> None:
    doc = request_pending(world, alice.person, alice.key_hex)
    sig = {"signature": _b64(alice.key.sign(doc.canonical()))}
    url = f"/api/grants/{doc.grant_id}/approve"
    _refused(alice.client.post(url, json=sig), 403, "CSRF_REJECTED")
    _refused(
        alice.client.post(url, json=sig, headers={"x-csrf-token": "guess"}), 403, "CSRF_REJECTED"
    )
    _refused(alice.post(url, sig, origin="https://evil.example"), 403, "CSRF_REJECTED")
    _refused(alice.post(url, sig, **{"sec-fetch-site": "cross-site"}), 403, "CSRF_REJECTED")
    with httpx.Client(base_url=world.portal.url) as anonymous:
        csrf = anonymous.get("/api/session").json()["csrf_token"]
        _refused(
            anonymous.post(url, json=sig, headers={"x-csrf-token": csrf}), 401, "NOT_SIGNED_IN"
        )
        _refused(anonymous.get("/api/grants"), 401, "NOT_SIGNED_IN")
        _refused(anonymous.post("/api/session", json={"person": "nobody"},
                                headers={"x-csrf-token": csrf}), 404, "UNKNOWN_PERSON")  # fmt: skip
        page = anonymous.get("/requests")
        assert (page.status_code, page.headers["location"]) == (303, "/login")
    assert status_of(world, doc) is GrantStatus.PENDING


def test_key_binding_needs_proof_and_never_steals_a_bound_key(
    world: World, alice: ApiOwner, bob: ApiOwner
) -> None:
    newcomer = sign_in(world, world.person(9), bind=False)
    challenge = newcomer.client.get("/api/session").json()["key_challenge"]
    key = SM2PrivateKey.generate()
    key_hex = "0x" + key.public_key().to_bytes().hex()
    wrong = key.sign(key_proof_document("0x" + "00" * 32, key_hex))
    _refused(newcomer.post("/api/owner/key", {"public_key": key_hex, "proof": _b64(wrong)}),
             400, "KEY_PROOF_INVALID")  # fmt: skip
    assert (
        challenge
        and world.sc.net.contracts.owner(world.pseudonym_of(newcomer.person)).key_version == 0
    )
    _refused(newcomer.bind(alice.key), 409, "KEY_BOUND_ELSEWHERE")
    _refused(bob.bind(SM2PrivateKey.generate()), 409, "KEY_MISMATCH")
    assert bob.bind(bob.key).json()["tx_hash"] == ""  # already attested: nothing sent
    fresh = SM2PrivateKey.generate()
    rotated = bob.bind(fresh, replace=True).json()
    assert rotated["rotated"] is True
    owner = world.sc.net.contracts.owner(world.pseudonym_of(bob.person))
    assert (owner.key_version, owner.sm2_public_key) == (2, fresh.public_key().to_bytes())
    bob.key = fresh
    newcomer.client.close()

    # The re-binding is shown to the owner: when, which authority, the new key's fingerprint.
    page = bob.client.get("/key").text
    history = page[page.index("密钥登记记录") :]
    assert "更换为新密钥" in history and "首次登记密钥" in history
    authority = world.sc.net.contracts.institution(world.sc.net.committee[0].id).name
    assert authority in history
    fp = fresh.public_key().fingerprint()
    assert " ".join(fp[i : i + 4] for i in range(0, 16, 4)) in history
    assert history.index("更换为新密钥") < history.index("首次登记密钥")  # newest first


def test_session_cookie_and_headers(world: World) -> None:
    with httpx.Client(base_url=world.portal.url) as client:
        resp = client.get("/login")
        cookie = resp.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        assert "default-src 'self'" in resp.headers["content-security-policy"]
        assert 'lang="zh-CN"' in resp.text
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/api/session", "/api/owner/key", "/api/grants", "/api/grants/{grant_id}/document",
                "/api/grants/{grant_id}/approve", "/api/grants/{grant_id}/{action}",
                "/api/history", "/api/history/refresh"} <= set(paths)  # fmt: skip
        assert client.get("/healthz").json()["ok"] is True
