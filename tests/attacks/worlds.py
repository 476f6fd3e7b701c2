"""The worlds some attacks run in: a real department's gateway process, and the portal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from quancheng.crypto import SM2PrivateKey
from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.process import GatewayProcess
from tests.attacks.support import PORTAL_PEOPLE, GatewayState, b64, gateway_state
from tests.gateway.conftest import wait_until
from tests.utils.chain_factories import Member
from tests.utils.ports import free_port
from tests.utils.readers import signed_headers
from tests.utils.scenario import Scenario, build_scenario, gateway_settings

#: The real plug-in served by :class:`DeptGateway`.
DEPT_PLUGIN = "quancheng_insurance.departments:vehicle"


# ------------------------------------------------------------------- the real department


@dataclass
class DeptGateway:
    """A real department plug-in behind a real gateway process, on its own deployment."""

    sc: Scenario
    process: GatewayProcess
    settings: GatewaySettings
    http: httpx.Client

    @property
    def database_url(self) -> str:
        return str(self.settings.database_url)

    def state(self) -> GatewayState:
        return gateway_state(self.http, self.database_url, read=self.read)

    def read(self, path: str, *, as_: Member | None = None) -> httpx.Response:
        """GET a log route (path and query) as ``as_`` (default: the scenario's auditor)."""
        member = as_ or self.sc.auditor
        resp: httpx.Response = self.http.get(
            path, headers=signed_headers(member, path, audience=self.sc.provider.code)
        )
        return resp

    def sync(self, timeout: float = 15.0) -> None:
        """Wait until the process's chain view has caught up with the head."""
        head = self.sc.net.w3.eth.block_number
        wait_until(
            lambda: (self.process.health() or {}).get("view_block", -1) >= head,
            timeout,
            f"gateway view at block {head}",
        )

    def post(self, body: bytes, **headers: str) -> httpx.Response:
        return self.http.post("/v1/query", content=body, headers=headers)

    def restart(self) -> None:
        self.http.close()
        self.process.stop()
        self.process.start()
        self.http = _client(self.process.url)


def build_dept_gateway(rpc_url: str, funder_key: str, work: Path) -> DeptGateway:
    """Deploy for the real 车管所 plug-in and start its gateway as a subprocess."""
    sc = build_scenario(rpc_url, funder_key, work, people=60, provider_code="jinan.vmo")
    settings = gateway_settings(
        sc,
        database_url=f"sqlite:///{work / 'gateway.db'}",
        port=free_port(),
        department=DEPT_PLUGIN,
    )
    process = GatewayProcess(settings, log_file=work / "gateway.log")
    process.start()
    return DeptGateway(sc, process, settings, _client(process.url))


# ---------------------------------------------------------------------------- the portal


@dataclass
class PortalWorld:
    """The owner portal in process, and who can sign in to it."""

    sc: Scenario
    app: Any
    people: list[dict[str, str]]


@dataclass
class PortalOwner:
    """An owner signed in to the portal with a key held here (a local wallet)."""

    client: TestClient
    csrf: str
    key: SM2PrivateKey
    resident_id: str

    @property
    def key_hex(self) -> str:
        return "0x" + self.key.public_key().to_bytes().hex()

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.post(path, json=body, headers={"x-csrf-token": self.csrf, **headers})


def build_portal(sc: Scenario, work: Path) -> Iterator[PortalWorld]:
    """Run the portal over ``sc`` (authority: its committee member 0) until closed."""
    from quancheng_portal.main import create_app
    from tests.portal.support import portal_settings

    people = [
        {"key": f"a{i}", "name": f"攻击测试{i}", "resident_id": rid}
        for i, rid in enumerate(sc.subjects[-PORTAL_PEOPLE:])
    ]
    people_file = work / "people.json"
    people_file.write_text(json.dumps(people, ensure_ascii=False), encoding="utf-8")
    app = create_app(portal_settings(sc, work, people_file))
    with TestClient(app):
        yield PortalWorld(sc, app, people)


def portal_sign_in(world: PortalWorld, index: int) -> PortalOwner:
    """Sign person ``index`` in and have a fresh key of theirs attested through the portal."""
    from quancheng_portal.services.owners import key_proof_document

    person = world.people[index]
    client = TestClient(world.app)
    csrf = client.get("/api/session").json()["csrf_token"]
    resp = client.post(
        "/api/session", json={"person": person["key"]}, headers={"x-csrf-token": csrf}
    )
    assert resp.status_code == 200, resp.text
    owner = PortalOwner(
        client, resp.json()["csrf_token"], SM2PrivateKey.generate(), person["resident_id"]
    )
    challenge = client.get("/api/session").json()["key_challenge"]
    proof = owner.key.sign(key_proof_document(challenge, owner.key_hex))
    bound = owner.post("/api/owner/key", {"public_key": owner.key_hex, "proof": b64(proof)})
    assert bound.status_code == 200, bound.text
    return owner


def _client(url: str) -> httpx.Client:
    # A connection per request: uvicorn closes a connection after a 500, and a pooled one
    # would fail the next attack with a reset instead of its answer.
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(base_url=url, timeout=30, limits=limits)
