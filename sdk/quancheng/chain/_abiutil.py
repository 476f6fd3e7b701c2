"""Small helpers over ABI entries shared by error decoding, event decoding and records."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import IntEnum
from typing import Any

from quancheng.chain.types import ENUMS

__all__ = ["abi_type", "enum_of", "signature", "snake"]


def abi_type(entry: Mapping[str, Any]) -> str:
    """The canonical ABI type of a parameter (tuples expanded), as used in signatures."""
    kind = str(entry["type"])
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in entry["components"])
        return f"({inner}){kind[5:]}"
    return kind


def signature(entry: Mapping[str, Any]) -> str:
    """``Name(type1,type2)`` of an error, event or function entry."""
    return f"{entry['name']}({','.join(abi_type(i) for i in entry.get('inputs', ()))})"


def enum_of(entry: Mapping[str, Any]) -> type[IntEnum] | None:
    """The Python enum mirroring a parameter's Solidity enum type, if it has one."""
    internal = str(entry.get("internalType", ""))
    if not internal.startswith("enum "):
        return None
    return ENUMS.get(internal.rsplit(".", 1)[-1])


def snake(name: str) -> str:
    """``grantId`` → ``grant_id``, ``sm2PublicKey`` → ``sm2_public_key``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
