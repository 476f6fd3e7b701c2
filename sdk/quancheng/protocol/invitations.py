"""Invitations: how a bank that knows an owner's ID number reaches them without learning who
they are on chain until they consent (issue 14, "Reaching an owner").

A consumer signs an :class:`InvitationDocument` (``quancheng.invitation/1``) and posts it to the
identity authority's portal (``POST /v1/invitations``) with the :class:`SubjectOpening`: the ID
number and a random salt. The document itself never carries the ID number, only its
**commitment** ``SM3(canonical {type, id_kind, id_number, salt})`` (:func:`subject_commitment`):

- the portal checks the opening against the commitment, computes the keyed pseudonym, and keeps
  the signed document — which then holds nothing a copy of the database could brute-force (an
  ID number is predictable; a 256-bit salt the portal never stores is not);
- the bank keeps the opening: with it the signed document proves, to an auditor, whom it
  invited.

The owner accepts by signing an :class:`AcceptanceDocument` (``quancheng.invitation-acceptance/1``)
over the invitation's digest and their pseudonym with their key bound on chain; the bank checks
that signature against the chain before it trusts the pseudonym it is given.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, model_validator

from quancheng.crypto import canonical_json, normalize_identifier, sm3
from quancheng.errors import QuanchengError
from quancheng.protocol.documents import (
    MAX_JSON_INT,
    GrantMode,
    IsoDate,
    PurposeCode,
    ScopeItem,
    SignatureB64,
    _Doc,
    _plain_text,
)
from quancheng.protocol.ids import Code, Hex32

__all__ = [
    "ID_KINDS",
    "MAX_INVITATION_TTL_S",
    "MAX_MESSAGE_CHARS",
    "AcceptanceDocument",
    "IdKind",
    "InvitationDocument",
    "InvitationSubject",
    "InvitationSubmission",
    "SubjectOpening",
    "id_number_problem",
    "new_salt",
    "subject_commitment",
]

#: The identifier schemes an invitation may name: a person's resident ID number (GB 11643) or
#: a business's unified social credit code (GB 32100) — the gateways' own ``id_kind`` values.
ID_KINDS = ("resident_id", "uscc")
IdKind = Literal["resident_id", "uscc"]
#: Longest message to the owner (短文本), in characters.
MAX_MESSAGE_CHARS = 200
#: Longest time an owner may be given to answer an invitation (30 days).
MAX_INVITATION_TTL_S = 30 * 86_400


def _message(value: str) -> str:
    if not _plain_text(value):
        raise ValueError("the message must be NFC text without control characters or newlines")
    return value


Message = Annotated[str, Field(max_length=MAX_MESSAGE_CHARS), AfterValidator(_message)]
#: An ID number as the bank typed it (normalised before it is committed to or pseudonymised).
IdNumber = Annotated[str, Field(min_length=1, max_length=64)]
Int = Annotated[int, Strict()]


def subject_commitment(id_kind: str, id_number: str, salt: str) -> str:
    """``0x`` + SM3 of the canonical ``{type, id_kind, id_number, salt}``.

    The ID number is normalised first (:func:`quancheng.crypto.normalize_identifier`: full-width
    digits, a lower-case ``x``), as the pseudonym is, so the bank and the portal agree on it.

    Raises:
        InvalidParameter: The ID number is empty or holds control characters.
    """
    opening = {
        "type": "quancheng.invitation-subject/1",
        "id_kind": id_kind,
        "id_number": normalize_identifier(id_number),
        "salt": salt,
    }
    return "0x" + sm3(canonical_json(opening)).hex()


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_check_character(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of a resident ID number."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def id_number_problem(id_kind: str, id_number: str) -> str | None:
    """Why ``id_number`` cannot be an identifier of ``id_kind`` (None when it can).

    Only the public shape is judged — 18 characters and the check character of GB 11643
    (resident ID) or GB 32100 (USCC) — never whether such a person or business exists.
    """
    try:
        text = normalize_identifier(id_number)
    except QuanchengError:
        return "the ID number is empty or holds control characters"
    if id_kind == "resident_id":
        digits = text[:17]
        if len(text) == 18 and digits.isascii() and digits.isdigit() and (
            text[17] == resident_id_check_character(digits)
        ):
            return None
        return "not a resident ID number (GB 11643: 17 digits and a check character)"
    if id_kind == "uscc":
        if len(text) == 18 and all(c in _USCC_ALPHABET for c in text):
            pairs = zip(text[:17], _USCC_WEIGHTS, strict=True)
            total = sum(_USCC_ALPHABET.index(c) * w for c, w in pairs)
            if text[17] == _USCC_ALPHABET[(31 - total % 31) % 31]:
                return None
        return "not a unified social credit code (GB 32100: 18 characters and a check character)"
    return f"unknown id kind {id_kind!r}: one of {', '.join(ID_KINDS)}"


def new_salt() -> str:
    """256 random bits as ``0x`` hex: the salt of a commitment."""
    return "0x" + secrets.token_hex(32)


class InvitationSubject(_Doc):
    """Whom an invitation is for, as the signed document names them: a commitment only."""

    id_kind: IdKind
    #: :func:`subject_commitment` of the ID number under a salt only the bank keeps.
    commitment: Hex32


class InvitationDocument(_Doc):
    """A consumer's signed invitation to an owner it knows by ID number.

    The terms are those of the grant the consumer will request once the owner accepts:
    ``valid_for_s`` seconds of validity from the request, ``max_uses`` per resource.
    ``channel`` binds the invitation to the consumer's TLS client key, as a query's does
    (``null`` only for a development portal on loopback).
    """

    type: Literal["quancheng.invitation/1"] = "quancheng.invitation/1"
    #: 32 random bytes chosen by the consumer; the portal accepts each id once.
    invitation_id: Hex32
    consumer: Code
    subject: InvitationSubject
    purpose: PurposeCode
    scope: tuple[ScopeItem, ...] = Field(min_length=1, max_length=16)
    mode: GrantMode
    data_from: IsoDate
    data_to: IsoDate
    valid_for_s: Int = Field(ge=60, le=MAX_JSON_INT)
    max_uses: Int = Field(ge=1, le=2**32 - 1)
    #: Shown to the owner as the consumer wrote it (plain text, one paragraph).
    message: Message
    issued_at_ms: Int = Field(ge=0, le=MAX_JSON_INT)
    #: Until when the owner may accept (Unix milliseconds).
    expires_at_ms: Int = Field(ge=0, le=MAX_JSON_INT)
    channel: Hex32 | None

    @model_validator(mode="after")
    def _consistent(self) -> InvitationDocument:
        if self.data_to < self.data_from:
            raise ValueError("data_to must not be before data_from")
        resources = [item.resource for item in self.scope]
        if len(set(resources)) != len(resources):
            raise ValueError("a resource appears twice in the scope")
        if not 0 < self.expires_at_ms - self.issued_at_ms <= MAX_INVITATION_TTL_S * 1000:
            raise ValueError(
                f"expires_at_ms must follow issued_at_ms by at most {MAX_INVITATION_TTL_S} s"
            )
        return self


class SubjectOpening(BaseModel):
    """What opens the subject's commitment: sent beside the document, never signed, and never
    stored by the portal (it computes the pseudonym from it and drops it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id_number: IdNumber
    salt: Hex32


class InvitationSubmission(BaseModel):
    """The body of ``POST /v1/invitations``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    invitation: InvitationDocument
    #: The consumer's DER SM2 signature (base64) over the invitation's canonical JSON.
    signature: SignatureB64
    subject: SubjectOpening


class AcceptanceDocument(_Doc):
    """What an owner signs to accept an invitation, with the key bound to them on chain.

    It names the invitation by id and by the SM3 of its canonical bytes (so it accepts exactly
    those terms, from that consumer) and the owner's pseudonym (so the bank that reads it knows
    whose key must verify it).
    """

    type: Literal["quancheng.invitation-acceptance/1"] = "quancheng.invitation-acceptance/1"
    invitation_id: Hex32
    invitation_digest: Hex32
    consumer: Code
    owner_pseudonym: Hex32
    #: When the owner signed (Unix seconds).
    accepted_at: Int = Field(ge=0, le=MAX_JSON_INT)
