"""Sessions of a production portal: the ``__Host-`` cookie, idle timeout and absolute lifetime,
expiry of challenges, codes and rate-limit windows, and logging out everywhere.

Time-dependent cases run an ``environment="production"`` app in process (over the test
client's HTTPS) with an injected clock, never a sleep; its keys are bound through the
production portal process on the same chain, which is all the sign-in asks.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from quancheng.crypto import SM2PrivateKey
from quancheng_portal.core.sessions import SECURE_COOKIE
from quancheng_portal.main import create_app
from tests.portal.production import PortalClient, ProdPortal, enrolled, key_hex, refused
from tests.portal.support import World, portal_settings


class Clock:
    """Wall-clock seconds that only move when told."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclasses.dataclass
class InProcess:
    app: FastAPI
    clock: Clock
    clients: int = 0

    @property
    def settings(self) -> Any:
        return self.app.state.portal.settings

    def client(self) -> PortalClient:
        self.clients += 1
        http = TestClient(self.app, base_url="https://testserver",
                          client=(f"10.88.0.{self.clients}", 50000))  # fmt: skip
        return PortalClient(http, cookie_name=SECURE_COOKIE)


@pytest.fixture(scope="module")
def production(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    work = tmp_path_factory.mktemp("portal-production")
    settings = portal_settings(world.sc, work, None, environment="production",
                               database_url=f"sqlite:///{work / 'portal.db'}")  # fmt: skip
    clock = Clock()
    app = create_app(settings, clock=clock)
    try:
        yield InProcess(app, clock)
    finally:
        app.state.portal.close()


@pytest.fixture
def key(prod: ProdPortal) -> SM2PrivateKey:
    """A key bound on chain (through the production-mode process) to a fresh owner."""
    owner, _ = enrolled(prod)
    assert owner.key is not None
    owner.close()
    return owner.key


def test_the_production_cookie_is_host_prefixed_secure_httponly_and_strict(
    production: InProcess,
) -> None:
    first_visit = TestClient(production.app, base_url="https://testserver")
    cookie = first_visit.get("/login").headers["set-cookie"]
    assert cookie.startswith(f"{SECURE_COOKIE}=")
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite", "path", "max-age"} <= attributes
    assert "domain" not in attributes and "samesite=strict" in cookie.lower()
    assert "path=/;" in cookie.lower() + ";"


def test_a_session_ends_after_its_idle_timeout(production: InProcess, key: SM2PrivateKey) -> None:
    client = production.client()
    assert client.sign_in(key).status_code == 200
    idle = production.settings.session_idle_s
    for _ in range(3):  # in use: each request keeps it alive
        production.clock.now += idle - 60
        assert client.http.get("/api/grants").status_code == 200
    production.clock.now += idle
    refused(client.http.get("/api/grants"), 401, "NOT_SIGNED_IN")
    assert client.session()["signed_in"] is False


def test_a_session_in_use_ends_after_its_absolute_lifetime(
    production: InProcess, key: SM2PrivateKey
) -> None:
    client = production.client()
    assert client.sign_in(key).status_code == 200
    ttl, step = production.settings.session_ttl_s, 600
    for _ in range(ttl // step - 1):
        production.clock.now += step
        assert client.http.get("/api/grants").status_code == 200
    production.clock.now += step
    refused(client.http.get("/api/grants"), 401, "NOT_SIGNED_IN")


def test_an_expired_challenge_is_refused(production: InProcess, key: SM2PrivateKey) -> None:
    client = production.client()
    challenge = client.challenge()["challenge"]
    production.clock.now += production.settings.sign_in_challenge_ttl_s + 1
    body = client.signed_in_body(key, challenge=challenge)
    refused(client.post("/api/sign-in", body), 401, "SIGN_IN_CHALLENGE_EXPIRED")
    assert client.session()["signed_in"] is False
    assert client.sign_in(key).status_code == 200  # a fresh one works


def test_a_code_that_expires_before_the_binding_binds_nothing(
    production: InProcess, prod: ProdPortal
) -> None:
    resident_id = prod.resident()
    portal = production.app.state.portal
    ttl = production.settings.enrollment_code_ttl_s
    now = production.clock.now
    codes = dataclasses.replace(portal.enrollment, clock=lambda: now - ttl + 60)
    code = codes.issue(prod.pseudonym_of(resident_id)).display
    client = production.client()
    assert client.enroll(code).status_code == 200
    production.clock.now += 61
    refused(client.bind(SM2PrivateKey.generate()), 410, "ENROLLMENT_CODE_EXPIRED")
    assert prod.chain_key(resident_id)[0] == 0


def test_the_rate_limit_lifts_when_its_window_has_passed(production: InProcess) -> None:
    client = production.client()
    for i in range(production.settings.auth_max_failures):
        refused(client.enroll(f"ZZZZ-ZZZZ-ZZZZ-{i:04d}"), 401, "ENROLLMENT_CODE_INVALID")
    refused(client.enroll("ZZZZ-ZZZZ-ZZZZ-9999"), 429, "TOO_MANY_ATTEMPTS")
    production.clock.now += production.settings.auth_failure_window_s
    # (The session itself has timed out meanwhile: a new one, from the same address.)
    again = PortalClient(client.http, cookie_name=SECURE_COOKIE)
    refused(again.enroll("ZZZZ-ZZZZ-ZZZZ-9999"), 401, "ENROLLMENT_CODE_INVALID")


def test_logging_out_everywhere_ends_the_owners_other_sessions(prod: ProdPortal) -> None:
    laptop, _ = enrolled(prod)
    key = laptop.key
    assert key is not None
    phone = prod.client()
    assert phone.sign_in(key).status_code == 200
    neighbour, _ = enrolled(prod)
    assert '<strong id="session-count">2</strong>' in phone.http.get("/key").text

    out = laptop.post("/api/session/logout-all")
    assert (out.status_code, out.json()["sessions_ended"]) == (200, 2)
    refused(phone.http.get("/api/grants"), 401, "NOT_SIGNED_IN")
    refused(laptop.http.get("/api/grants"), 401, "NOT_SIGNED_IN")
    assert neighbour.http.get("/api/grants").status_code == 200  # nobody else's
    phone = PortalClient(phone.http)  # the page reloads: a new, anonymous session
    assert phone.sign_in(key).status_code == 200  # the key still signs in
    assert phone.session()["attested_key"] == key_hex(key)
    for c in (laptop, phone, neighbour):
        c.close()
