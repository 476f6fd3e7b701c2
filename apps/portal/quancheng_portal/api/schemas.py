"""Request and response bodies of the JSON API (they appear in the OpenAPI document)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from pydantic import BaseModel, Field

from quancheng_portal.core.errors import MalformedInput

__all__ = [
    "ActionIn",
    "ApproveIn",
    "ChallengeOut",
    "DecisionOut",
    "DocumentOut",
    "EnrollIn",
    "ErrorOut",
    "KeyBindingOut",
    "KeyIn",
    "KeySignInIn",
    "RefreshOut",
    "SessionOut",
    "SignInIn",
    "error_responses",
    "unb64",
]

B64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]*={0,2}$", max_length=8192)]
PublicKeyHex = Annotated[str, Field(pattern=r"^(0x)?04[0-9a-fA-F]{128}$")]


def unb64(value: str, what: str) -> bytes:
    """Bytes of a base64 field.

    Raises:
        MalformedInput: Not base64.
    """
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedInput(reason=f"{what} 不是 base64") from None


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. OWNER_SIGNATURE_INVALID")
    message: str = Field(description="What happened, in plain Chinese")
    details: dict[str, object]


class ErrorOut(BaseModel):
    """Every refusal: nothing was changed."""

    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route that refuses with these statuses."""
    return {status: {"model": ErrorOut} for status in statuses}


class SignInIn(BaseModel):
    """Development only: the result of the demo real-name check (a demo person's key)."""

    person: str = Field(max_length=64)


class ChallengeOut(BaseModel):
    """What the browser signs to sign in (single use, for this session only)."""

    challenge: str
    #: Unix seconds after which it is refused.
    expires_at: int
    #: The ``origin`` to put in the signed document.
    origin: str
    type: str


class KeySignInIn(BaseModel):
    """A signed sign-in document: ``{challenge, origin?, owner_key, type}``."""

    challenge: str = Field(pattern=r"^0x[0-9a-f]{64}$")
    owner_key: PublicKeyHex
    #: DER SM2 signature (base64) over the canonical sign-in document.
    signature: B64
    #: The site the document was signed for (omitted from the document when null).
    origin: str | None = Field(default=None, max_length=200)
    #: To act for an enterprise: its unified social credit code, also in the signed document
    #: (omitted, null: a person signs in).
    uscc: str | None = Field(default=None, max_length=32)


class EnrollIn(BaseModel):
    """An enrollment code as typed (case, spaces and dashes do not matter)."""

    code: str = Field(min_length=1, max_length=64)


class SessionOut(BaseModel):
    """Who is signed in, and what the browser needs to set up or use its key."""

    signed_in: bool
    #: ``key``, ``enrolling`` (an enrollment code: binding a key only), ``demo`` or null.
    auth: str | None = None
    name: str | None = None
    masked_id: str | None = None
    #: How the pages greet the owner.
    greeting: str | None = None
    #: Whether the session acts for an enterprise (``name``: the enterprise, ``masked_id``:
    #: its USCC), and its legal representative.
    enterprise: bool = False
    legal_rep: str | None = None
    #: Where the browser keeps this owner's key (derived from the pseudonym, not the ID).
    key_slot: str | None = None
    #: The owner's key attested on chain (``0x04…``), if any.
    attested_key: str | None = None
    #: What the browser signs to prove it holds a key before it is attested.
    key_challenge: str | None = None
    #: The session's CSRF token (it changes at sign-in; the pages embed it too).
    csrf_token: str | None = None
    #: After "log out everywhere": how many sessions were ended.
    sessions_ended: int | None = None


class KeyIn(BaseModel):
    """A browser key to attest, with proof of possession."""

    public_key: PublicKeyHex
    #: DER SM2 signature (base64) over the canonical ``{challenge, owner_key, type}``.
    proof: B64
    #: Replace an attested key that this browser does not hold (a lost key).
    replace: bool = False


class KeyBindingOut(BaseModel):
    public_key: str
    tx_hash: str
    rotated: bool


class DocumentOut(BaseModel):
    """The grant document exactly as recorded on chain, and the digest the chain stores."""

    grant_id: str
    #: The canonical document bytes, base64.
    document: str
    #: SM3 of the document as recorded in the grant (``0x`` hex): check it before signing.
    document_digest: str


class ApproveIn(BaseModel):
    #: DER SM2 signature (base64) over the exact document bytes.
    signature: B64


class ActionIn(BaseModel):
    #: The canonical GrantActionDocument bytes (base64).
    document: B64
    #: DER SM2 signature (base64) over those bytes.
    signature: B64


class DecisionOut(BaseModel):
    grant_id: str
    action: str
    status: str
    status_label: str
    tx_hash: str
    block_number: int


class RefreshOut(BaseModel):
    new: int
    rechecked: int
    #: The departments whose records could not be read (entirely) in this refresh, by their
    #: registry names; where and why are in the portal's log, not here.
    unreadable_names: list[str] = []
    #: What the page then tells the owner, in plain Chinese (None: every record was read).
    notice: str | None = None
