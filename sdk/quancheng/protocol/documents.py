"""The signed documents of the verified-query protocol (design: "Off chain: the verified query").

Field names are snake_case on the wire. Models are frozen and refuse unknown fields, so a
document that parses is exactly the document that was signed. Integer times ending in
``_ms`` are Unix milliseconds; grant validity bounds are Unix seconds, as on chain.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any, Literal, Self, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from quancheng.crypto import canonical_json, sm3
from quancheng.protocol.ids import Code, Hex32, PublicKeyHex
from quancheng.protocol.purposes import GrantTier, Purpose, tier_of

#: A DER SM2 signature, base64 on the wire.
SignatureB64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]+={0,2}$", max_length=200)]
FieldName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Uuid = Annotated[
    str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
]


def _exact_int(value: Any) -> Any:
    """Refuse ``true``/``false`` where an integer code is due (``bool`` is an ``int`` in Python)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a JSON integer")
    return value


#: An integer exactly as JSON writes it: ``"1"``, ``1.0`` and ``true`` are refused, so a
#: document parses only from the form that was signed, never from a look-alike.
Int = Annotated[int, Strict()]


def _scenario(value: Purpose) -> Purpose:
    """Refuse a domain or comprehensive code where one scenario is due (a query, a receipt)."""
    if not value.is_scenario:
        raise ValueError(f"{value.name} is a {value.tier.name} code, not a scenario purpose")
    return value


#: A purpose code, an integer (not ``true``, not ``"1"``): in a grant, any tier.
PurposeCode = Annotated[Purpose, BeforeValidator(_exact_int)]
#: The purpose of one query: a scenario code (1..99), never a domain or comprehensive code.
ScenarioCode = Annotated[Purpose, BeforeValidator(_exact_int), AfterValidator(_scenario)]
#: The tier a receipt says its query was served under (``GrantTier`` by name, never NONE).
TierName = Literal["SCENARIO", "DOMAIN", "COMPREHENSIVE"]


def tier_name(purpose: int) -> TierName:
    """The receipt's ``tier`` for a grant of purpose code ``purpose``.

    Raises:
        ValueError: The code is outside the purpose catalogue (tier NONE).
    """
    tier = tier_of(purpose)
    if tier is GrantTier.NONE:
        raise ValueError(f"purpose code {purpose} has no tier")
    return cast(TierName, tier.name)


#: The largest integer canonical JSON (RFC 8785, IEEE 754 doubles) represents exactly.
MAX_JSON_INT = 2**53 - 1


def _plain_text(value: str) -> bool:
    """No control or format characters (NUL, CR/LF, RTL override, zero-width joiners), NFC."""
    if unicodedata.normalize("NFC", value) != value:
        return False
    return not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value)


#: Where a document keeps its canonical bytes once computed: an entry of its ``__dict__``
#: beside the fields. Pydantic leaves ``_``-prefixed entries out of dumps, ``dict(doc)``,
#: ``repr`` and ``==``; :meth:`_Doc.model_copy` drops it, so a changed copy recomputes.
_CANONICAL = "_canonical_json"


class _Doc(BaseModel):
    """A frozen protocol document that canonicalises once (the gateway hashes, verifies and
    stores the same request, receipt and answer several times per query).

    Frozen covers the fields, not what a ``dict`` or ``list`` field holds: nested values
    (``params``, ``data``) must never be mutated in place, as for any signed document; make
    a changed document with :meth:`model_copy` (``update=...``) or the constructor.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def canonical(self) -> bytes:
        """The RFC 8785 bytes that are signed and hashed, computed on first use only.

        Raises:
            NotCanonicalizable: If a value has no canonical JSON form (then nothing is kept).
        """
        cached: bytes | None = self.__dict__.get(_CANONICAL)
        if cached is None:
            cached = canonical_json(self.model_dump(mode="json"))
            self.__dict__[_CANONICAL] = cached  # frozen: a benign race computes equal bytes
        return cached

    def digest_hex(self) -> str:
        """``0x`` + SM3 of :meth:`canonical`."""
        return "0x" + sm3(self.canonical()).hex()

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (see pydantic) that canonicalises afresh: ``update`` may change its bytes."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop(_CANONICAL, None)
        return copied


def signing_bytes(doc: BaseModel) -> bytes:
    """The canonical JSON of a document: the only bytes ever signed for it.

    A protocol document's bytes are computed once (:meth:`_Doc.canonical`); any other
    model's each time.
    """
    if isinstance(doc, _Doc):
        return doc.canonical()
    return canonical_json(doc.model_dump(mode="json"))


def b64(signature: bytes) -> str:
    """A signature as it travels in documents."""
    return base64.b64encode(signature).decode("ascii")


def unb64(signature: str) -> bytes:
    """The DER bytes of a base64 signature."""
    return base64.b64decode(signature, validate=True)


class GrantMode(StrEnum):
    """Whether the consumer may read raw fields or only derived indicators."""

    RAW = "RAW"
    DERIVED = "DERIVED"


class ScopeItem(_Doc):
    """One resource of a grant and the fields (or indicators) granted from it."""

    resource: Code
    fields: tuple[FieldName, ...] = Field(min_length=1, max_length=64)

    @field_validator("fields")
    @classmethod
    def _sorted_unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if list(v) != sorted(set(v)):
            raise ValueError("fields must be sorted and unique")
        return v


class GrantDocument(_Doc):
    """The consent artefact an owner signs; its SM3 digest is recorded on chain."""

    type: Literal["quancheng.grant/1"] = "quancheng.grant/1"
    grant_id: Hex32
    owner_pseudonym: Hex32
    owner_key: PublicKeyHex
    consumer: Code
    purpose: PurposeCode
    scope: tuple[ScopeItem, ...] = Field(min_length=1, max_length=16)
    mode: GrantMode
    data_from: IsoDate
    data_to: IsoDate
    not_before: Int = Field(ge=0)
    not_after: Int = Field(ge=0)
    #: Uses allowed of each resource in ``scope``: a budget per resource, which its provider
    #: enforces (the chain counts it as ``GrantRegistry.usesOf(grant, resource)``).
    max_uses: Int = Field(ge=1, le=2**32 - 1)
    requested_at: Int = Field(ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> GrantDocument:
        if self.not_after <= self.not_before:
            raise ValueError("not_after must be later than not_before")
        if self.data_to < self.data_from:
            raise ValueError("data_to must not be before data_from")
        resources = [item.resource for item in self.scope]
        if len(set(resources)) != len(resources):
            raise ValueError("a resource appears twice in the scope")
        return self

    def data_period_seconds(self) -> tuple[int, int]:
        """The data period as the chain stores it: Unix seconds, both ends inclusive."""
        return data_period_seconds(self.data_from, self.data_to)

    def fields_for(self, resource: str) -> tuple[str, ...] | None:
        """The fields granted from ``resource``, or None if it is not in the scope."""
        for item in self.scope:
            if item.resource == resource:
                return item.fields
        return None


#: Government records are dated in China Standard Time.
CST = timezone(timedelta(hours=8), "Asia/Shanghai")


def data_period_seconds(data_from: str, data_to: str) -> tuple[int, int]:
    """``(start, end)`` Unix seconds of a data period given as ISO dates, in CST.

    The period runs from 00:00:00 of ``data_from`` to 23:59:59 of ``data_to``, both inclusive.
    """
    start = datetime.combine(date.fromisoformat(data_from), time(0, 0, 0), CST)
    end = datetime.combine(date.fromisoformat(data_to), time(23, 59, 59), CST)
    return int(start.timestamp()), int(end.timestamp())


class GrantAction(StrEnum):
    """What an owner can do to a grant after it was requested."""

    APPROVE = "approve"
    REJECT = "reject"
    PAUSE = "pause"
    RESUME = "resume"
    REVOKE = "revoke"


class GrantActionDocument(_Doc):
    """An owner's signed decision about a grant (approval signs the grant document itself).

    The GrantRegistry contract rebuilds exactly these canonical bytes from ``(action, grant,
    seq, at)`` and verifies the owner's signature over them; ``seq`` must be the grant's next
    decision number (``GrantRegistry.decisionSeq``: 0 while pending, 1 after approval, +1 per
    decision), so an old decision replayed by anyone is refused by the chain.
    """

    type: Literal["quancheng.grant-action/2"] = "quancheng.grant-action/2"
    action: GrantAction
    grant_id: Hex32
    document_digest: Hex32
    seq: Int = Field(ge=0, le=2**32 - 1)
    at: Int = Field(ge=0, le=MAX_JSON_INT)


class AttestationDocument(_Doc):
    """The identity authority's statement that an owner key belongs to a pseudonym."""

    type: Literal["quancheng.attestation/1"] = "quancheng.attestation/1"
    pseudonym: Hex32
    owner_key: PublicKeyHex
    attester: Code
    attested_at: Int = Field(ge=0)


#: Resources of this catalogue sensitivity or above are always answered sealed to the
#: consumer's SM2 key (:mod:`quancheng.crypto.seal`); below it, when the request asks.
SEALED_FROM_SENSITIVITY = 3


class QueryRequest(_Doc):
    """A consumer's request to a gateway, signed by the consumer's SM2 key.

    ``channel`` binds the request to the consumer's TLS client key: ``0x`` + SM3 of the
    SubjectPublicKeyInfo of the certificate the consumer presents
    (:func:`quancheng.tls.channel_of_certificate`). A gateway answers it only on a
    connection with that client certificate, so whoever captured the request cannot use it
    on their own connection. ``None`` is accepted only by a development gateway serving
    plain HTTP on loopback. ``seal`` asks for the data sealed to the consumer's registered
    SM2 key even where the catalogue does not require it (see
    :data:`SEALED_FROM_SENSITIVITY`).
    """

    type: Literal["quancheng.query/2"] = "quancheng.query/2"
    request_id: Uuid
    grant_id: Hex32
    consumer: Code
    resource: Code
    fields: tuple[FieldName, ...] = Field(min_length=1, max_length=64)
    #: The one scenario this query serves; the grant's purpose must cover it.
    purpose: ScenarioCode
    params: dict[str, str | Int] = Field(default_factory=dict, max_length=16)
    issued_at_ms: Int = Field(ge=0, le=MAX_JSON_INT)
    #: Both always present on the wire (``null`` / ``false``): a document parses only from
    #: the very bytes that were signed.
    channel: Hex32 | None
    seal: Annotated[bool, Strict()]

    @field_validator("params")
    @classmethod
    def _bounded_params(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key, value in v.items():
            if len(key) > 64 or (isinstance(value, str) and len(value) > 256):
                raise ValueError("parameter names are at most 64 and values 256 characters")
            if not _plain_text(key) or (isinstance(value, str) and not _plain_text(value)):
                raise ValueError("parameters must be NFC text without control characters")
            if isinstance(value, int) and not -MAX_JSON_INT <= value <= MAX_JSON_INT:
                raise ValueError("integer parameters must fit in 53 bits (canonical JSON)")
        return v


class SignedRequest(_Doc):
    """What travels to the gateway."""

    request: QueryRequest
    signature: SignatureB64


class Receipt(_Doc):
    """Proof that a gateway answered one query, as the gateway signs it.

    The receipt is the gateway's one signature on a query: it binds the request (by its
    hash), the data (``response_hash``), the grant, the mode and the time, so the answer that
    carries it needs no signature of its own (:class:`Answer`). Its position in the
    provider's receipt log is not signed (``quancheng.receipt/4``): it is
    :attr:`SignedReceipt.log_index`, which the log's Merkle leaf and anchored root bind.

    ``purpose`` is the query's scenario; ``tier`` is the tier of the grant the request named
    (the tier of that grant's purpose code), under which the query was served. A consumer
    holding several grants that cover the purpose chooses among them by the grant id it signs.
    ``mode`` is that grant's mode (raw fields or derived indicators). ``view_block`` is the
    chain block up to which the gateway's view had applied events when it judged the grant:
    an auditor judges a revocation by block (was it mined at or before ``view_block``?)
    rather than by the gateway's clock.
    """

    type: Literal["quancheng.receipt/4"] = "quancheng.receipt/4"
    receipt_id: Uuid
    grant_id: Hex32
    consumer: Code
    provider: Code
    resource: Code
    purpose: ScenarioCode
    tier: TierName
    mode: GrantMode
    request_hash: Hex32
    response_hash: Hex32
    view_block: Int = Field(ge=0)
    served_at_ms: Int = Field(ge=0)


class SignedReceipt(_Doc):
    """A receipt with the gateway's SM2 signature, at its position in the receipt log.

    The signature covers ``receipt`` only. ``log_index`` is where the log placed it; the
    Merkle leaf is SM3(0x00 ‖ canonical(this)), so the anchored root binds the position: a
    receipt shown at another position than the one it was anchored at fails its inclusion
    proof. The gateway signs before the log fixes the position, outside the log's write lock.
    """

    log_index: Int = Field(ge=0)
    receipt: Receipt
    signature: SignatureB64


#: Longest sealed answer accepted (base64 of an envelope; the gateway caps answers lower).
MAX_SEALED_CHARS = 8 * 1024 * 1024
SealedB64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]+={0,2}$", max_length=MAX_SEALED_CHARS)]


class Answer(_Doc):
    """What a gateway returns: the data (or its sealed envelope) and the signed receipt.

    The answer itself is not signed (``quancheng.answer/3``): every field is either the
    consumer's own (request id, grant, resource: checked against the request it signed),
    copied from the signed receipt and checked equal to it (provider, mode, ``data_digest`` =
    ``response_hash``, ``served_at_ms``), or the data, checked against ``data_digest``. A
    signature over the same facts would add a second SM2 signing per query and prove nothing
    the receipt does not (design: "one signature per query").

    Exactly one of ``data`` and ``sealed`` is present. In the clear, ``data_digest`` is the
    SM3 of the canonical ``data``. Sealed, ``sealed`` is the base64 of an envelope
    (:func:`quancheng.crypto.seal.seal`) to the consumer's registered SM2 key, with the
    request hash (32 bytes) as additional data; it opens to the canonical JSON of
    ``{"data": ..., "salt": "0x" + 32 random bytes}``, whose SM3 is ``data_digest`` (and the
    receipt's ``response_hash``): the salt keeps anyone who sees receipts from confirming a
    guess of the data.
    """

    type: Literal["quancheng.answer/3"] = "quancheng.answer/3"
    request_id: Uuid
    request_hash: Hex32
    grant_id: Hex32
    provider: Code
    resource: Code
    mode: GrantMode
    data: dict[str, Any] | None
    sealed: SealedB64 | None
    data_digest: Hex32
    receipt: SignedReceipt
    served_at_ms: Int = Field(ge=0)

    @model_validator(mode="after")
    def _one_form(self) -> Answer:
        if (self.data is None) == (self.sealed is None):
            raise ValueError("an answer carries exactly one of data and sealed")
        return self


class AnchorDocument(_Doc):
    """A receipt batch as the gateway signs it before anchoring its root on chain."""

    type: Literal["quancheng.anchor/1"] = "quancheng.anchor/1"
    provider: Code
    seq: Int = Field(ge=0)
    root: Hex32
    size: Int = Field(ge=1)
    first_index: Int = Field(ge=0)
    prev_root: Hex32
