"""Reader tokens: how a member proves who it is when it reads a gateway's receipt log.

A gateway's receipt log says who queried whom, when and why; it answers only members entitled
to read it (auditors, a consumer for its own receipts, the identity authority for one owner's).
A reader authenticates as a consumer does for a query: with its SM2 key registered on chain.
Each request carries one header::

    QC-Reader-Token: <base64url(canonical JSON of ReaderToken)>.<base64(DER SM2 signature)>

The token names the member, the gateway it is meant for (its provider code: a gateway cannot
replay a token it received at another one), the HTTP method and the exact path and query sent,
its time (checked with the gateways' clock-skew rule), a random nonce (accepted once) and,
over TLS, the channel of the reader's client certificate (as a query names it: a token read
off the wire is refused on any other connection).
The signature is over the token's canonical JSON (RFC 8785), as every signature of the
protocol is.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from quancheng.crypto import SM2PrivateKey
from quancheng.protocol.documents import MAX_JSON_INT, b64, signing_bytes, unb64
from quancheng.protocol.ids import Code, Hex32

__all__ = [
    "READER_HEADER",
    "ReaderToken",
    "encode_reader_header",
    "parse_reader_header",
    "request_target",
]

#: The HTTP header that carries a reader token.
READER_HEADER = "QC-Reader-Token"
#: Longest path and query a token signs (the gateway's own URLs are far shorter).
MAX_TARGET_CHARS = 8192
#: Longest header value a gateway reads (a token is about 400 bytes for a usual URL).
MAX_HEADER_CHARS = 12_288

Target = Annotated[str, StringConstraints(pattern=r"^/[\x21-\x7e]*$", max_length=MAX_TARGET_CHARS)]
Nonce = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32,64}$")]


class ReaderToken(BaseModel):
    """What a reader signs for one request (one token, one request)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Domain separation: never the same bytes as a query or any other signed document.
    type: Literal["quancheng.log-read/2"] = "quancheng.log-read/2"
    #: The reader's consortium code; its ACTIVE key on chain verifies the signature.
    member: Code
    #: The provider code of the gateway the request is sent to.
    audience: Code
    method: Literal["GET"] = "GET"
    #: The request's path and query exactly as sent (``/v1/receipts?from_index=0&limit=100``).
    target: Target
    issued_at_ms: int = Field(ge=0, le=MAX_JSON_INT)
    #: At least 128 random bits, lower-case hex.
    nonce: Nonce
    #: ``0x`` + SM3 of the reader's TLS client key (SubjectPublicKeyInfo); None only for a
    #: development gateway on loopback (see :func:`quancheng.tls.channel_of_certificate`).
    channel: Hex32 | None


def request_target(url: str) -> str:
    """The path and query of ``url`` as they go on the request line."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def encode_reader_header(
    key: SM2PrivateKey,
    *,
    member: str,
    audience: str,
    target: str,
    issued_at_ms: int,
    nonce: str | None = None,
    channel: str | None = None,
) -> str:
    """Sign a token for one GET and encode it as the :data:`READER_HEADER` value.

    Args:
        key: The member's SM2 key (the one registered on chain).
        member: The member's consortium code.
        audience: The provider code of the gateway asked.
        target: The path and query sent (see :func:`request_target`).
        issued_at_ms: Now, in milliseconds since the epoch.
        nonce: 128 random bits in hex (drawn when omitted).
        channel: The channel of the reader's TLS client certificate, if it has one.
    """
    token = ReaderToken(
        member=member,
        audience=audience,
        target=target,
        issued_at_ms=issued_at_ms,
        nonce=nonce or secrets.token_hex(16),
        channel=channel,
    )
    body = signing_bytes(token)
    encoded = base64.urlsafe_b64encode(body).decode("ascii").rstrip("=")
    return f"{encoded}.{b64(key.sign(body))}"


def parse_reader_header(value: str) -> tuple[ReaderToken, bytes, bytes]:
    """The token, the signed bytes and the DER signature of a header value.

    Raises:
        ValueError: The value is not a well-formed reader token.
    """
    if len(value) > MAX_HEADER_CHARS or value.count(".") != 1:
        raise ValueError("a reader token is <base64url token>.<base64 signature>")
    encoded, signature = value.split(".")
    try:
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        token = ReaderToken.model_validate_json(body)
        der = unb64(signature)
    except (binascii.Error, ValidationError, UnicodeDecodeError) as exc:
        raise ValueError(f"the reader token is not well formed: {type(exc).__name__}") from None
    if signing_bytes(token) != body:
        raise ValueError("the reader token is not in canonical JSON")
    return token, body, der
