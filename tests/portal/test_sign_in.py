"""Outside development an owner gets in only by signing a fresh challenge with the key bound to
them on chain now (or with an enrollment code: tests/portal/test_enrollment.py).

Against a real portal process in production mode (see tests/portal/production.py). Every
refusal has its exact status and code, and leaves the session as it was: anonymous.
"""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from quancheng.crypto import SM2PrivateKey
from quancheng_portal.core.config import PortalSettings, SettingsError
from quancheng_portal.process import settings_env
from tests.portal.production import (
    ProdPortal,
    b64,
    enrolled,
    key_hex,
    refused,
)
from tests.utils.sdk_factories import institution_of


def _anonymous(resp: httpx.Response) -> None:
    assert resp.status_code == 200 and resp.json()["signed_in"] is False, resp.text


def test_outside_development_demo_identities_are_refused_at_start(prod: ProdPortal) -> None:
    people = prod.world.work / "people.json"
    keys = {k: v for k, v in prod.settings.model_dump().items() if k.startswith("authority_")}
    for environment in ("production", "test"):
        with pytest.raises(SettingsError, match="demo identities are refused outside development"):
            PortalSettings(environment=environment, pseudonym_key="ab" * 16,
                           demo_people_file=people, **keys)  # fmt: skip
    # The process itself: with a demo list in its environment it exits before serving.
    env = {**os.environ, **settings_env(prod.settings), "QC_PORTAL_DEMO_PEOPLE_FILE": str(people)}
    started = subprocess.run(
        [sys.executable, "-m", "quancheng_portal"], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert started.returncode != 0
    assert "demo identities are refused outside development" in started.stderr


def test_without_a_key_or_a_code_nothing_is_reachable(prod: ProdPortal) -> None:
    client = prod.client()
    token = client.token
    refused(client.http.get("/api/grants"), 401, "NOT_SIGNED_IN")
    refused(client.http.get("/api/history"), 401, "NOT_SIGNED_IN")
    page = client.http.get("/requests", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login")
    login = client.http.get("/login").text
    assert "用密钥登录" in login and "输入开通码" in login and "实名认证并登录" not in login
    refused(client.post("/api/session", {"person": "p1"}), 403, "DEMO_SIGN_IN_DISABLED")
    key = SM2PrivateKey.generate()
    refused(client.bind(key), 401, "NOT_SIGNED_IN")
    refused(client.post("/api/session/logout-all"), 401, "NOT_SIGNED_IN")
    refused(client.sign_in(key), 401, "SIGN_IN_KEY_NOT_BOUND")  # a key bound to nobody
    assert client.token == token  # no new session was issued
    _anonymous(client.http.get("/api/session"))
    client.close()


def test_signing_in_with_the_bound_key_starts_a_new_session(prod: ProdPortal) -> None:
    owner, resident_id = enrolled(prod)
    key = owner.key
    assert key is not None
    owner.post("/api/session/logout")

    visitor = prod.client()
    before, csrf_before = visitor.token, visitor.csrf
    resp = visitor.sign_in(key)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["signed_in"], body["auth"], body["attested_key"]) == (True, "key", key_hex(key))
    assert body["greeting"].startswith("已用密钥登录")
    # A new cookie token and CSRF token: whoever planted or saw the old one gets nothing.
    assert visitor.token not in (None, before) and visitor.csrf != csrf_before
    with httpx.Client(base_url=prod.url, verify=prod.tls.ssl_context()) as bare:  # no jar

        def with_token(token: str | None) -> httpx.Response:
            return bare.get("/api/session", headers={"cookie": f"{visitor.cookie_name}={token}"})

        current = with_token(visitor.token)
        assert current.json()["signed_in"] is True and "set-cookie" not in current.headers
        old = with_token(before)  # found no session: a new anonymous one is started
        assert old.json()["signed_in"] is False and "set-cookie" in old.headers
    assert visitor.http.get("/api/grants").status_code == 200
    assert prod.chain_key(resident_id) == (1, key_hex(key))
    for c in (owner, visitor):
        c.close()


def test_a_replaced_key_no_longer_signs_in_and_its_sessions_end(prod: ProdPortal) -> None:
    owner, resident_id = enrolled(prod)
    old = owner.key
    assert old is not None
    elsewhere = prod.client()
    assert elsewhere.sign_in(old).status_code == 200  # signed in on a second device

    # The key is lost: a new code after the real-name check, a new key bound.
    rebinding = prod.client()
    assert rebinding.enroll(prod.issue(resident_id)).status_code == 200
    new = SM2PrivateKey.generate()
    assert rebinding.bind(new, replace=True).json()["rotated"] is True
    assert prod.chain_key(resident_id) == (2, key_hex(new))

    for device in (owner, elsewhere):  # the sessions of the old key ended
        refused(device.http.get("/api/grants"), 401, "NOT_SIGNED_IN")
    thief = prod.client()
    refused(thief.sign_in(old), 401, "SIGN_IN_KEY_NOT_BOUND")
    _anonymous(thief.http.get("/api/session"))
    assert thief.sign_in(new).status_code == 200
    for c in (owner, elsewhere, rebinding, thief):
        c.close()


def test_a_revoked_key_does_not_sign_in(prod: ProdPortal) -> None:
    from quancheng.authority import IdentityAuthority

    owner, resident_id = enrolled(prod)
    key = owner.key
    assert key is not None
    sc = prod.world.sc
    authority = IdentityAuthority(
        institution_of(sc.net.committee[0]), sc.pseudonym_key, sc.manifest_path, sc.rpc_url
    )
    authority.revoke_attestation(prod.pseudonym_of(resident_id), "LOST")
    client = prod.client()
    refused(client.sign_in(key), 401, "SIGN_IN_KEY_NOT_BOUND")
    owner.close()
    client.close()


def test_a_challenge_signs_in_once_and_only_for_its_own_session(prod: ProdPortal) -> None:
    owner, _ = enrolled(prod)
    key = owner.key
    assert key is not None
    owner.post("/api/session/logout")

    first = prod.client()
    body = first.signed_in_body(key)
    replay = prod.client()  # another browser replays the signed document
    replay.challenge()
    refused(replay.post("/api/sign-in", body), 401, "SIGN_IN_CHALLENGE_INVALID")
    assert first.post("/api/sign-in", body).status_code == 200
    again = first.post("/api/sign-in", body)  # the same document a second time
    refused(again, 401, "SIGN_IN_CHALLENGE_INVALID")

    # A failed attempt spends the challenge too: it cannot be retried.
    client = prod.client()
    challenge = client.challenge()["challenge"]
    wrong = client.signed_in_body(key, challenge=challenge, signer=SM2PrivateKey.generate())
    refused(client.post("/api/sign-in", wrong), 401, "SIGN_IN_SIGNATURE_INVALID")
    right = client.signed_in_body(key, challenge=challenge)
    refused(client.post("/api/sign-in", right), 401, "SIGN_IN_CHALLENGE_INVALID")
    # Asking again replaces the earlier challenge.
    earlier = client.challenge()["challenge"]
    client.challenge()
    refused(client.post("/api/sign-in", client.signed_in_body(key, challenge=earlier)),
            401, "SIGN_IN_CHALLENGE_INVALID")  # fmt: skip
    _anonymous(client.http.get("/api/session"))
    for c in (owner, first, replay, client):
        c.close()


def test_a_signature_over_anything_but_this_challenge_is_refused(prod: ProdPortal) -> None:
    owner, _ = enrolled(prod)
    key = owner.key
    assert key is not None
    client = prod.client()
    other = client.challenge()["challenge"]
    current = client.challenge()["challenge"]
    crossed = client.signed_in_body(key, challenge=current, signed=other)
    refused(client.post("/api/sign-in", crossed), 401, "SIGN_IN_SIGNATURE_INVALID")
    phished = client.signed_in_body(key, origin="https://portal.example.evil")
    refused(client.post("/api/sign-in", phished), 401, "SIGN_IN_ORIGIN_MISMATCH")
    no_origin = client.signed_in_body(key, origin=None)  # a wallet may leave it out
    relabelled = {**no_origin, "origin": str(client.http.base_url).rstrip("/")}
    refused(client.post("/api/sign-in", relabelled), 401, "SIGN_IN_SIGNATURE_INVALID")
    bad_sig = {**client.signed_in_body(key), "signature": b64(b"\x30\x00")}
    refused(client.post("/api/sign-in", bad_sig), 401, "SIGN_IN_SIGNATURE_INVALID")
    _anonymous(client.http.get("/api/session"))
    fresh = prod.client()
    assert fresh.sign_in(key, origin=None).status_code == 200
    for c in (owner, client, fresh):
        c.close()


def test_failed_attempts_are_limited_per_address_and_per_session(prod: ProdPortal) -> None:
    limit = prod.settings.auth_max_failures
    code = prod.issue(prod.resident())
    attacker = prod.client()
    for i in range(limit):
        wrong = prod.client(address=attacker.http.headers["x-forwarded-for"])
        refused(wrong.enroll(f"AAAA-BBBB-CCCC-{i:04d}"), 401, "ENROLLMENT_CODE_INVALID")
        wrong.close()
    blocked = attacker.enroll(code)  # even the right code, from that address
    error = refused(blocked, 429, "TOO_MANY_ATTEMPTS")
    retry_after = int(blocked.headers["retry-after"])
    assert error["details"]["retry_after_s"] == retry_after
    assert 0 < retry_after <= prod.settings.auth_failure_window_s
    owner = prod.client()  # another address is not affected
    assert owner.enroll(code).status_code == 200

    # One session hopping between addresses is counted as one.
    hopper = prod.client()
    for i in range(limit):
        hopper.http.headers["x-forwarded-for"] = f"10.78.0.{i + 1}"
        refused(hopper.enroll(f"AAAA-BBBB-DDDD-{i:04d}"), 401, "ENROLLMENT_CODE_INVALID")
    hopper.http.headers["x-forwarded-for"] = "10.78.0.99"
    refused(hopper.enroll("AAAA-BBBB-DDDD-9999"), 429, "TOO_MANY_ATTEMPTS")
    # Sign-in failures count in the same buckets.
    refused(hopper.post("/api/sign-in", hopper.signed_in_body(SM2PrivateKey.generate())),
            429, "TOO_MANY_ATTEMPTS")  # fmt: skip
    for c in (attacker, owner, hopper):
        c.close()
