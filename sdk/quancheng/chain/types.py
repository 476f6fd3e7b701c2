"""Python mirrors of the contracts' enums, and the on-chain identifier conventions.

Institutions, resources and field names are short ASCII codes packed left-aligned into a
``bytes32`` (``code32("vehicle.registration")``), so that they stay readable on chain. Grant
ids and pseudonyms are 32 opaque bytes (random, or an SM3 digest / HMAC-SM3 tag).
"""

from __future__ import annotations

import os
from enum import IntEnum
from typing import NewType

from quancheng.errors import ConfigError
from quancheng.protocol.purposes import GrantTier

__all__ = [
    "ENUMS",
    "Bytes32",
    "GrantId",
    "GrantMode",
    "GrantStatus",
    "GrantTier",
    "InstitutionId",
    "InstitutionStatus",
    "InvalidCode",
    "ProposalAction",
    "ProposalStatus",
    "Pseudonym",
    "ResourceId",
    "Role",
    "code32",
    "decode_code32",
    "new_grant_id",
    "purposes_mask",
]

#: Any 32-byte value as the chain stores it.
Bytes32 = NewType("Bytes32", bytes)
#: An institution code packed into 32 bytes (``code32("jinan.vmo")``).
InstitutionId = NewType("InstitutionId", bytes)
#: A catalogue resource code packed into 32 bytes (``code32("vehicle.registration")``).
ResourceId = NewType("ResourceId", bytes)
#: A grant id: 32 bytes chosen by the consumer.
GrantId = NewType("GrantId", bytes)
#: An owner's keyed pseudonym (HMAC-SM3 of the identity, computed by the identity authority).
Pseudonym = NewType("Pseudonym", bytes)


class Role(IntEnum):
    """``IConsortiumRegistry.Role``."""

    NONE = 0
    PROVIDER = 1
    CONSUMER = 2
    AUDITOR = 3
    COMMITTEE = 4


class InstitutionStatus(IntEnum):
    """``IConsortiumRegistry.InstitutionStatus``."""

    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    REMOVED = 3


class ProposalAction(IntEnum):
    """``IConsortiumRegistry.ProposalAction``."""

    NONE = 0
    ADMIT = 1
    SUSPEND = 2
    REINSTATE = 3
    REMOVE = 4
    ROTATE_KEY = 5
    SET_THRESHOLD = 6
    GRANT_IDENTITY_AUTHORITY = 7
    REVOKE_IDENTITY_AUTHORITY = 8


class ProposalStatus(IntEnum):
    """``IConsortiumRegistry.ProposalStatus``."""

    NONE = 0
    OPEN = 1
    EXECUTED = 2
    EXPIRED = 3


class GrantMode(IntEnum):
    """``IGrantRegistry.GrantMode``."""

    RAW = 0
    DERIVED = 1


class GrantStatus(IntEnum):
    """``IGrantRegistry.GrantStatus``."""

    NONE = 0
    PENDING = 1
    ACTIVE = 2
    PAUSED = 3
    REVOKED = 4
    EXPIRED = 5
    EXHAUSTED = 6
    REJECTED = 7


#: Solidity enum name (as in an ABI ``internalType``, without ``enum`` and the interface
#: prefix) → Python enum.
ENUMS: dict[str, type[IntEnum]] = {
    "Role": Role,
    "InstitutionStatus": InstitutionStatus,
    "ProposalAction": ProposalAction,
    "ProposalStatus": ProposalStatus,
    "GrantMode": GrantMode,
    "GrantStatus": GrantStatus,
    "GrantTier": GrantTier,  # defined beside the purpose catalogue, which fixes each code's tier
}


class InvalidCode(ConfigError):
    """A code cannot be packed into 32 bytes of printable ASCII."""

    code = "INVALID_CODE"

    def __init__(self, value: str, reason: str) -> None:
        self.value, self.reason = value, reason
        super().__init__(f"invalid code {value!r}: {reason}")


def code32(code: str) -> Bytes32:
    """Pack a short ASCII code left-aligned into 32 bytes, as ``bytes32("...")`` does.

    Args:
        code: 1 to 32 printable ASCII characters, no spaces.

    Raises:
        InvalidCode: empty, too long, or not printable ASCII.
    """
    if not code:
        raise InvalidCode(code, "empty")
    if not all(0x21 <= ord(c) <= 0x7E for c in code):
        raise InvalidCode(code, "only printable ASCII without spaces")
    raw = code.encode("ascii")
    if len(raw) > 32:
        raise InvalidCode(code, f"{len(raw)} bytes, at most 32")
    return Bytes32(raw.ljust(32, b"\x00"))


def decode_code32(value: bytes) -> str | None:
    """The code packed in ``value``, or None if it is not a packed printable-ASCII code."""
    raw = bytes(value).rstrip(b"\x00")
    if len(value) != 32 or not raw or b"\x00" in raw:
        return None
    if not all(0x21 <= b <= 0x7E for b in raw):
        return None
    return raw.decode("ascii")


def new_grant_id() -> GrantId:
    """A fresh random grant id (32 bytes from the OS CSPRNG)."""
    return GrantId(os.urandom(32))


def purposes_mask(*purposes: int) -> int:
    """The catalogue's ``allowedPurposes`` bitmask for purpose codes 1..255."""
    mask = 0
    for purpose in purposes:
        if not 1 <= purpose <= 255:
            raise ConfigError(f"purpose code {purpose} outside 1..255")
        mask |= 1 << purpose
    return mask
