"""A trail in which a gateway cheats a consumer that keeps its evidence.

:func:`build_cheating_trail` runs the test department's real gateway (in process, over its
HTTP API, on the session's node) and a real :class:`~quancheng.client.ConsumerClient` that
keeps every receipt in an :class:`~quancheng.evidence.EvidenceStore`. The gateway's operator
then cheats through its own database, as an insider can:

* **equivocation** — it deletes its last receipt before it is anchored and gives the position
  to the next answer (log head and use counter moved back: the log stays gap-free and its
  anchors verify);
* **one request answered twice** — it forgets a request id and answers the same signed
  request again, under a second receipt id;
* **serving after the owner's attestation was revoked** — it ignores the revocation in its
  chain view and answers once the revocation is older than any clock tolerance.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Table, delete, select, update

from quancheng.chain import ContractSet
from quancheng.client import ConsumerClient
from quancheng.evidence import EvidenceStore
from quancheng.evidence_bundle import SignedEvidenceBundle
from quancheng.gateway_client import GatewayClient
from quancheng.http_bounds import AllowedEndpoints
from quancheng.protocol import Answer
from quancheng_audit import AuditConfig, ChainEvidence, ReceiptLog, collect
from quancheng_gateway.core.clock import ManualClock
from quancheng_gateway.main import create_app
from quancheng_gateway.models import GrantResourceServed, LogHead, OwnerView, ReceiptRow
from quancheng_gateway.service import Gateway
from tests.audit.trail import VR, _settle, _sync, chain_offset
from tests.utils.readers import reader_of
from tests.utils.scenario import (
    Scenario,
    active_grant,
    build_scenario,
    gateway_settings,
    owner_for,
    signed_request,
)
from tests.utils.sdk_factories import institution_of

RCPT: Table = ReceiptRow.__table__  # type: ignore[attr-defined]
HEAD: Table = LogHead.__table__  # type: ignore[attr-defined]
SERVED: Table = GrantResourceServed.__table__  # type: ignore[attr-defined]
OWNERS: Table = OwnerView.__table__  # type: ignore[attr-defined]


@dataclass
class CheatingTrail:
    """The evidence of both sides and the receipts the tests name."""

    sc: Scenario
    chain: ChainEvidence
    logs: list[ReceiptLog]
    bundle: SignedEvidenceBundle
    store_path: Path
    config: AuditConfig
    #: Receipt ids: "deleted", "reused", "twice_first", "twice_second", "after_revocation".
    receipts: dict[str, str] = field(default_factory=dict)


class _Route(httpx.BaseTransport):
    """The consumer's HTTP to the catalogue's endpoint, delivered to the in-process gateway."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/gateway")
        got = self.client.request(
            request.method,
            path,
            content=request.read(),
            headers={"content-type": "application/json"},
        )
        return httpx.Response(
            got.status_code, headers={"content-type": "application/json"}, content=got.content
        )


@contextmanager
def _gateway(sc: Scenario, db: Path, clock: ManualClock) -> Iterator[TestClient]:
    settings = gateway_settings(
        sc,
        database_url=f"sqlite:///{db}",
        batch_size=2,
        batch_max_age_s=3600.0,  # only full batches: the cheats happen before an anchor
        anchor_interval_s=0.05,
    )
    with TestClient(create_app(settings, clock=clock, configure_logs=False)) as client:
        yield client


def _state(client: TestClient) -> Gateway:
    gateway: Gateway = client.app.state.gateway  # type: ignore[attr-defined]
    return gateway


def _forget_last_receipt(gw: TestClient, log_index: int, grant_id: str) -> None:
    """The insider deletes an unanchored receipt and moves the head and the use count back."""
    with _state(gw).engine.begin() as conn:
        resource = conn.execute(
            select(RCPT.c.resource).where(RCPT.c.log_index == log_index)
        ).scalar_one()
        conn.execute(delete(RCPT).where(RCPT.c.log_index == log_index))
        conn.execute(update(HEAD).values(next_index=log_index))
        conn.execute(
            update(SERVED)
            .where(SERVED.c.grant_id == grant_id, SERVED.c.resource == resource)
            .values(served=SERVED.c.served - 1)
        )


def _forget_request_id(gw: TestClient, log_index: int) -> None:
    with _state(gw).engine.begin() as conn:
        conn.execute(
            update(RCPT).where(RCPT.c.log_index == log_index).values(request_id=str(uuid.uuid4()))
        )


def _ignore_revocation(gw: TestClient, pseudonym: str) -> None:
    with _state(gw).engine.begin() as conn:
        conn.execute(update(OWNERS).where(OWNERS.c.pseudonym == pseudonym).values(revoked=False))


def _receipt_id(body: bytes) -> str:
    return Answer.model_validate_json(body).receipt.receipt.receipt_id


def build_cheating_trail(rpc_url: str, funder_key: str, workdir: Path) -> CheatingTrail:
    """Serve, cheat three ways, settle, collect both sides; see the module docstring."""
    sc = build_scenario(rpc_url, funder_key, workdir / "scenario", people=40)
    tolerance = 30.0 + chain_offset(sc)
    clock, store_path = ManualClock(), workdir / "consumer" / "evidence.sqlite3"
    store = EvidenceStore(store_path)
    ids: dict[str, str] = {}
    with _gateway(sc, workdir / "gateway.db", clock) as gw:
        fields = ("plate_no", "status")
        g_a, g_b, g_c = (active_grant(sc, s, {VR: fields}) for s in sc.subjects[:3])
        _sync(gw)
        transport = GatewayClient(transport=_Route(gw))
        me = institution_of(sc.consumer)
        with ConsumerClient(
            me, sc.net.manifest, sc.rpc_url, gateway=transport, evidence=store
        ) as c:
            deleted = c.query(g_a.grant_id, VR, ["plate_no"])
            _forget_last_receipt(gw, deleted.receipt.log_index, g_a.grant_id)
            reused = c.query(g_a.grant_id, VR, ["status"])
            c.query(g_a.grant_id, VR, list(fields))
        ids.update(deleted=deleted.receipt_id, reused=reused.receipt_id)
        assert reused.receipt.log_index == deleted.receipt.log_index == 0

        twice = signed_request(sc.consumer, g_b, VR, ("plate_no",)).model_dump_json()
        first = gw.post("/v1/query", content=twice)
        _forget_request_id(gw, 2)
        second = gw.post("/v1/query", content=twice)
        assert (first.status_code, second.status_code) == (200, 200)
        ids.update(twice_first=_receipt_id(first.content), twice_second=_receipt_id(second.content))
        _settle(gw)

        owner = owner_for(sc, sc.subjects[2])
        sc.net.send(
            sc.net.committee[0],
            sc.net.owners.functions.revokeAttestation(owner.pseudonym, b"\x01" * 32),
        )
        _sync(gw)
        refused = gw.post(
            "/v1/query", content=signed_request(sc.consumer, g_c, VR, fields).model_dump_json()
        )
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "OWNER_NOT_ATTESTED")
        _ignore_revocation(gw, "0x" + owner.pseudonym.hex())
        clock.advance(tolerance + 5)
        late = signed_request(sc.consumer, g_c, VR, fields, issued_at_ms=clock.now_ms())
        answered = gw.post("/v1/query", content=late.model_dump_json())
        assert answered.status_code == 200
        ids["after_revocation"] = _receipt_id(answered.content)
        served_at = Answer.model_validate_json(answered.content).served_at_ms

        contracts = ContractSet(sc.net.w3, sc.net.manifest)
        chain, logs = collect(
            contracts,
            gateways=["http://testserver"],
            http=gw,
            reader=reader_of(sc.auditor),
            endpoints=AllowedEndpoints.of(["http://testserver"]),  # the test client's address
        )
    bundle = store.export(workdir / "consumer" / "evidence.json", me.code, key=me.sm2_key)
    store.close()
    # Its clock was put tolerance + 5 s ahead: its view lag counts that too.
    config = AuditConfig(
        clock_tolerance_s=tolerance, now_ms=served_at + 60_000, view_lag_bound_s=2 * tolerance + 5
    )
    return CheatingTrail(sc, chain, logs, bundle, store_path, config, ids)
