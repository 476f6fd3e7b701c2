"""Identifiers as the chain stores them.

Institution and resource ids are short ASCII codes (``vehicle.registration``,
``ins.pingan-jinan``) packed left-aligned into ``bytes32``, so they stay readable on chain
and need no registry of hashes. Grant ids and digests are 32 random or SM3 bytes, written
``0x``-prefixed lower-case hex in documents.
"""

from __future__ import annotations

import re
from typing import Annotated, NewType

from pydantic import StringConstraints

from quancheng.errors import ConfigError

CODE_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,31}$"
_CODE_RE = re.compile(CODE_PATTERN)

#: A short lower-case ASCII code that packs into bytes32.
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
#: 32 bytes as ``0x`` + 64 lower-case hex digits.
Hex32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-f]{64}$")]
#: A 65-byte uncompressed SM2 point as ``0x04…`` hex.
PublicKeyHex = Annotated[str, StringConstraints(pattern=r"^0x04[0-9a-f]{128}$")]

GrantId = NewType("GrantId", str)


class InvalidCode(ConfigError):
    """A code is not 1–32 characters of ``[a-z0-9._-]`` starting with a letter or digit."""

    code = "INVALID_CODE"

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(f"{value!r} is not a valid code (1-32 chars of a-z 0-9 . _ -)")


def code_to_bytes32(code: str) -> bytes:
    """Pack a code left-aligned into 32 bytes, as Solidity's ``bytes32("code")`` does."""
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise InvalidCode(code)
    return code.encode("ascii").ljust(32, b"\0")


def bytes32_to_code(value: bytes) -> str:
    """Unpack a code packed by :func:`code_to_bytes32`."""
    code = bytes(value).rstrip(b"\0").decode("ascii", errors="replace")
    if not _CODE_RE.match(code):
        raise InvalidCode(value)
    return code


def hex32(value: bytes) -> str:
    """32 bytes as ``0x``-prefixed lower-case hex."""
    if len(value) != 32:
        raise ValueError(f"expected 32 bytes, got {len(value)}")
    return "0x" + bytes(value).hex()


def from_hex(value: str) -> bytes:
    """Bytes from ``0x``-prefixed (or bare) hex."""
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)
