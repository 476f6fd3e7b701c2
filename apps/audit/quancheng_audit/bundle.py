"""Receipt bundles: one receipt with everything needed to verify it, offline, for years.

A bundle holds the signed receipt, its Merkle inclusion proof, the batch's anchor document
and signature, the provider's SM2 key with the registry record of when it was in force, the
grant document with the consumer's and the owner's signatures and keys, and the identity
authority's attestation of the owner key with the attester's key. :func:`verify_bundle`
checks all of it with no network; :func:`verify_bundle_on_chain` also checks the anchor, the
keys and the grant against the chain.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ValidationError

from quancheng import merkle
from quancheng.attestations import AttestationInvalid, verify_attestation
from quancheng.chain import ContractSet, code32, decode_code32
from quancheng.chain.types import InstitutionStatus
from quancheng.crypto import InvalidKey, SM2PublicKey, sm3
from quancheng.grants import MalformedGrantDocument, parse_grant_document
from quancheng.http_bounds import CatalogueEndpoints, EndpointPolicy
from quancheng.log_reader import LogReader
from quancheng.protocol import AnchorDocument, SignedReceipt, covers, signing_bytes, tier_of
from quancheng.protocol.documents import b64, unb64
from quancheng.tls import TlsConfig
from quancheng.verify import parse_receipt_proof
from quancheng_audit.collect_chain import collect_chain
from quancheng_audit.collect_gateway import catalogue_provider, fetch_receipt_proof
from quancheng_audit.errors import BundleError
from quancheng_audit.gateway_reads import ReadLimits
from quancheng_audit.history import ChainHistory, MemberState
from quancheng_audit.sigs import verify_one

__all__ = [
    "Check",
    "KeyRecord",
    "ReceiptBundle",
    "export_bundle",
    "load_bundle",
    "verify_bundle",
    "verify_bundle_on_chain",
]


class KeyRecord(BaseModel):
    """An institution's SM2 key and when the registry had it (from the registry's events)."""

    institution: str
    role: str
    sm2_public_key: str
    since_block: int
    since_time: int
    until_block: int | None = None
    until_time: int | None = None


class Inclusion(BaseModel):
    """Where the receipt sits: its batch, the batch's signature and the audit path."""

    batch: AnchorDocument
    anchor_signature: str
    leaf_index: int
    proof: list[str]
    anchor_tx: str | None = None
    anchor_block: int | None = None


class GrantEvidence(BaseModel):
    """The grant the receipt was served under, as requested and approved on chain."""

    document: str
    document_digest: str
    consumer_signature: str
    consumer: KeyRecord
    owner_signature: str
    request_block: int
    approval_block: int


class OwnerEvidence(BaseModel):
    """The owner's key and the identity authority's attestation of it."""

    pseudonym: str
    sm2_public_key: str
    key_version: int
    attestation_document: str
    attestation_signature: str
    attested_block: int
    attester: KeyRecord


class ReceiptBundle(BaseModel):
    """``quancheng.receipt-bundle/1``."""

    format: Literal["quancheng.receipt-bundle/1"] = "quancheng.receipt-bundle/1"
    exported_at_ms: int
    chain_id: int
    contracts: dict[str, str]
    receipt: SignedReceipt
    inclusion: Inclusion
    provider: KeyRecord
    grant: GrantEvidence
    owner: OwnerEvidence


@dataclass(frozen=True)
class Check:
    """One verification step and its outcome."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{self.name}: {self.detail}"


# ------------------------------------------------------------------------------- export


def _key_record(history: ChainHistory, state: MemberState) -> KeyRecord:
    states = history.members[state.code]
    later = [s for s in states if s.pos > state.pos and s.key != state.key]
    return KeyRecord(
        institution=state.code,
        role=state.role.name,
        sm2_public_key="0x" + state.key.hex(),
        since_block=next(s.pos[0] for s in states if s.key == state.key),
        since_time=next(s.since for s in states if s.key == state.key),
        until_block=later[0].pos[0] if later else None,
        until_time=later[0].since if later else None,
    )


def _signing_state(
    history: ChainHistory, signed: SignedReceipt, tolerance_ms: int = 5000
) -> MemberState | None:
    """The provider's registry state whose key signed the receipt, near its serve time
    (block times are coarse: a rotation may be stamped a little before or after)."""
    r = signed.receipt
    t0, t1 = r.served_at_ms - tolerance_ms, r.served_at_ms + tolerance_ms
    first = history.member_at_time(r.provider, t0)
    near = [s for s in history.members.get(r.provider, []) if t0 < s.since * 1000 <= t1]
    for state in [x for x in (first, *near) if x is not None]:
        if verify_one(state.key, signing_bytes(r), signed.signature):
            return state
    return history.member_at_time(r.provider, r.served_at_ms)


def export_bundle(
    contracts: ContractSet,
    receipt_id: str,
    *,
    gateway: str | None = None,
    resource: str | None = None,
    http: httpx.Client | None = None,
    reader: LogReader | None = None,
    limits: ReadLimits | None = None,
    endpoints: EndpointPolicy | None = None,
    tls: TlsConfig | None = None,
) -> ReceiptBundle:
    """Gather a receipt's bundle from its gateway and the chain.

    The gateway answers the proof to entitled readers only: ``reader`` signs the request
    (an auditor's, or the receipt's consumer's credentials) for the provider the catalogue
    lists at that gateway. The gateway must be one the catalogue lists (``endpoints``, by
    default :class:`~quancheng.http_bounds.CatalogueEndpoints`), and its answer is read
    within ``limits`` over ``tls`` (see :func:`~quancheng_audit.collect_gateway.fetch_receipt_log`).

    Raises:
        BundleError: The receipt is unknown or not anchored yet, or its grant is not on chain.
        SourceUnavailable: The gateway or the node could not be read.
        EndpointNotAllowed: The gateway is not in the catalogue (nothing was sent).
        ResponseTooLarge, ResponseTooSlow, RedirectRefused: The answer broke a bound.
    """
    provider: str | None = None
    if gateway is None:
        if resource is None:
            raise BundleError("name the gateway or the resource")
        record = contracts.resource(code32(resource))
        gateway, provider = record.endpoint, decode_code32(record.provider_id)
    allowed = endpoints if endpoints is not None else CatalogueEndpoints(contracts)
    if provider is None and allowed.allows(gateway):
        provider = catalogue_provider(contracts, gateway)
    body = fetch_receipt_proof(
        gateway, receipt_id, reader=reader, client=http, provider=provider, limits=limits,
        endpoints=allowed, tls=tls,
    )  # fmt: skip
    proof = parse_receipt_proof(body)
    chain = collect_chain(contracts)
    history = ChainHistory(chain)
    r = proof.receipt.receipt
    signer = _signing_state(history, proof.receipt)
    grant = history.grants.get(r.grant_id)
    if signer is None or grant is None or grant.approval is None:
        raise BundleError(f"receipt {receipt_id}: its provider or approved grant is not on chain")
    req, approval = grant.request, grant.approval
    consumer = history.member_at_pos(req.code("consumerId"), (req.block, req.log_index))
    att, _ = history.attestation_at(req.hex("ownerPseudonym"), (approval.block, approval.log_index))
    if consumer is None or att is None:
        raise BundleError(f"receipt {receipt_id}: the consumer or the owner's key is not on chain")
    attester = history.member_at_pos(att.attester, (att.event.block, att.event.log_index))
    if attester is None:
        raise BundleError(f"receipt {receipt_id}: the attester {att.attester} is not on chain")
    return ReceiptBundle(
        exported_at_ms=int(time.time() * 1000),
        chain_id=chain.chain_id,
        contracts={k: v.address for k, v in chain.contracts.items()},
        receipt=proof.receipt,
        inclusion=Inclusion(
            batch=proof.batch,
            anchor_signature=proof.anchor_signature,
            leaf_index=proof.leaf_index,
            proof=list(proof.proof),
            anchor_tx=proof.anchor_tx,
            anchor_block=proof.anchor_block,
        ),
        provider=_key_record(history, signer),
        grant=GrantEvidence(
            document=req.raw("document").decode("utf-8"),
            document_digest=req.hex("documentDigest"),
            consumer_signature=b64(req.raw("consumerSignature")),
            consumer=_key_record(history, consumer),
            owner_signature=b64(approval.raw("ownerSignature")),
            request_block=req.block,
            approval_block=approval.block,
        ),
        owner=OwnerEvidence(
            pseudonym=att.pseudonym,
            sm2_public_key="0x" + att.key.hex(),
            key_version=att.key_version,
            attestation_document=att.document.decode("utf-8"),
            attestation_signature=b64(att.signature),
            attested_block=att.event.block,
            attester=_key_record(history, attester),
        ),
    )


def load_bundle(path: Path) -> ReceiptBundle:
    """Read a bundle file.

    Raises:
        BundleError: Missing, unreadable or not a bundle.
    """
    try:
        return ReceiptBundle.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise BundleError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except ValidationError as exc:
        raise BundleError(f"{path}: not a receipt bundle ({exc.error_count()} errors)") from None


# ------------------------------------------------------------------------------- verify


def _key(hex_key: str) -> bytes:
    return bytes.fromhex(hex_key.removeprefix("0x"))


def _in_force(record: KeyRecord, t_ms: int, tolerance_ms: int) -> bool:
    start = record.since_time * 1000 - tolerance_ms
    end = None if record.until_time is None else (record.until_time + 1) * 1000 + tolerance_ms
    return start <= t_ms and (end is None or t_ms < end)


def verify_bundle(bundle: ReceiptBundle, *, tolerance_s: float = 5.0) -> list[Check]:
    """Every offline check of a bundle, in order; each one's outcome."""
    checks: list[Check] = []
    r, inc, tol = bundle.receipt.receipt, bundle.inclusion, int(tolerance_s * 1000)
    provider_key = _key(bundle.provider.sm2_public_key)

    def check(name: str, ok: bool, good: str, bad: str) -> None:
        checks.append(Check(name, ok, good if ok else bad))

    check(
        "provider key",
        bundle.provider.institution == r.provider
        and _in_force(bundle.provider, r.served_at_ms, tol),
        f"{r.provider}'s key in force at serve time",
        "the key record is not the receipt provider's key at serve time",
    )
    check(
        "receipt signature",
        verify_one(provider_key, signing_bytes(r), bundle.receipt.signature),
        f"signed by {r.provider}",
        f"does not verify with {r.provider}'s key",
    )
    batch = inc.batch
    leaf = merkle.leaf_hash(signing_bytes(bundle.receipt))
    try:
        path = [bytes.fromhex(h.removeprefix("0x")) for h in inc.proof]
        at = bundle.receipt.log_index
        included = at == batch.first_index + inc.leaf_index and merkle.verify_inclusion(
            leaf, inc.leaf_index, batch.size, path, bytes.fromhex(batch.root[2:])
        )
    except ValueError:
        included = False
    check(
        "inclusion",
        included,
        f"leaf {inc.leaf_index} of batch {batch.seq} reaches its root",
        "the audit path does not lead from the receipt to the batch root",
    )
    check(
        "anchor signature",
        batch.provider == r.provider
        and verify_one(provider_key, signing_bytes(batch), inc.anchor_signature),
        f"batch {batch.seq} signed by {r.provider}",
        "the anchor document is not signed by the receipt's provider",
    )
    _verify_grant(bundle, check)
    _verify_owner(bundle, check)
    return checks


def _verify_grant(bundle: ReceiptBundle, check: Any) -> None:
    g, r = bundle.grant, bundle.receipt.receipt
    raw = g.document.encode("utf-8")
    check(
        "grant digest",
        "0x" + sm3(raw).hex() == g.document_digest,
        "SM3 of the grant document is its digest",
        "the grant document does not hash to its digest",
    )
    try:
        doc = parse_grant_document(raw)
    except MalformedGrantDocument as exc:
        check("grant scope", False, "", f"not a grant document ({exc.reason})")
        return
    in_scope = (
        doc.grant_id == r.grant_id
        and doc.consumer == r.consumer == g.consumer.institution
        and doc.fields_for(r.resource) is not None
        and covers(doc.purpose, r.purpose)
        and r.tier == tier_of(doc.purpose).name
        and doc.not_before <= r.served_at_ms // 1000 <= doc.not_after
    )
    check(
        "grant scope",
        in_scope,
        "grant, consumer, resource, purpose (covered, under the grant's tier) and validity match",
        "the receipt is not in the grant's scope or validity",
    )
    check(
        "consumer signature",
        verify_one(_key(g.consumer.sm2_public_key), raw, g.consumer_signature),
        f"signed by {g.consumer.institution}",
        "the consumer's signature does not verify",
    )
    check(
        "owner key",
        doc.owner_key == bundle.owner.sm2_public_key
        and doc.owner_pseudonym == bundle.owner.pseudonym,
        "the document names the attested owner key",
        "the document names another owner key",
    )
    check(
        "owner signature",
        verify_one(_key(bundle.owner.sm2_public_key), raw, g.owner_signature),
        "the owner approved this document",
        "the owner's approval does not verify",
    )


def _verify_owner(bundle: ReceiptBundle, check: Any) -> None:
    o = bundle.owner
    try:
        verify_attestation(
            o.attestation_document.encode("utf-8"),
            unb64(o.attestation_signature),
            SM2PublicKey.from_bytes(_key(o.attester.sm2_public_key)),
            pseudonym=_key(o.pseudonym),
            owner_key=_key(o.sm2_public_key),
            attester=o.attester.institution,
        )
        check("attestation", True, f"{o.attester.institution} attested the owner key", "")
    except (AttestationInvalid, InvalidKey, ValueError) as exc:
        check("attestation", False, "", f"the owner attestation does not verify ({exc})")


def verify_bundle_on_chain(
    bundle: ReceiptBundle, contracts: ContractSet, *, tolerance_s: float = 5.0
) -> list[Check]:
    """The chain-side checks: anchor, keys in force, attestation and grant on chain.

    Raises:
        SourceUnavailable: The node could not be read.
    """
    checks: list[Check] = []
    r, batch = bundle.receipt.receipt, bundle.inclusion.batch

    def check(name: str, ok: bool, good: str, bad: str) -> None:
        checks.append(Check(name, ok, good if ok else bad))

    check(
        "deployment",
        {k: v.lower() for k, v in bundle.contracts.items()}
        == {k: v.address.lower() for k, v in contracts.manifest.contracts.items()},
        "the bundle names this deployment",
        "the bundle names another deployment",
    )
    history = ChainHistory(collect_chain(contracts))
    anchors = history.anchors.get(r.provider, [])
    a = anchors[batch.seq] if batch.seq < len(anchors) else None
    same = (
        a is not None
        and (a.root, a.size, a.first_index, a.prev_root)
        == (
            batch.root,
            batch.size,
            batch.first_index,
            batch.prev_root,
        )
        and a.signature == unb64(bundle.inclusion.anchor_signature)
    )
    check(
        "anchor on chain",
        same,
        f"batch {batch.seq} anchored with this root, size and prev_root",
        f"the chain's anchor {batch.seq} of {r.provider} differs",
    )
    tol = int(tolerance_s * 1000)
    keys = history.keys_between(r.provider, r.served_at_ms - tol, r.served_at_ms + tol)
    state = history.member_at_time(r.provider, r.served_at_ms)
    check(
        "provider key on chain",
        _key(bundle.provider.sm2_public_key) in keys
        and state is not None
        and state.status is InstitutionStatus.ACTIVE,
        f"the registry gave {r.provider} this key at serve time",
        f"the registry did not give {r.provider} this key at serve time",
    )
    grant = history.grants.get(r.grant_id)
    moments = (r.served_at_ms, r.served_at_ms - tol, r.served_at_ms + tol)
    ok = (
        grant is not None
        and grant.approval is not None
        and grant.request.raw("document") == bundle.grant.document.encode("utf-8")
        and grant.approval.raw("ownerSignature") == unb64(bundle.grant.owner_signature)
        and any(grant.servable_at(m)[0] for m in moments)
    )
    check(
        "grant on chain",
        ok,
        "the chain recorded this grant and approval, ACTIVE at serve time",
        "the chain's grant, approval or status at serve time differs",
    )
    atts = history.attestations.get(bundle.owner.pseudonym, [])
    found = [
        x
        for x in atts
        if x.document == bundle.owner.attestation_document.encode("utf-8")
        and x.signature == unb64(bundle.owner.attestation_signature)
    ]
    attester = (
        history.member_at_pos(found[0].attester, (found[0].event.block, found[0].event.log_index))
        if found
        else None
    )
    check(
        "attestation on chain",
        attester is not None and "0x" + attester.key.hex() == bundle.owner.attester.sm2_public_key,
        "the chain recorded this attestation, by this attester key",
        "the chain has no such attestation by this attester key",
    )
    return checks
