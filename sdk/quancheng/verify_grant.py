"""Checking a grant document against the grant recorded on chain (portal, gateways, auditors).

The chain stores a grant's terms and the SM3 digest of its document; the document itself comes
from the ``GrantRequested`` event. :func:`verify_grant_document` proves the two say the same
thing, for the owner whose attested key is given, and that the signatures over it verify.
"""

from __future__ import annotations

from typing import Any

from quancheng._util import signature_valid
from quancheng.chain import code32
from quancheng.chain.records import GrantRecord
from quancheng.crypto import SM2PublicKey
from quancheng.grants import (
    GrantDocumentMismatch,
    OwnerSignatureInvalid,
    parse_grant_document,
    terms_from_document,
)
from quancheng.protocol import GrantDocument

__all__ = ["verify_grant_document"]


def verify_grant_document(
    document_bytes: bytes,
    onchain_grant: GrantRecord,
    owner_key: SM2PublicKey,
    *,
    owner_signature: bytes | None = None,
    consumer_key: SM2PublicKey | None = None,
    consumer_signature: bytes | None = None,
) -> GrantDocument:
    """Check that a grant document is exactly the grant recorded on chain, for this owner.

    Checks: canonical form; SM3 equals the on-chain digest; every term (id, pseudonym,
    consumer, resources in order, purpose, data period, validity, uses, mode) equals the
    chain's; the document names ``owner_key``; the owner's signature (``owner_signature``, or
    the one recorded on chain once approved) verifies with it; and, if given, the consumer's.

    Args:
        document_bytes: The canonical grant document (from the ``GrantRequested`` event).
        onchain_grant: ``GrantRegistry.getGrant(grant_id)``.
        owner_key: The owner's attested key from the owner registry.
        owner_signature: The owner's signature to check, if not yet on chain.
        consumer_key: The consumer's registered SM2 key, to check ``consumer_signature``.
        consumer_signature: The consumer's signature from the event.

    Returns:
        The decoded document.

    Raises:
        MalformedGrantDocument: Not a canonical grant document.
        GrantDocumentMismatch: A term differs from the chain or the owner key.
        OwnerSignatureInvalid: The owner's signature does not verify.
    """
    document = parse_grant_document(document_bytes)
    terms = terms_from_document(document)
    consumer_id = bytes(code32(document.consumer))
    compared: tuple[tuple[str, Any, Any], ...] = (
        ("document_digest", onchain_grant.document_digest, terms.document_digest),
        ("grant_id", onchain_grant.grant_id, terms.grant_id),
        ("owner_pseudonym", onchain_grant.owner_pseudonym, terms.owner_pseudonym),
        ("consumer", onchain_grant.consumer_id, consumer_id),
        ("resource_ids", list(onchain_grant.resource_ids), list(terms.resource_ids)),
        ("purpose", onchain_grant.purpose, terms.purpose),
        ("data_from", onchain_grant.data_from, terms.data_from),
        ("data_to", onchain_grant.data_to, terms.data_to),
        ("not_before", onchain_grant.not_before, terms.not_before),
        ("not_after", onchain_grant.not_after, terms.not_after),
        ("max_uses", onchain_grant.max_uses, terms.max_uses),
        ("mode", int(onchain_grant.mode), int(terms.mode)),
        ("owner_key", "0x" + owner_key.to_bytes().hex(), document.owner_key),
    )
    for field, want, got in compared:
        if want != got:
            raise GrantDocumentMismatch(field, want, got)
    # A signature handed in is always checked; the chain's only once the owner approved.
    signature = owner_signature if owner_signature is not None else onchain_grant.owner_signature
    must_check = owner_signature is not None or bool(signature)
    if must_check and not signature_valid(owner_key, bytes(signature), document_bytes):
        raise OwnerSignatureInvalid(document.grant_id, "grant document")
    if consumer_key is not None and not signature_valid(
        consumer_key, bytes(consumer_signature or b""), document_bytes
    ):
        raise GrantDocumentMismatch("consumer_signature", "valid", "invalid")
    return document
