"""A portal over a real chain and a real gateway, and helpers to drive them from tests.

The world: the gateway tests' scenario (a deployment, the test 车管所 department with its
data, a consumer bank), one real gateway subprocess whose endpoint the catalogue names, and
the portal run by the scenario's first committee member as identity authority, with the
gateway's pseudonym key, so a resident who signs in is the subject the gateway serves.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from quancheng.chain import GrantStatus
from quancheng.chain.types import code32
from quancheng.crypto import pseudonym
from quancheng.protocol import GrantDocument, GrantMode, ScopeItem
from quancheng_gateway.process import GatewayProcess
from quancheng_portal.core.config import PortalSettings
from quancheng_portal.process import PortalProcess
from tests.utils.ports import free_port
from tests.utils.scenario import (
    RESOURCES,
    Scenario,
    build_scenario,
    chain_now,
    gateway_settings,
    request_grant,
    signed_request,
)

VR = "vehicle.registration"
VR_FIELDS = ("plate_no", "status")
NAMES = (
    "赵敏",
    "钱学",
    "孙倩",
    "李娜",
    "周杰",
    "吴昊",
    "郑爽",
    "王芳",
    "冯涛",
    "陈静",
    "褚洁",
    "卫东",
    "蒋琳",
    "韩梅",
    "杨帆",
    "秦岚",
)
#: Dev account the portal tests fund their fresh accounts from.
FUNDER_INDEX = 16


@dataclass
class Person:
    key: str
    name: str
    resident_id: str


@dataclass
class World:
    """The running pieces and the people who can sign in."""

    sc: Scenario
    gateway: GatewayProcess
    portal: PortalProcess
    settings: PortalSettings
    people: list[Person]
    work: Path

    def person(self, index: int) -> Person:
        return self.people[index]

    def pseudonym_of(self, person: Person) -> bytes:
        return bytes(pseudonym(self.sc.pseudonym_key, "resident_id", person.resident_id))


def portal_settings(
    sc: Scenario, work: Path, people_file: Path | None, **overrides: Any
) -> PortalSettings:
    """The portal's settings for this scenario (authority: committee member 0).

    Development (the demo list signs people in) with the scenario's explicit keys; pass
    ``environment="test"`` and no people file for a portal that behaves as in production.
    """
    authority = sc.net.committee[0]
    values: dict[str, Any] = {
        "environment": "development",
        "port": free_port(),
        "database_url": f"sqlite:///{work / 'portal.db'}",
        "rpc_url": sc.rpc_url,
        "manifest_path": sc.manifest_path,
        "authority_code": authority.code,
        "authority_sm2_key_pem": authority.sm2.to_pem().decode(),
        "authority_chain_key": authority.account.key.hex(),
        "pseudonym_key": sc.pseudonym_key.hex(),
        "demo_people_file": people_file,
        "gateway_timeout_s": 5.0,
    }
    values.update(overrides)
    return PortalSettings(**values)


def build_world(rpc_url: str, funder_key: str, work: Path) -> World:
    """Deploy, start the gateway, point the catalogue at it, start the portal."""
    sc = build_scenario(rpc_url, funder_key, work, people=80)
    gateway = GatewayProcess(
        gateway_settings(
            sc,
            database_url=f"sqlite:///{work / 'gateway.db'}",
            port=free_port(),
            batch_size=4,
            batch_max_age_s=30.0,
        ),
        log_file=work / "gateway.log",
    )
    gateway.start()
    for code in RESOURCES:
        sc.net.send(sc.provider, sc.net.catalogue.functions.setEndpoint(code32(code), gateway.url))
    people = [Person(f"p{i + 1}", NAMES[i], rid) for i, rid in enumerate(sc.subjects[: len(NAMES)])]
    people_file = work / "people.json"
    people_file.write_text(json.dumps([p.__dict__ for p in people], ensure_ascii=False))
    settings = portal_settings(sc, work, people_file)
    portal = PortalProcess(settings, log_file=work / "portal.log")
    try:
        portal.start()
    except Exception:
        gateway.stop()
        raise
    return World(sc, gateway, portal, settings, people, work)


# ----------------------------------------------------------------------------- grants


def grant_document(
    world: World,
    person: Person | bytes,
    owner_key: str,
    *,
    scope: dict[str, tuple[str, ...]] | None = None,
    purpose: int = 1,
    mode: GrantMode = GrantMode.RAW,
    max_uses: int = 20,
    valid_for: int = 3600,
) -> GrantDocument:
    """A grant document for ``person`` (or the owner of this pseudonym, e.g. an enterprise),
    whose attested key is ``owner_key``, valid from now."""
    now = chain_now(world.sc)
    today = datetime.now(UTC).date()
    scope = scope or {VR: VR_FIELDS}
    return GrantDocument(
        grant_id="0x" + secrets.token_hex(32),
        owner_pseudonym="0x" + (
            person if isinstance(person, bytes) else world.pseudonym_of(person)
        ).hex(), owner_key=owner_key,
        consumer=world.sc.consumer.code, purpose=purpose,
        scope=tuple(ScopeItem(resource=r, fields=tuple(sorted(f))) for r, f in sorted(scope.items())),  # noqa: E501
        mode=mode, data_from=(today - timedelta(days=3650)).isoformat(), data_to=today.isoformat(),
        not_before=now - 60, not_after=now + valid_for, max_uses=max_uses, requested_at=now,
    )  # fmt: skip


def request_pending(
    world: World, person: Person | bytes, owner_key: str, **kw: Any
) -> GrantDocument:
    """The consumer requests a grant from ``person``: PENDING on chain."""
    doc = grant_document(world, person, owner_key, **kw)
    request_grant(world.sc, doc)
    return doc


def status_of(world: World, doc: GrantDocument) -> GrantStatus:
    return world.sc.net.contracts.grant_status(bytes.fromhex(doc.grant_id[2:]))


# ---------------------------------------------------------------------------- gateway


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    """Poll ``predicate`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.05)


def gateway_synced(world: World) -> None:
    """Wait until the gateway's chain view has caught up with the head."""
    head = world.sc.net.w3.eth.block_number
    wait_until(lambda: (world.gateway.health() or {}).get("view_block", -1) >= head, 15,
               f"gateway view at block {head}")  # fmt: skip


def anchored_accesses(world: World, doc: GrantDocument) -> int:
    """Accesses under ``doc`` whose receipts all get anchored (how many: at least 2).

    The gateway anchors a batch at 4 receipts, or a partial one after 30 s; waiting first
    for no receipt to be pending means the accesses start a batch of their own.
    """

    def unanchored() -> int:
        return int((world.gateway.health() or {}).get("unanchored", -1))

    wait_until(lambda: unanchored() == 0, 45, "the gateway's open batch anchored")
    for _ in range(4):
        assert consumer_query(world, doc).status_code == 200
    wait_until(lambda: unanchored() == 0, 30, "the accesses anchored")
    return 4


def consumer_query(world: World, doc: GrantDocument) -> httpx.Response:
    """The consumer's signed query for the grant's vehicle registration."""
    signed = signed_request(world.sc.consumer, doc, VR, VR_FIELDS)
    return httpx.post(world.gateway.url + "/v1/query", content=signed.model_dump_json(), timeout=15)
