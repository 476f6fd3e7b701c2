"""Enterprises (企业) as owners, and the identity authority's registration data about them.

An enterprise is an owner like a person: its pseudonym is the authority's keyed pseudonym of
``("uscc", code)`` and its key is bound on chain by the authority's attestation. The legal
representative (法定代表人) holds that key. Before issuing an enterprise's enrollment code the
authority checks that the person in front of it is the registered legal representative; the
registration data (from the market-regulation records) is a JSON list
``[{"uscc", "name", "legal_rep", "legal_rep_id"}]`` (``QC_PORTAL_ENTERPRISES_FILE``). In
development the built-in demo enterprises stand in when no file is set. A USCC and an
enterprise's name are public registration facts; the legal representative's ID number is
only compared, never stored by the portal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from quancheng.crypto import normalize_identifier
from quancheng.errors import ConfigError, QuanchengError
from quancheng.protocol.invitations import id_number_problem
from quancheng_portal.core.people import BUILTIN_PEOPLE, DemoPerson, mask_resident_id

__all__ = [
    "BUILTIN_ENTERPRISES",
    "ENTERPRISE_PREFIX",
    "DemoEnterprise",
    "DemoOwner",
    "load_enterprises",
    "normalize_uscc",
]

#: How a session remembers the enterprise it acts for (``person_key`` column).
ENTERPRISE_PREFIX = "uscc:"


def normalize_uscc(text: str) -> str | None:
    """The USCC as registered (upper case, no spaces), or None if it cannot be one."""
    try:
        code = normalize_identifier(text).upper()
    except QuanchengError:
        return None
    return code if id_number_problem("uscc", code) is None else None


@dataclass(frozen=True)
class DemoEnterprise:
    """An enterprise of the registration data (or development's demo list).

    Attributes:
        key: An opaque key for the demo sign-in form (never the USCC).
        name: The registered name.
        uscc: The unified social credit code (18 characters, GB 32100).
        legal_rep: The legal representative's name.
        legal_rep_id: Their resident ID number (compared at enrollment; never shown in full).
    """

    key: str
    name: str
    uscc: str
    legal_rep: str
    legal_rep_id: str = ""

    id_kind = "uscc"

    @property
    def id_number(self) -> str:
        return self.uscc

    @property
    def masked_id(self) -> str:
        """What the page shows as its identifier: the USCC (public)."""
        return self.uscc

    @property
    def greeting(self) -> str:
        """``企业名（法定代表人 张三）``."""
        return f"{self.name}（法定代表人 {self.legal_rep}）"

    @property
    def masked_rep_id(self) -> str:
        return mask_resident_id(self.legal_rep_id) if self.legal_rep_id else ""


#: An owner of the demo list: a person, or an enterprise (acted for by its legal representative).
DemoOwner = DemoPerson | DemoEnterprise


def _enterprise(key: str, name: str, uscc: str, rep: DemoPerson) -> DemoEnterprise:
    return DemoEnterprise(key, name, uscc, rep.name, rep.resident_id)


#: Fictional enterprises of Jinan; their legal representatives are demo residents.
BUILTIN_ENTERPRISES: tuple[DemoEnterprise, ...] = (
    _enterprise("e1", "济南泉水餐饮有限公司", "91370102MA3C4L7Q2H", BUILTIN_PEOPLE[1]),
    _enterprise("e2", "山东历下精密机械有限公司", "91370102MA3D8K1N64", BUILTIN_PEOPLE[2]),
)


def load_enterprises(path: Path | None, *, builtin: bool) -> tuple[DemoEnterprise, ...]:
    """The enterprises of ``path``, or (``builtin``: development) the demo ones, or none.

    Raises:
        ConfigError: The file cannot be read, is not such a list, or holds a bad USCC.
    """
    if path is None:
        return BUILTIN_ENTERPRISES if builtin else ()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        found = tuple(
            DemoEnterprise(
                str(item.get("key") or f"e{i + 1}"),
                str(item["name"]),
                str(item["uscc"]),
                str(item["legal_rep"]),
                str(item.get("legal_rep_id") or ""),
            )
            for i, item in enumerate(raw)
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"enterprises file {path}: {exc}") from None
    bad = [e.uscc for e in found if normalize_uscc(e.uscc) != e.uscc]
    if bad or len({e.key for e in found}) != len(found):
        raise ConfigError(f"enterprises file {path}: bad USCC {bad} or two share a key")
    return found
