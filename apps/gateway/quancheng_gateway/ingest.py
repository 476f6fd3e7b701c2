"""Checks made once, when a grant event enters the chain view (never per query).

The EVM has neither SM2 nor SM3, so the grant registry stores digests and signatures that
only off-chain parties can check. The view checks them as the events arrive: the grant
document hashes to the on-chain digest, parses as a protocol ``GrantDocument`` in canonical
form, states exactly the on-chain terms and carries the consumer's signature; the owner's
approval and every later action are signed by the attested owner key. A failed check
makes the grant unservable (``GRANT_DOCUMENT_INVALID``); it is recorded with its reason.
An owner attestation that does not verify (document or the attester's signature) leaves the
owner unattested: their grants are refused with ``OWNER_NOT_ATTESTED``.
"""

from __future__ import annotations

from pydantic import ValidationError

from quancheng.attestations import AttestationInvalid, verify_attestation
from quancheng.chain.records import GrantRecord
from quancheng.chain.types import GrantMode as ChainMode
from quancheng.chain.types import decode_code32
from quancheng.crypto import InvalidKey, InvalidSignature, SM2PublicKey, sm3
from quancheng.protocol import GrantAction, GrantActionDocument, GrantDocument, GrantMode

__all__ = [
    "IngestFailure",
    "check_action",
    "check_approval",
    "check_attestation",
    "check_grant_document",
]


class IngestFailure(ValueError):
    """An ingest check failed; the message is the recorded reason."""


def _verify(key_hex: str, signature: bytes, message: bytes, what: str) -> None:
    try:
        SM2PublicKey.from_bytes(bytes.fromhex(key_hex.removeprefix("0x"))).verify(
            signature, message
        )
    except (InvalidSignature, InvalidKey, ValueError) as exc:
        raise IngestFailure(f"{what} does not verify") from exc


def check_grant_document(
    document: bytes,
    digest: bytes,
    consumer_signature: bytes,
    consumer_key: str | None,
    terms: GrantRecord,
) -> GrantDocument:
    """The parsed grant document, or :class:`IngestFailure` saying what is wrong."""
    if sm3(document) != digest or terms.document_digest != digest:
        raise IngestFailure("document digest differs from the on-chain digest")
    try:
        doc = GrantDocument.model_validate_json(document)
    except ValidationError as exc:
        raise IngestFailure(f"not a grant document: {exc.error_count()} errors") from exc
    if doc.canonical() != document:
        raise IngestFailure("document is not in canonical form")
    mismatch = _terms_mismatch(doc, terms)
    if mismatch:
        raise IngestFailure(f"document and on-chain terms differ: {mismatch}")
    if consumer_key is None:
        raise IngestFailure("consumer has no SM2 key in the registry")
    _verify(consumer_key, consumer_signature, document, "consumer signature")
    return doc


def _terms_mismatch(doc: GrantDocument, t: GrantRecord) -> str | None:
    data_from, data_to = doc.data_period_seconds()
    mode = ChainMode.RAW if doc.mode is GrantMode.RAW else ChainMode.DERIVED
    resources = {decode_code32(r) for r in t.resource_ids}
    checks = {
        "grant_id": doc.grant_id == "0x" + t.grant_id.hex(),
        "owner_pseudonym": doc.owner_pseudonym == "0x" + t.owner_pseudonym.hex(),
        "consumer": doc.consumer == decode_code32(t.consumer_id),
        "resources": {item.resource for item in doc.scope} == resources
        and len(doc.scope) == len(t.resource_ids),
        "purpose": int(doc.purpose) == t.purpose,
        "data_period": (data_from, data_to) == (t.data_from, t.data_to),
        "validity": (doc.not_before, doc.not_after) == (t.not_before, t.not_after),
        "max_uses": doc.max_uses == t.max_uses,
        "mode": mode == t.mode,
    }
    bad = [name for name, ok in checks.items() if not ok]
    return ", ".join(bad) or None


def check_approval(
    document: bytes,
    owner_key_in_document: str,
    attested_key: str | None,
    revoked: bool,
    signature: bytes,
) -> None:
    """The owner's approval: the document's key is the attested one and it signed."""
    if attested_key is None or revoked:
        raise IngestFailure("owner is not attested at approval")
    if owner_key_in_document.lower() != attested_key.lower():
        raise IngestFailure("grant document names another key than the attested one")
    _verify(attested_key, signature, document, "owner approval signature")


def check_action(
    action_document: bytes,
    signature: bytes,
    *,
    action: GrantAction,
    grant_id: str,
    document_digest: str,
    owner_key: str | None,
) -> None:
    """An owner's action document: right action, grant and digest, signed by the owner."""
    try:
        doc = GrantActionDocument.model_validate_json(action_document)
    except ValidationError as exc:
        raise IngestFailure(f"not a grant action document ({action})") from exc
    if doc.action is not action or doc.grant_id != grant_id:
        raise IngestFailure(f"action document is not a {action} of this grant")
    if doc.document_digest != document_digest:
        raise IngestFailure("action document names another grant document")
    if owner_key is None:
        raise IngestFailure("no owner key to check the action against")
    _verify(owner_key, signature, action_document, f"owner {action} signature")


def check_attestation(
    document: bytes,
    signature: bytes,
    *,
    attester: str,
    attester_key: str | None,
    pseudonym: bytes,
    owner_key: bytes,
) -> None:
    """The identity authority's attestation: the document names this binding and it signed."""
    if attester_key is None:
        raise IngestFailure(f"attester {attester} has no SM2 key in the registry")
    try:
        key = SM2PublicKey.from_bytes(bytes.fromhex(attester_key.removeprefix("0x")))
        verify_attestation(
            document, signature, key, pseudonym=pseudonym, owner_key=owner_key, attester=attester
        )
    except (AttestationInvalid, InvalidKey, ValueError) as exc:
        raise IngestFailure(str(exc)) from exc
