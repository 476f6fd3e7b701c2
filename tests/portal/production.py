"""A production portal, and owners who reach it only with a key or a code.

Beside the world's development portal (demo sign-in) runs a second portal process over the same
chain, gateway and identity authority with ``environment="production"``: no demo list, HTTPS
with the development CA's server certificate (``quancheng_appkit.devca``), and so a Secure
``__Host-`` session cookie. Each client names its own address in ``X-Forwarded-For`` (the
portal trusts it from loopback, as from a proxy), so each test has its own rate-limit buckets.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine

from quancheng.crypto import SM2PrivateKey, pseudonym
from quancheng.tls import TlsConfig
from quancheng_appkit.devca import DevCa
from quancheng_portal.core.config import PortalSettings
from quancheng_portal.core.enrollment import EnrollmentCodes
from quancheng_portal.core.people import resident_id_check_digit
from quancheng_portal.core.sessions import SECURE_COOKIE
from quancheng_portal.db import make_engine
from quancheng_portal.process import PortalProcess
from quancheng_portal.services.owners import key_proof_document
from quancheng_portal.services.sign_in import sign_in_document
from tests.portal.support import World, portal_settings
from tests.utils.ports import free_port

_ADDRESSES = itertools.count(1)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def key_hex(key: SM2PrivateKey) -> str:
    return "0x" + key.public_key().to_bytes().hex()


def next_address() -> str:
    """A client address of its own (rate-limit buckets are per address)."""
    n = next(_ADDRESSES)
    return f"10.77.{n // 250}.{n % 250 + 1}"


@dataclass
class ProdPortal:
    """The production-mode portal process, and the identity authority's code issuing."""

    world: World
    process: PortalProcess
    settings: PortalSettings
    engine: Engine
    #: How a client reaches it: trusting the development CA, presenting no certificate.
    tls: TlsConfig

    @property
    def url(self) -> str:
        return self.process.url

    def resident(self) -> str:
        """A resident ID number no other test has used (born 1950-1999 in a Jinan district)."""
        first17 = (
            f"3701{secrets.randbelow(12) + 2:02d}{1950 + secrets.randbelow(50)}"
            f"{secrets.randbelow(12) + 1:02d}{secrets.randbelow(28) + 1:02d}"
            f"{secrets.randbelow(1000):03d}"
        )
        return first17 + resident_id_check_digit(first17)

    def pseudonym_of(self, resident_id: str) -> bytes:
        return bytes(pseudonym(self.world.sc.pseudonym_key, "resident_id", resident_id))

    def codes(self, clock: Callable[[], float] = time.time) -> EnrollmentCodes:
        """The authority's code store on the portal's database, at ``clock``'s time."""
        return EnrollmentCodes(
            self.engine, self.world.sc.pseudonym_key, self.settings.enrollment_code_ttl_s, clock
        )

    def issue(self, resident_id: str, *, clock: Callable[[], float] = time.time) -> str:
        """An enrollment code for this resident (as the authority's command issues it)."""
        return self.codes(clock).issue(self.pseudonym_of(resident_id)).display

    def client(self, address: str | None = None) -> PortalClient:
        http = httpx.Client(
            base_url=self.url, timeout=30, verify=self.tls.ssl_context(),
            headers={"x-forwarded-for": address or next_address()},
        )  # fmt: skip
        return PortalClient(http)

    def chain_key(self, resident_id: str) -> tuple[int, str]:
        """The owner's key version and key on chain."""
        owner = self.world.sc.net.contracts.owner(self.pseudonym_of(resident_id))
        return owner.key_version, "0x" + owner.sm2_public_key.hex()

    def stop(self) -> None:
        self.process.stop()
        self.engine.dispose()


def start_prod_portal(world: World, name: str = "portal-prod", **overrides: Any) -> ProdPortal:
    """Start a production portal (HTTPS, the development CA) on its own database ``name``.db
    (``overrides``: more settings)."""
    ca = DevCa.ensure(world.work / "devca")
    db = world.work / f"{name}.db"
    settings = portal_settings(
        world.sc, world.work, None, environment="production", port=free_port(),
        database_url=f"sqlite:///{db}", tls_cert_file=ca.server_cert_file,
        tls_key_file=ca.server_key_file, **overrides,
    )  # fmt: skip
    process = PortalProcess(settings, log_file=world.work / f"{name}.log", tls=ca.anonymous())
    process.start()
    return ProdPortal(world, process, settings, make_engine(settings.database_url), ca.anonymous())


@dataclass
class PortalClient:
    """A browser's view of the portal over HTTP: its cookie, its CSRF token, a wallet key."""

    http: httpx.Client
    csrf: str = ""
    cookie_name: str = SECURE_COOKIE
    key: SM2PrivateKey | None = field(default=None)

    def __post_init__(self) -> None:
        if not self.csrf:
            self.csrf = self.http.get("/api/session").json()["csrf_token"]

    @property
    def token(self) -> str | None:
        return self.http.cookies.get(self.cookie_name)

    def session(self) -> dict[str, Any]:
        return dict(self.http.get("/api/session").json())

    def post(self, path: str, body: Any = None, **headers: str) -> httpx.Response:
        """POST with the CSRF token (and take the new one a sign-in answers)."""
        resp = self.http.post(path, json=body, headers={"x-csrf-token": self.csrf, **headers})
        if resp.status_code == 200 and isinstance(data := resp.json(), dict):
            self.csrf = data.get("csrf_token") or self.csrf
        return resp

    def enroll(self, code: str) -> httpx.Response:
        return self.post("/api/enroll", {"code": code})

    def bind(self, key: SM2PrivateKey, *, replace: bool = False) -> httpx.Response:
        challenge = self.session()["key_challenge"]
        proof = key.sign(key_proof_document(challenge, key_hex(key)))
        resp = self.post(
            "/api/owner/key", {"public_key": key_hex(key), "proof": b64(proof), "replace": replace}
        )
        if resp.status_code == 200:
            self.key = key
        return resp

    def challenge(self) -> dict[str, Any]:
        resp = self.post("/api/sign-in/challenge")
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def signed_in_body(
        self, key: SM2PrivateKey, *, challenge: str | None = None, signed: str | None = None,
        signer: SM2PrivateKey | None = None, origin: str | None = "", uscc: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """A sign-in body: ``challenge`` (a fresh one by default) as posted, ``signed`` as
        signed, by ``signer`` (default ``key``), for ``origin`` (default: the portal's), for
        the enterprise ``uscc`` (default: as a person)."""
        issued = self.challenge() if challenge is None else None
        posted = challenge if challenge is not None else issued["challenge"]  # type: ignore[index]
        if origin == "":
            origin = str(self.http.base_url).rstrip("/")
        document = sign_in_document(signed or posted, key_hex(key), origin, uscc)
        signature = (signer or key).sign(document)
        return {"challenge": posted, "owner_key": key_hex(key), "signature": b64(signature),
                "origin": origin, "uscc": uscc}  # fmt: skip

    def sign_in(self, key: SM2PrivateKey, **kw: Any) -> httpx.Response:
        resp = self.post("/api/sign-in", self.signed_in_body(key, **kw))
        if resp.status_code == 200:
            self.key = key
        return resp

    def close(self) -> None:
        self.http.close()


def enrolled(prod: ProdPortal, resident_id: str | None = None) -> tuple[PortalClient, str]:
    """A resident who entered a fresh code and bound a fresh key: signed in; their ID."""
    resident_id = resident_id or prod.resident()
    client = prod.client()
    assert client.enroll(prod.issue(resident_id)).status_code == 200
    resp = client.bind(SM2PrivateKey.generate())
    assert resp.status_code == 200, resp.text
    return client, resident_id


def refused(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The refusal's error body, once its status and code are the expected ones."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert body["error"]["message"]
    return dict(body["error"])
