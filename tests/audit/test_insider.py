"""Insiders with real keys and real chain accounts cheat; the chain refuses what it can check,
the audit names each cheat it cannot.

The contracts verify SM2 and SM3 themselves, so the lies members could once put on chain are
refused at the source: a consumer emitting a grant document other than the one whose digest it
declares, a relaying member recording an approval signed by the wrong key, an identity authority
recording an attestation it did not sign. What remains is off chain, and the audit finds it: two
providers (their gateways replaced by their own tooling, with their own keys and accounts)
answer: one serves its resource beyond the grant's max_uses (a budget per resource: the other's
uses of its own resource are within theirs), and after the owner revoked. Everything here is on
the session's node; the audit reads it back.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from quancheng import merkle
from quancheng.chain import ContractSet, Role, code32
from quancheng.chain.errors import RevertError
from quancheng.chain.writes import anchor_batch
from quancheng.crypto import SM2PrivateKey
from quancheng.protocol import (
    AnchorDocument,
    GrantAction,
    GrantActionDocument,
    GrantDocument,
    Purpose,
    Receipt,
    ScopeItem,
    SignedReceipt,
)
from quancheng.protocol.documents import b64
from quancheng_audit import AuditConfig, AuditReport, ReceiptLog, audit, collect
from tests.audit.tamper import Key, keys, on_receipt
from tests.audit.trail import FUNDER_INDEX
from tests.utils.chain_factories import (
    Member,
    Owner,
    TestNetwork,
    admit,
    attest_owner,
    attestation_document,
    deploy_test_network,
    protocol_grant_document,
    register_resource,
    request_protocol_grant,
    sm2_key,
    unique_code,
)

FIELDS = ("plate", "status")
TOLERANCE_S = 30.0  # the test node's block times lag under load


@dataclass
class Insiders:
    """The cheating trail and the names the tests look for."""

    net: TestNetwork
    report: AuditReport
    #: The cheats the chain refused: name → revert error name.
    refused: dict[str, str] = field(default_factory=dict)
    grants: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    logs: dict[str, ReceiptLog] = field(default_factory=dict)


def _now(net: TestNetwork) -> int:
    return net.now()


def _document(
    net: TestNetwork, consumer: Member, owner: Owner, resources: list[str], max_uses: int
) -> GrantDocument:
    return protocol_grant_document(
        net, consumer, owner, resources, fields=FIELDS, max_uses=max_uses
    )


def _request(net: TestNetwork, consumer: Member, doc: GrantDocument, emitted: bytes) -> None:
    """Request ``doc``'s terms and digest, emitting (and signing) ``emitted``."""
    request_protocol_grant(net, consumer, doc, emitted)


def _approve(net: TestNetwork, doc: GrantDocument, emitted: bytes, signer: SM2PrivateKey) -> None:
    fn = net.grants.functions.approve(
        bytes.fromhex(doc.grant_id[2:]), emitted, signer.sign(emitted)
    )
    net.send(net.committee[0], fn)


def _revoke(net: TestNetwork, doc: GrantDocument, owner: Owner) -> int:
    grant_id = bytes.fromhex(doc.grant_id[2:])
    action = GrantActionDocument(
        action=GrantAction.REVOKE,
        grant_id=doc.grant_id,
        document_digest=doc.digest_hex(),
        seq=net.contracts.decision_seq(grant_id),
        at=_now(net),
    )
    fn = net.grants.functions.revoke(
        grant_id, action.seq, action.at, owner.sm2.sign(action.canonical())
    )
    receipt = net.send(net.committee[0], fn)
    return int(net.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


def _forged_owner(net: TestNetwork) -> Owner:
    """An owner whose attestation the identity authority never signed."""
    owner = Owner(secrets.token_bytes(32), sm2_key())
    attester = net.committee[0]
    doc = attestation_document(owner.pseudonym, owner.sm2_public_key, attester, _now(net))
    fn = net.owners.functions.attest(
        owner.pseudonym, owner.sm2_public_key, doc, sm2_key().sign(doc)
    )
    net.send(attester, fn)
    return owner


class RogueGateway:
    """A provider answering with its own tooling: signs receipts, anchors batches itself."""

    def __init__(self, net: TestNetwork, provider: Member) -> None:
        self.net, self.provider = net, provider
        self.entries: list[dict[str, Any]] = []
        self.seq, self.prev_root = 0, "0x" + "00" * 32

    def serve(self, doc: GrantDocument, resource: str, served_at_ms: int) -> dict[str, Any]:
        r = Receipt(
            receipt_id=str(uuid.uuid4()),
            grant_id=doc.grant_id,
            consumer=doc.consumer,
            provider=self.provider.code,
            resource=resource,
            purpose=Purpose.MOTOR_CLAIM,
            tier="SCENARIO",
            mode="RAW",
            request_hash="0x" + secrets.token_hex(32),
            response_hash="0x" + secrets.token_hex(32),
            view_block=int(self.net.w3.eth.block_number),  # its view is the chain's head
            served_at_ms=served_at_ms,
        )
        signed = SignedReceipt(
            log_index=len(self.entries),
            receipt=r,
            signature=b64(self.provider.sm2.sign(r.canonical())),
        )
        entry: dict[str, Any] = signed.model_dump(mode="json")
        self.entries.append(entry)
        return entry

    def anchor(self, first: int, size: int) -> None:
        leaves = [
            merkle.leaf_hash(SignedReceipt.model_validate(e).canonical())
            for e in self.entries[first : first + size]
        ]
        root = "0x" + merkle.root(leaves).hex()
        doc = AnchorDocument(
            provider=self.provider.code,
            seq=self.seq,
            root=root,
            size=size,
            first_index=first,
            prev_root=self.prev_root,
        )
        anchor_batch(
            self.net.contracts,
            self.provider.account,
            provider_id=self.provider.id,
            seq=self.seq,
            root=bytes.fromhex(root[2:]),
            size=size,
            prev_root=bytes.fromhex(self.prev_root[2:]),
            signature=self.provider.sm2.sign(doc.canonical()),
        )
        self.seq, self.prev_root = self.seq + 1, root

    def record_uses(self, doc: GrantDocument, resource: str, count: int) -> None:
        fn = self.net.grants.functions.recordUses(
            bytes.fromhex(doc.grant_id[2:]), code32(resource), count
        )
        self.net.send(self.provider, fn)

    def log(self) -> ReceiptLog:
        return ReceiptLog(
            provider=self.provider.code,
            source="exported file",
            exported_at_ms=int(time.time() * 1000),
            total=len(self.entries),
            entries=list(self.entries),
        )


@pytest.fixture(scope="module")
def insiders(chain_node: Any) -> Insiders:
    net = deploy_test_network(
        chain_node.rpc_url,
        chain_node.dev_private_keys[FUNDER_INDEX],
        committee_size=2,
        threshold=1,
    )
    a, b = admit(net, Role.PROVIDER), admit(net, Role.PROVIDER)
    consumer = admit(net, Role.CONSUMER)
    res_a, res_b = unique_code("res"), unique_code("res")
    register_resource(net, a, code=res_a, fields=("owner_name", *FIELDS), purposes=(1,))
    register_resource(net, b, code=res_b, fields=FIELDS, purposes=(1,))
    owner = attest_owner(net)
    found = Insiders(net, report=None)  # type: ignore[arg-type]
    docs: dict[str, GrantDocument] = {}

    docs["max"] = _document(net, consumer, owner, [res_a, res_b], max_uses=3)
    docs["revoked"] = _document(net, consumer, owner, [res_a], max_uses=10)
    for name in ("max", "revoked"):
        _request(net, consumer, docs[name], docs[name].canonical())
        _approve(net, docs[name], docs[name].canonical(), owner.sm2)

    # The cheats the chain now refuses outright (each attempted, each reverted).
    found.refused["forged_owner"] = _refused(lambda: _forged_owner(net))
    docs["wrong_key"] = _document(net, consumer, owner, [res_a], max_uses=10)
    _request(net, consumer, docs["wrong_key"], docs["wrong_key"].canonical())
    found.refused["wrong_key"] = _refused(
        lambda: _approve(
            net, docs["wrong_key"], docs["wrong_key"].canonical(), SM2PrivateKey.generate()
        )
    )
    # The consumer declares the digest of a one-field grant but emits a document granting every
    # field.
    digest = _document(net, consumer, owner, [res_a], max_uses=10)
    wider = digest.model_copy(
        update={"scope": (ScopeItem(resource=res_a, fields=("owner_name", *FIELDS)),)}
    )
    found.refused["digest"] = _refused(lambda: _request(net, consumer, digest, wider.canonical()))
    revoked_at = _revoke(net, docs["revoked"], owner)

    gw_a, gw_b = RogueGateway(net, a), RogueGateway(net, b)
    t0 = int(time.time() * 1000)
    for dt in (0, 10, 20):
        gw_a.serve(docs["max"], res_a, t0 + dt)
    gw_b.serve(docs["max"], res_b, t0 + 15)  # res_b's uses are counted apart: within budget
    gw_b.serve(docs["max"], res_b, t0 + 25)
    gw_a.serve(docs["max"], res_a, t0 + 30)  # the 4th use of res_a under a 3-use grant
    gw_a.anchor(0, 4)
    gw_b.anchor(0, 2)
    found.refused["uses"] = _refused(lambda: gw_a.record_uses(docs["max"], res_a, 4))
    gw_a.record_uses(docs["max"], res_a, 3)  # the chain's counter of res_a refuses a 4th
    gw_b.record_uses(docs["max"], res_b, 2)
    late = (revoked_at + 1) * 1000 + int(TOLERANCE_S * 1000) + 500
    gw_a.serve(docs["revoked"], res_a, late)  # after the revocation, not anchored yet

    contracts = ContractSet(net.w3, net.manifest)
    chain, logs = collect(contracts, gateways=[], logs=[gw_a.log(), gw_b.log()])
    config = AuditConfig(clock_tolerance_s=TOLERANCE_S, now_ms=late + 60_000)
    found.report = audit(chain, logs, config)
    found.grants = {k: d.grant_id for k, d in docs.items()}
    found.logs.update(a=logs[0], b=logs[1])
    return found


def _refused(attempt: Callable[[], object]) -> str:
    """The name of the contract error that refused ``attempt``."""
    try:
        attempt()
    except RevertError as exc:
        return exc.error_name
    raise AssertionError("the chain accepted an insider's cheat")


def _expected(ins: Insiders) -> set[Key]:
    a = ins.logs["a"]
    return {
        on_receipt("RECEIPT_GRANT_NOT_ACTIVE", a, a.entries[4]),
        # its view had applied the revocation: a breach by block, whatever the clocks say
        on_receipt("RECEIPT_GRANT_NOT_ACTIVE_AT_VIEW", a, a.entries[4]),
        on_receipt("RECEIPT_BEYOND_MAX_USES", a, a.entries[3]),
        (
            "USES_NOT_RECORDED",
            f"grant {ins.grants['max']}",
        ),  # a's 4th use of res_a: the chain's counter stopped at 3
    }


def test_the_audit_finds_exactly_the_insiders_cheats(insiders: Insiders) -> None:
    assert not insiders.report.passed
    assert keys(insiders.report) == _expected(insiders)


def test_the_chain_refuses_the_cheats_it_can_check(insiders: Insiders) -> None:
    assert insiders.refused == {
        "forged_owner": "OwnerRegistryInvalidAttestation",
        "wrong_key": "GrantRegistryInvalidOwnerSignature",
        "digest": "GrantRegistryDocumentDigestMismatch",
        "uses": "GrantRegistryUsesExceeded",
    }
    assert "wrong_key" not in insiders.grants or (
        insiders.net.contracts.grant_status(bytes.fromhex(insiders.grants["wrong_key"][2:])).name
        == "PENDING"
    )


def test_receipt_served_after_the_revocation(insiders: Insiders) -> None:
    (f,) = [f for f in insiders.report.findings if f.code == "RECEIPT_GRANT_NOT_ACTIVE"]
    assert (f.found, f.subject.log_index, f.subject.grant_id) == (
        "REVOKED",
        4,
        insiders.grants["revoked"],
    )
    assert [p["log_index"] for p in insiders.report.pending] == [4]


def test_receipts_beyond_a_resources_max_uses(insiders: Insiders) -> None:
    # max_uses is a budget per resource: a's 4th use of its resource is the one beyond it;
    # b's two uses of its own resource are within theirs.
    (f,) = [f for f in insiders.report.findings if f.code == "RECEIPT_BEYOND_MAX_USES"]
    assert (f.subject.provider, f.subject.log_index, f.found, f.expected) == (
        insiders.logs["a"].provider,
        3,
        4,
        "<= 3 uses",
    )
    (u,) = [f for f in insiders.report.findings if f.code == "USES_NOT_RECORDED"]
    assert (u.subject.provider, u.expected, u.found) == (insiders.logs["a"].provider, 4, 3)
