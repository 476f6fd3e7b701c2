"""Identifier shapes in protocol documents.

Institution and resource ids are short codes, packed into ``bytes32`` on chain by
:func:`quancheng.chain.types.code32`; documents restrict them further to lower-case
``[a-z0-9._-]`` so that they read the same everywhere. Grant ids and digests are 32 bytes
written ``0x``-prefixed lower-case hex.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

CODE_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,31}$"

#: A short lower-case ASCII code that packs into bytes32.
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
#: 32 bytes as ``0x`` + 64 lower-case hex digits.
Hex32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-f]{64}$")]
#: A 65-byte uncompressed SM2 point as ``0x04…`` hex.
PublicKeyHex = Annotated[str, StringConstraints(pattern=r"^0x04[0-9a-f]{128}$")]


def hex32(value: bytes) -> str:
    """32 bytes as ``0x``-prefixed lower-case hex."""
    if len(value) != 32:
        raise ValueError(f"expected 32 bytes, got {len(value)}")
    return "0x" + bytes(value).hex()


def from_hex(value: str) -> bytes:
    """Bytes from ``0x``-prefixed (or bare) hex."""
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)
