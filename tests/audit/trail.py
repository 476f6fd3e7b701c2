"""A real trail to audit: a real node, a real gateway, real queries, exported as evidence.

:func:`build_honest_trail` runs the test department's gateway (in process, over its HTTP
API) on a fresh deployment and makes it serve queries under four grants: plain uses, a grant
used up to its max_uses, a grant paused, resumed and revoked (refusals in between), and, in
the middle, a committee vote that rotates the provider's SM2 key while its gateway restarts
with the new key. Every receipt is anchored and its uses recorded before the evidence (chain
events and the gateway's receipt log) is collected and saved. Nothing in it breaks a rule.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from quancheng.chain import ContractSet
from quancheng.crypto import SM2PrivateKey
from quancheng.http_bounds import AllowedEndpoints
from quancheng.protocol import GrantAction, GrantDocument
from quancheng_audit import AuditConfig, ChainEvidence, ReceiptLog, collect, save_evidence
from quancheng_audit.bundle import export_bundle
from quancheng_gateway.core.clock import ManualClock
from quancheng_gateway.main import create_app
from quancheng_gateway.models import Batch, BatchStatus
from quancheng_gateway.service import Gateway
from tests.utils.chain_factories import pass_proposal
from tests.utils.readers import reader_of
from tests.utils.scenario import (
    Scenario,
    act,
    active_grant,
    build_scenario,
    chain_now,
    gateway_settings,
    signed_request,
)

VR, DL = "vehicle.registration", "driving.licence"
#: Dev account the audit tests fund their fresh accounts from.
FUNDER_INDEX = 14
ZERO_ADDRESS = "0x" + "00" * 20


@dataclass
class Trail:
    """The scenario, its gateway's evidence and what the tests refer to."""

    sc: Scenario
    evidence_dir: Path
    chain: ChainEvidence
    logs: list[ReceiptLog]
    config: AuditConfig
    grants: dict[str, GrantDocument] = field(default_factory=dict)
    old_key: SM2PrivateKey | None = None
    offset: int = 0
    bundles: dict[str, Path] = field(default_factory=dict)

    @property
    def provider(self) -> str:
        return self.sc.provider.code

    def log(self) -> ReceiptLog:
        (log,) = self.logs
        return log


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    """Poll ``predicate`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.02)


@contextmanager
def running_gateway(sc: Scenario, db: Path, key: SM2PrivateKey) -> Iterator[TestClient]:
    """The test department's gateway over ``db``, signing with ``key``, in this process."""
    settings = gateway_settings(
        sc,
        database_url=f"sqlite:///{db}",
        sm2_key_pem=key.to_pem().decode(),
        batch_size=4,
        batch_max_age_s=0.2,
        anchor_interval_s=0.05,
    )
    app = create_app(settings, clock=ManualClock(), configure_logs=False)
    with TestClient(app) as client:
        yield client


def _gateway(client: TestClient) -> Gateway:
    gateway: Gateway = client.app.state.gateway  # type: ignore[attr-defined]
    return gateway


def _sync(client: TestClient) -> None:
    gateway = _gateway(client)
    head = int(gateway.contracts.w3.eth.block_number)
    assert gateway.follower.wait_for_block(head, 10.0)


def _query(client: TestClient, sc: Scenario, doc: GrantDocument, resource: str, fields: Any) -> int:
    signed = signed_request(sc.consumer, doc, resource, tuple(fields))
    status: int = client.post("/v1/query", content=signed.model_dump_json()).status_code
    return status


def _settle(client: TestClient) -> None:
    """Every receipt anchored and every batch's uses recorded."""
    gateway = _gateway(client)

    def done() -> bool:
        if gateway.anchorer.backlog():
            return False
        with gateway.engine.connect() as conn:
            statuses = [row[0] for row in conn.execute(select(Batch.status))]  # type: ignore[call-overload]
        return all(s == BatchStatus.DONE for s in statuses)

    wait_until(done, 30.0, f"receipts anchored and uses recorded ({gateway.health()})")


def chain_offset(sc: Scenario) -> int:
    """How far block times run ahead of this machine's clock (other tests move chain time)."""
    sc.net.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return max(0, chain_now(sc) - int(time.time()))


def _rotate_key(sc: Scenario) -> SM2PrivateKey:
    """A committee vote gives the provider a new SM2 key."""
    new = SM2PrivateKey.generate()
    fn = sc.net.registry.functions.proposeKeyRotation(
        sc.provider.id, new.public_key().to_bytes(), ZERO_ADDRESS
    )
    pass_proposal(sc.net, fn)
    return new


def build_honest_trail(rpc_url: str, funder_key: str, workdir: Path) -> Trail:
    """Build, serve, settle and export the trail described in the module docstring."""
    sc = build_scenario(rpc_url, funder_key, workdir / "scenario", people=60)
    db = workdir / "gateway.db"
    offset = chain_offset(sc)
    # Block times of the test node lag the wall clock by seconds when the machine is busy.
    config = AuditConfig(clock_tolerance_s=30.0 + offset)
    docs: dict[str, GrantDocument] = {}
    old_key = sc.provider.sm2
    with running_gateway(sc, db, old_key) as gw:
        docs["plain"] = active_grant(
            sc, sc.subjects[0], {VR: ("plate_no", "status"), DL: ("status",)}, max_uses=10
        )
        docs["limited"] = active_grant(sc, sc.subjects[1], {VR: ("plate_no",)}, max_uses=3)
        docs["revoked"] = active_grant(sc, sc.subjects[2], {VR: ("status",)}, max_uses=10)
        _sync(gw)
        for resource, fields in ((VR, ("plate_no",)), (VR, ("status",)), (DL, ("status",))):
            assert _query(gw, sc, docs["plain"], resource, fields) == 200
        for _ in range(3):
            assert _query(gw, sc, docs["limited"], VR, ("plate_no",)) == 200
        assert _query(gw, sc, docs["revoked"], VR, ("status",)) == 200
        _settle(gw)  # uses recorded while the grant is ACTIVE
        owner = sc.owners[sc.subjects[2]]
        act(sc, docs["revoked"], owner, GrantAction.PAUSE)
        _sync(gw)
        assert _query(gw, sc, docs["revoked"], VR, ("status",)) == 403
        act(sc, docs["revoked"], owner, GrantAction.RESUME)
        _sync(gw)
        assert _query(gw, sc, docs["revoked"], VR, ("status",)) == 200
        _settle(gw)
    new_key = _rotate_key(sc)
    sc.provider.sm2 = new_key
    with running_gateway(sc, db, new_key) as gw:
        _sync(gw)
        assert _query(gw, sc, docs["plain"], VR, ("plate_no", "status")) == 200
        assert _query(gw, sc, docs["revoked"], VR, ("status",)) == 200
        _settle(gw)
        act(sc, docs["revoked"], sc.owners[sc.subjects[2]], GrantAction.REVOKE)
        _sync(gw)
        assert _query(gw, sc, docs["revoked"], VR, ("status",)) == 403
        assert _query(gw, sc, docs["limited"], VR, ("plate_no",)) == 403  # exhausted
        _settle(gw)
        contracts = ContractSet(sc.net.w3, sc.net.manifest)
        auditor = reader_of(sc.auditor)  # gateways answer their logs to auditors only
        # The in-process gateway answers at the test client's address, not the catalogue's.
        here = AllowedEndpoints.of(["http://testserver"])
        chain, logs = collect(
            contracts, gateways=["http://testserver"], http=gw, reader=auditor, endpoints=here
        )
        bundles = {}
        for name, position in (("before_rotation", 0), ("after_rotation", 8)):
            rid = logs[0].entries[position]["receipt"]["receipt_id"]
            bundle = export_bundle(
                contracts, rid, gateway="http://testserver", http=gw, reader=auditor, endpoints=here
            )
            bundles[name] = workdir / f"bundle-{name}.json"
            bundles[name].write_text(bundle.model_dump_json(indent=1))
    evidence = workdir / "evidence"
    save_evidence(evidence, chain, logs)
    return Trail(sc, evidence, chain, logs, config, docs, old_key, offset, bundles)
