"""Binding or re-binding a key outside development takes a one-time enrollment code, issued by
the identity authority after its real-name check; a session alone never binds.

Against the production-mode portal process (tests/portal/production.py). Time is injected
through the code store's clock, never slept.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from quancheng.crypto import SM2PrivateKey
from quancheng_portal.core.enrollment import normalize_code
from quancheng_portal.models import EnrollmentCode
from quancheng_portal.process import settings_env
from tests.portal.production import ProdPortal, b64, enrolled, key_hex, refused

_CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")


def _issue_command(prod: ProdPortal, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings_env(prod.settings)}
    return subprocess.run(
        [sys.executable, "-m", "quancheng_portal.enroll", "issue", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_authority_issues_a_code_and_the_portal_keeps_only_its_digest(
    prod: ProdPortal,
) -> None:
    resident_id = prod.resident()
    done = _issue_command(prod, "--name", "测试居民", "--resident-id", resident_id.lower())
    assert done.returncode == 0, done.stderr
    assert f"{resident_id[:6]}********{resident_id[-4:]}" in done.stdout
    match = _CODE.search(done.stdout)
    assert match, done.stdout
    code = match.group(1)
    pseudonym = "0x" + prod.pseudonym_of(resident_id).hex()
    with Session(prod.engine) as session:
        rows = session.exec(
            select(EnrollmentCode).where(EnrollmentCode.pseudonym == pseudonym)
        ).all()
    assert len(rows) == 1
    (row,) = rows
    assert row.code_digest == prod.codes().digest(normalize_code(code) or "")
    assert row.used_at is None and 0 < row.expires_at - time.time() <= 15 * 60
    stored = b"".join(p.read_bytes() for p in prod.world.work.glob("portal-prod.db*"))
    for secret in (code, code.replace("-", ""), resident_id, "测试居民"):
        assert secret.encode() not in stored

    client = prod.client()  # typed carelessly: lower case, spaces, O for 0
    typed = code.lower().replace("-", " ").replace("0", "o")
    assert client.enroll(typed).json()["auth"] == "enrolling"
    assert client.bind(SM2PrivateKey.generate()).status_code == 200
    client.close()

    bad = _issue_command(prod, "--name", "测试居民", "--resident-id", resident_id[:17] + "0")
    if resident_id[17] != "0":
        assert bad.returncode == 2 and "校验位" in bad.stderr


def test_a_session_alone_never_binds_or_rebinds_a_key(prod: ProdPortal) -> None:
    owner, resident_id = enrolled(prod)
    before = prod.chain_key(resident_id)
    refused(owner.bind(SM2PrivateKey.generate(), replace=True), 403, "ENROLLMENT_REQUIRED")
    key = owner.key
    assert key is not None
    refused(owner.bind(key), 403, "ENROLLMENT_REQUIRED")  # not even the same key again
    owner.post("/api/session/logout")
    signed_in = prod.client()
    assert signed_in.sign_in(key).status_code == 200
    refused(signed_in.bind(SM2PrivateKey.generate(), replace=True), 403, "ENROLLMENT_REQUIRED")
    assert prod.chain_key(resident_id) == before
    page = signed_in.http.get("/key").text
    assert "生成并登记新密钥" not in page and "输入开通码" in page
    for c in (owner, signed_in):
        c.close()


def test_an_enrolling_session_may_only_bind(prod: ProdPortal) -> None:
    client = prod.client()
    before = client.token
    resp = client.enroll(prod.issue(prod.resident()))
    body = resp.json()
    assert (body["signed_in"], body["auth"], body["attested_key"]) == (False, "enrolling", None)
    assert client.token != before  # entering a code starts a new session
    refused(client.http.get("/api/grants"), 401, "NOT_SIGNED_IN")
    refused(client.post("/api/history/refresh"), 401, "NOT_SIGNED_IN")
    refused(client.post("/api/session/logout-all"), 401, "NOT_SIGNED_IN")
    page = client.http.get("/requests", follow_redirects=False)
    assert page.headers["location"] == "/login"
    key = SM2PrivateKey.generate()
    wrong = key.sign(b"not the proof")
    proof = {"public_key": key_hex(key), "proof": b64(wrong)}
    refused(client.post("/api/owner/key", proof), 400, "KEY_PROOF_INVALID")
    assert client.bind(key).status_code == 200  # the code was not spent by the refusal
    assert client.session()["auth"] == "key"
    assert client.http.get("/api/grants").status_code == 200
    client.close()


def test_a_code_binds_once(prod: ProdPortal) -> None:
    resident_id = prod.resident()
    code = prod.issue(resident_id)
    first = prod.client()
    assert first.enroll(code).status_code == 200
    key = SM2PrivateKey.generate()
    assert first.bind(key).status_code == 200
    second = prod.client()
    refused(second.enroll(code), 409, "ENROLLMENT_CODE_USED")
    refused(second.bind(SM2PrivateKey.generate(), replace=True), 401, "NOT_SIGNED_IN")
    assert prod.chain_key(resident_id) == (1, key_hex(key))
    refused(prod.client().enroll("0000-0000-0000-0000"), 401, "ENROLLMENT_CODE_INVALID")
    refused(prod.client().enroll("not a code"), 401, "ENROLLMENT_CODE_INVALID")
    for c in (first, second):
        c.close()


def test_two_sessions_racing_with_one_code_bind_one_key(prod: ProdPortal) -> None:
    resident_id = prod.resident()
    code = prod.issue(resident_id)
    clients = [prod.client(), prod.client()]
    for client in clients:  # both get in before either binds
        assert client.enroll(code).status_code == 200
    keys = [SM2PrivateKey.generate(), SM2PrivateKey.generate()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda ck: ck[0].bind(ck[1]), zip(clients, keys, strict=True)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    refused(loser, 409, "ENROLLMENT_CODE_USED")
    winner = keys[[a.status_code for a in answers].index(200)]
    assert prod.chain_key(resident_id) == (1, key_hex(winner))
    for client in clients:
        client.close()


def test_an_expired_code_is_refused(prod: ProdPortal) -> None:
    resident_id = prod.resident()
    ttl = prod.settings.enrollment_code_ttl_s
    issued_then = time.time() - ttl - 1
    code = prod.issue(resident_id, clock=lambda: issued_then)
    client = prod.client()
    refused(client.enroll(code), 410, "ENROLLMENT_CODE_EXPIRED")
    assert prod.chain_key(resident_id)[0] == 0
    just_valid = time.time() - ttl + 60
    assert client.enroll(prod.issue(resident_id, clock=lambda: just_valid)).status_code == 200
    client.close()


def test_a_new_code_voids_the_unspent_one(prod: ProdPortal) -> None:
    resident_id = prod.resident()
    old, new = prod.issue(resident_id), prod.issue(resident_id)
    client = prod.client()
    refused(client.enroll(old), 401, "ENROLLMENT_CODE_INVALID")
    assert client.enroll(new).status_code == 200
    client.close()


def test_a_lost_key_is_replaced_with_a_new_code(prod: ProdPortal) -> None:
    owner, resident_id = enrolled(prod)
    old = owner.key
    rebinding = prod.client()
    assert rebinding.enroll(prod.issue(resident_id)).json()["attested_key"] == key_hex(old)  # type: ignore[arg-type]
    new = SM2PrivateKey.generate()
    refused(rebinding.bind(new), 409, "KEY_MISMATCH")  # replacing must be asked for
    bound = rebinding.bind(new, replace=True).json()
    assert bound["rotated"] is True and bound["tx_hash"]
    assert prod.chain_key(resident_id) == (2, key_hex(new))
    refused(owner.http.get("/api/grants"), 401, "NOT_SIGNED_IN")  # the other session ended
    assert rebinding.http.get("/api/grants").status_code == 200
    history = rebinding.http.get("/key").text
    assert "更换为新密钥" in history and "首次登记密钥" in history
    for c in (owner, rebinding):
        c.close()
