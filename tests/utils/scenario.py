"""A provider, a consumer, owners and grants on a real node, shaped as the protocol wants.

``chain_factories`` builds contract-level fixtures with ad-hoc documents; gateways verify
the protocol's own documents (``GrantDocument``, ``GrantActionDocument``) and map owners by
their keyed pseudonym, so this module builds exactly those::

    sc = build_scenario(chain_node.rpc_url, chain_node.dev_private_keys[12], tmp_path)
    doc = active_grant(sc, sc.subjects[0], {"vehicle.registration": ("plate_no", "status")})
    req = signed_request(sc.consumer, doc, "vehicle.registration", ("plate_no",))
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select
from web3.types import TxReceipt

from quancheng.chain.types import Role, code32, purposes_mask
from quancheng.crypto import SM2PrivateKey, canonical_json, pseudonym, sm3
from quancheng.protocol import (
    GrantAction,
    GrantActionDocument,
    GrantDocument,
    GrantMode,
    QueryRequest,
    ScopeItem,
    SignedRequest,
)
from quancheng.protocol.documents import b64
from quancheng_datagen import populate
from quancheng_datagen.schema import driving_licence, vehicle_registration
from quancheng_gateway.core.config import GatewaySettings
from tests.utils.chain_factories import (
    Member,
    Owner,
    TestNetwork,
    admit,
    attestation_document,
    deploy_test_network,
)

#: The operator token of test gateways (/metrics, /healthz details; ManagedServer.health).
TEST_METRICS_TOKEN = "test-operator-token-0123456789abcdef"

#: Resources of the test department and the purposes the catalogue allows for them.
RESOURCES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "vehicle.registration": (
        ("brand", "energy_type", "model", "owner_name", "plate_no", "registration_date", "status"),
        (1, 4, 5, 6),  # SME credit too: the vehicles of a business owner
    ),
    "driving.licence": (("licence_class", "points", "status", "valid_until"), (1, 4)),
}


@dataclass
class Scenario:
    """One deployment with the test department's provider, a consumer and data."""

    net: TestNetwork
    provider: Member
    consumer: Member
    pseudonym_key: bytes
    data_url: str
    manifest_path: Path
    #: Resident ids that have both a vehicle and a driving licence.
    subjects: list[str]
    #: An ACTIVE auditor: gateways answer their receipt logs to it (tests.utils.readers).
    auditor: Member
    owners: dict[str, Owner] = field(default_factory=dict)

    @property
    def rpc_url(self) -> str:
        return str(self.net.w3.provider.endpoint_uri)  # type: ignore[attr-defined]


def build_scenario(
    rpc_url: str,
    funder_key: str,
    workdir: Path,
    *,
    people: int = 120,
    provider_code: str = "jinan.vmo",
    sensitivity: int = 3,
) -> Scenario:
    """Deploy, admit the provider and a consumer, register resources, load the data.

    The resources are registered at ``sensitivity`` (from 3 up, answers are sealed).
    """
    net = deploy_test_network(rpc_url, funder_key, committee_size=2, threshold=1)
    provider = admit(net, Role.PROVIDER, code=provider_code, name="车管所（测试）")
    consumer = admit(net, Role.CONSUMER, code=f"bank.{secrets.token_hex(3)}", name="测试银行")
    auditor = admit(net, Role.AUDITOR, code=f"audit.{secrets.token_hex(3)}", name="测试审计局")
    for code, (fields, purposes) in RESOURCES.items():
        net.send(
            net.committee[0],
            net.catalogue.functions.register(
                code32(code),
                provider.id,
                [code32(f) for f in fields],
                sm3(canonical_json({"fields": list(fields)})),
                sensitivity,
                purposes_mask(*purposes),
                "http://127.0.0.1/gateway",
            ),
        )
    workdir.mkdir(parents=True, exist_ok=True)
    data_url = f"sqlite:///{workdir / 'vehicle-data.db'}"
    engine = create_engine(data_url)
    populate(engine, "vehicle", seed=7, people=people, businesses=0)
    with engine.connect() as conn:
        licensed = {r[0] for r in conn.execute(select(driving_licence.c.id_number))}
        owners = [r[0] for r in conn.execute(select(vehicle_registration.c.id_number).distinct())]
    engine.dispose()
    manifest_path = workdir / "manifest.json"
    net.manifest.save(manifest_path)
    return Scenario(
        net,
        provider,
        consumer,
        secrets.token_bytes(32),
        data_url,
        manifest_path,
        sorted(i for i in owners if i in licensed),
        auditor,
    )


def gateway_settings(
    sc: Scenario, *, database_url: str, port: int = 0, **overrides: Any
) -> GatewaySettings:
    """Settings of the test department's gateway for this scenario."""
    values: dict[str, Any] = {
        "environment": "test",
        "department": "tests.gateway.department:vehicle",
        "port": port or 8600,
        "database_url": database_url,
        "data_url": sc.data_url,
        "rpc_url": sc.rpc_url,
        "manifest_path": sc.manifest_path,
        "sm2_key_pem": sc.provider.sm2.to_pem().decode(),
        "chain_private_key": sc.provider.account.key.hex(),
        "pseudonym_key": sc.pseudonym_key.hex(),
        "log_queries": False,
        "metrics_token": TEST_METRICS_TOKEN,
    }
    values.update(overrides)
    if "batch_size" in overrides:  # a test that sets the batch size wants batches of that size
        values.setdefault("batch_max_receipts", overrides["batch_size"])
    return GatewaySettings(**values)


# --------------------------------------------------------------------------------- owners


def owner_for(sc: Scenario, id_number: str) -> Owner:
    """The attested owner behind a resident id (attested on first use)."""
    if id_number not in sc.owners:
        owner = Owner(
            pseudonym(sc.pseudonym_key, "resident_id", id_number), SM2PrivateKey.generate()
        )
        attester = sc.net.committee[0]
        statement = attestation_document(
            owner.pseudonym, owner.sm2_public_key, attester, chain_now(sc)
        )
        sc.net.send(
            attester,
            sc.net.owners.functions.attest(
                owner.pseudonym, owner.sm2_public_key, statement, attester.sm2.sign(statement)
            ),
        )
        sc.owners[id_number] = owner
    return sc.owners[id_number]


def chain_now(sc: Scenario) -> int:
    return int(sc.net.w3.eth.get_block("latest")["timestamp"])


# --------------------------------------------------------------------------------- grants


def grant_document(
    sc: Scenario,
    owner: Owner,
    scope: dict[str, tuple[str, ...]],
    *,
    consumer: Member | None = None,
    purpose: int = 1,
    mode: GrantMode = GrantMode.RAW,
    max_uses: int = 10,
    not_before: int | None = None,
    not_after: int | None = None,
) -> GrantDocument:
    """A grant document valid from a minute ago for an hour, by the chain's clock and the
    gateways' alike (tests that move the chain's time leave the two apart)."""
    chain, wall = chain_now(sc), int(time.time())
    today = datetime.now(UTC).date()
    return GrantDocument(
        grant_id="0x" + secrets.token_hex(32),
        owner_pseudonym="0x" + owner.pseudonym.hex(),
        owner_key="0x" + owner.sm2_public_key.hex(),
        consumer=(consumer or sc.consumer).code,
        purpose=purpose,
        scope=tuple(
            ScopeItem(resource=r, fields=tuple(sorted(f))) for r, f in sorted(scope.items())
        ),
        mode=mode,
        data_from=(today - timedelta(days=3650)).isoformat(),
        data_to=today.isoformat(),
        not_before=min(chain, wall) - 60 if not_before is None else not_before,
        not_after=max(chain, wall) + 3600 if not_after is None else not_after,
        max_uses=max_uses,
        requested_at=chain,
    )


def request_grant(sc: Scenario, doc: GrantDocument, consumer: Member | None = None) -> TxReceipt:
    """The consumer's on-chain request with the canonical document and its signature."""
    consumer = consumer or sc.consumer
    data_from, data_to = doc.data_period_seconds()
    terms = (
        bytes.fromhex(doc.grant_id[2:]),
        bytes.fromhex(doc.owner_pseudonym[2:]),
        [code32(item.resource) for item in doc.scope],
        int(doc.purpose),
        data_from,
        data_to,
        doc.not_before,
        doc.not_after,
        doc.max_uses,
        0 if doc.mode is GrantMode.RAW else 1,
        sm3(doc.canonical()),
    )
    return sc.net.send(
        consumer,
        sc.net.grants.functions.request(terms, doc.canonical(), consumer.sm2.sign(doc.canonical())),
    )


def approve(
    sc: Scenario, doc: GrantDocument, owner: Owner, *, signature: bytes | None = None
) -> TxReceipt:
    sig = signature if signature is not None else owner.sm2.sign(doc.canonical())
    return sc.net.send(
        sc.net.committee[0],
        sc.net.grants.functions.approve(bytes.fromhex(doc.grant_id[2:]), doc.canonical(), sig),
    )


def act(sc: Scenario, doc: GrantDocument, owner: Owner, action: GrantAction) -> TxReceipt:
    """Relay the owner's signed pause/resume/revoke/reject."""
    grant_id = bytes.fromhex(doc.grant_id[2:])
    seq = sc.net.contracts.decision_seq(grant_id)
    action_doc = GrantActionDocument(
        action=action,
        grant_id=doc.grant_id,
        document_digest=doc.digest_hex(),
        seq=seq,
        at=chain_now(sc),
    )
    fn = getattr(sc.net.grants.functions, action.value)
    return sc.net.send(
        sc.net.committee[0],
        fn(grant_id, seq, action_doc.at, owner.sm2.sign(action_doc.canonical())),
    )


def active_grant(
    sc: Scenario, id_number: str, scope: dict[str, tuple[str, ...]], **kw: Any
) -> GrantDocument:
    """Request and approve a grant of ``id_number``'s data for the scenario's consumer."""
    owner = owner_for(sc, id_number)
    doc = grant_document(sc, owner, scope, **kw)
    request_grant(sc, doc, kw.get("consumer"))
    approve(sc, doc, owner)
    return doc


# -------------------------------------------------------------------------------- queries


def signed_request(
    consumer: Member,
    doc: GrantDocument | str,
    resource: str,
    fields: tuple[str, ...],
    *,
    purpose: int | None = None,
    request_id: str | None = None,
    issued_at_ms: int | None = None,
    params: dict[str, str | int] | None = None,
    consumer_code: str | None = None,
    channel: str | None = None,
    seal: bool = False,
) -> SignedRequest:
    """A consumer's signed query under a grant (bound to ``channel``, if given)."""
    grant_id = doc if isinstance(doc, str) else doc.grant_id
    req = QueryRequest(
        request_id=request_id or str(uuid.uuid4()),
        grant_id=grant_id,
        consumer=consumer_code or consumer.code,
        resource=resource,
        fields=fields,
        purpose=purpose if purpose is not None else (1 if isinstance(doc, str) else doc.purpose),
        params=params or {},
        issued_at_ms=issued_at_ms or time.time_ns() // 1_000_000,
        channel=channel,
        seal=seal,
    )
    return SignedRequest(request=req, signature=b64(consumer.sm2.sign(req.canonical())))
