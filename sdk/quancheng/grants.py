"""Grant documents as the SDK builds, finds and decodes them.

A grant is born as a :class:`~quancheng.protocol.GrantDocument` that the consumer signs; the
chain keeps its terms and SM3 digest, and the ``GrantRequested`` event carries the canonical
document itself. This module turns a document into the contract's terms (so the two can never
disagree) and reads documents back from the events.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import ValidationError
from web3.types import BlockIdentifier

from quancheng._util import ArgumentError, describe
from quancheng.chain import ContractSet, code32, decode_code32
from quancheng.chain.grant_logs import GrantRequestedLog, grant_requested_logs
from quancheng.chain.types import GrantMode as ChainGrantMode
from quancheng.chain.writes import GrantTerms
from quancheng.crypto import sm3
from quancheng.crypto.errors import NotCanonicalizable
from quancheng.errors import GrantError
from quancheng.protocol import GrantDocument, GrantMode, ScopeItem, signing_bytes
from quancheng.protocol.ids import from_hex

__all__ = [
    "GrantDocumentMismatch",
    "GrantNotFound",
    "GrantRequestHandle",
    "MalformedGrantDocument",
    "OwnerSignatureInvalid",
    "RequestedGrant",
    "chain_mode",
    "normalize_scope",
    "parse_grant_document",
    "protocol_mode",
    "requested_grant",
    "requested_grants",
    "terms_from_document",
]

_log = logging.getLogger(__name__)

ScopeSpec = Mapping[str, Iterable[str]] | Iterable[ScopeItem]


class GrantNotFound(GrantError):
    """No grant with this id was requested on this deployment.

    Attributes:
        grant_id: The grant id (``0x`` hex).
    """

    code = "GRANT_NOT_FOUND"

    def __init__(self, grant_id: bytes) -> None:
        self.grant_id = "0x" + grant_id.hex()
        super().__init__(f"no grant {self.grant_id} on chain")


class MalformedGrantDocument(GrantError):
    """Bytes that should be a canonical grant document are not one.

    Attributes:
        reason: What is wrong with them.
    """

    code = "MALFORMED_GRANT_DOCUMENT"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"malformed grant document: {reason}")


class GrantDocumentMismatch(GrantError):
    """A grant document says something else than the grant recorded on chain.

    Attributes:
        field: The term that differs (``document_digest``, ``purpose``, ``owner_key``, ...).
        expected: The chain's (or the caller's) value.
        actual: The document's value.
    """

    code = "GRANT_DOCUMENT_MISMATCH"

    def __init__(self, field: str, expected: object, actual: object) -> None:
        self.field, self.expected, self.actual = field, expected, actual
        super().__init__(f"grant document {field} is {actual!r}, expected {expected!r}")


class OwnerSignatureInvalid(GrantError):
    """An owner's SM2 signature (over a grant or an action document) does not verify.

    Attributes:
        grant_id: The grant (``0x`` hex).
        what: What was signed (``"grant document"`` or ``"<action> document"``).
    """

    code = "OWNER_SIGNATURE_INVALID"

    def __init__(self, grant_id: str, what: str) -> None:
        self.grant_id, self.what = grant_id, what
        super().__init__(
            f"the owner's signature over the {what} of grant {grant_id} does not verify "
            "with the owner's attested key"
        )


@dataclass(frozen=True)
class GrantRequestHandle:
    """A grant the consumer has just requested (PENDING until the owner decides).

    Attributes:
        grant_id: The 32-byte grant id.
        document: The grant document the consumer signed.
        document_bytes: Its canonical bytes (what the owner signs to approve).
        consumer_signature: The consumer's DER SM2 signature over ``document_bytes``.
        tx_hash: ``0x`` hex of the request transaction.
        block_number: Block of the request.
    """

    grant_id: bytes
    document: GrantDocument
    document_bytes: bytes
    consumer_signature: bytes
    tx_hash: str
    block_number: int

    @property
    def grant_id_hex(self) -> str:
        """The grant id as ``0x`` hex (the form documents and gateways use)."""
        return "0x" + self.grant_id.hex()

    @property
    def document_digest(self) -> bytes:
        """SM3 of the canonical document, as recorded on chain."""
        return bytes(sm3(self.document_bytes))


@dataclass(frozen=True)
class RequestedGrant:
    """A grant request read back from its ``GrantRequested`` event, document decoded.

    Attributes:
        grant_id: The grant id.
        document: The decoded grant document.
        document_bytes: The canonical bytes as emitted.
        document_digest: Their SM3 digest (equal to the digest declared on chain).
        consumer: The requesting consumer's code.
        consumer_signature: The consumer's DER SM2 signature over ``document_bytes``.
        block_number: Block of the request.
        tx_hash: The request transaction.
    """

    grant_id: bytes
    document: GrantDocument
    document_bytes: bytes
    document_digest: bytes
    consumer: str
    consumer_signature: bytes
    block_number: int
    tx_hash: str


# ---------------------------------------------------------------------- documents ↔ terms


def chain_mode(mode: GrantMode) -> ChainGrantMode:
    """The contract's enum for a document's mode."""
    return ChainGrantMode.RAW if mode is GrantMode.RAW else ChainGrantMode.DERIVED


def protocol_mode(mode: ChainGrantMode | int) -> GrantMode:
    """The document's mode for the contract's enum."""
    return GrantMode.RAW if int(mode) == int(ChainGrantMode.RAW) else GrantMode.DERIVED


def normalize_scope(scope: ScopeSpec) -> tuple[ScopeItem, ...]:
    """Scope items from ``{resource: fields}`` or items; fields sorted and deduplicated.

    Raises:
        ArgumentError: If a resource code or field name is malformed, or the scope is empty.
    """
    pairs = scope.items() if isinstance(scope, Mapping) else ((i.resource, i.fields) for i in scope)
    try:
        items = tuple(
            ScopeItem(resource=resource, fields=tuple(sorted(set(fields))))
            for resource, fields in pairs
        )
    except ValidationError as exc:
        raise ArgumentError("scope", describe(exc)) from None
    if not items:
        raise ArgumentError("scope", "names no resource")
    return items


def terms_from_document(document: GrantDocument) -> GrantTerms:
    """The contract terms that state exactly what ``document`` says."""
    data_from, data_to = document.data_period_seconds()
    return GrantTerms(
        grant_id=from_hex(document.grant_id),
        owner_pseudonym=from_hex(document.owner_pseudonym),
        resource_ids=tuple(bytes(code32(item.resource)) for item in document.scope),
        purpose=int(document.purpose),
        data_from=data_from,
        data_to=data_to,
        not_before=document.not_before,
        not_after=document.not_after,
        max_uses=document.max_uses,
        mode=chain_mode(document.mode),
        document_digest=bytes(sm3(signing_bytes(document))),
    )


def parse_grant_document(document_bytes: bytes) -> GrantDocument:
    """Decode canonical grant-document bytes, refusing anything not exactly canonical.

    Raises:
        MalformedGrantDocument: If they are not a grant document or not in canonical form.
    """
    try:
        document = GrantDocument.model_validate_json(document_bytes)
        canonical = signing_bytes(document)
    except ValidationError as exc:
        raise MalformedGrantDocument(describe(exc)) from None
    except NotCanonicalizable as exc:
        # e.g. an integer beyond 2**53: it parses, but no canonical form exists to sign
        raise MalformedGrantDocument(f"no canonical (RFC 8785) form: {exc}") from None
    if canonical != bytes(document_bytes):
        raise MalformedGrantDocument("not in canonical (RFC 8785) form")
    return document


# ------------------------------------------------------------------------- reading back


def requested_grants(
    contracts: ContractSet,
    *,
    owner_pseudonym: bytes | None = None,
    consumer_id: bytes | None = None,
    from_block: BlockIdentifier | None = None,
) -> list[RequestedGrant]:
    """Grant requests found in the events, oldest first.

    Events whose document is not a canonical grant document, or does not match the digest
    the consumer declared, are skipped: no owner can approve them meaningfully.
    """
    logs = grant_requested_logs(
        contracts, owner_pseudonym=owner_pseudonym, consumer_id=consumer_id, from_block=from_block
    )
    found = []
    for log in logs:
        try:
            found.append(_decode(log))
        except MalformedGrantDocument as exc:
            _log.info("skipping grant request 0x%s: %s", log.grant_id.hex(), exc.reason)
    return found


def requested_grant(contracts: ContractSet, grant_id: bytes) -> RequestedGrant:
    """The request of one grant, document decoded.

    Raises:
        GrantNotFound: If no grant with this id was requested.
        MalformedGrantDocument: If its emitted document is not a canonical grant document
            matching the declared digest.
    """
    logs = grant_requested_logs(contracts, grant_id=grant_id)
    if not logs:
        raise GrantNotFound(grant_id)
    return _decode(logs[0])


def _decode(log: GrantRequestedLog) -> RequestedGrant:
    document = parse_grant_document(log.document)
    digest = bytes(sm3(log.document))
    if digest != log.document_digest:
        raise MalformedGrantDocument("SM3 of the emitted document differs from its digest")
    if from_hex(document.grant_id) != log.grant_id:
        raise MalformedGrantDocument("the document names another grant id")
    if from_hex(document.owner_pseudonym) != log.owner_pseudonym:
        raise MalformedGrantDocument("the document names another owner")
    consumer = decode_code32(log.consumer_id)
    if consumer is None or consumer != document.consumer:
        raise MalformedGrantDocument("the document names another consumer")
    return RequestedGrant(
        grant_id=log.grant_id,
        document=document,
        document_bytes=log.document,
        document_digest=digest,
        consumer=consumer,
        consumer_signature=log.consumer_signature,
        block_number=log.block_number,
        tx_hash=log.tx_hash,
    )
