"""Resident ID numbers, and development's demo identities.

The demo list stands in for the government app's real-name check in development only; outside
it the settings refuse a list and owners get in with their key or an enrollment code
(:mod:`quancheng_portal.core.enrollment`, issued after the authority's own check). Either way
the portal only needs the resident ID number long enough to turn it into the owner's keyed
pseudonym: the number is never stored by the portal and never goes on chain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from quancheng.crypto import normalize_identifier
from quancheng.errors import ConfigError
from quancheng.protocol.invitations import resident_id_check_character

__all__ = [
    "BUILTIN_PEOPLE",
    "DemoPerson",
    "load_people",
    "mask_resident_id",
    "resident_id_check_digit",
    "valid_resident_id",
]

def resident_id_check_digit(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of a resident ID number (the
    SDK's, which checks the ID numbers banks send in invitations)."""
    return resident_id_check_character(first17)


def valid_resident_id(resident_id: str) -> bool:
    """An 18-character resident ID number (GB 11643) whose check character is right."""
    first17, check = resident_id[:17], resident_id[17:]
    return (
        len(resident_id) == 18
        and first17.isascii()
        and first17.isdigit()
        and (resident_id_check_digit(first17) == check)
    )


def mask_resident_id(resident_id: str) -> str:
    """The ID number as shown: region and last four, the rest hidden."""
    return resident_id[:6] + "*" * (len(resident_id) - 10) + resident_id[-4:]


@dataclass(frozen=True)
class DemoPerson:
    """A person the demo real-name check can return.

    Attributes:
        key: An opaque key for the sign-in form (never the ID number).
        name: The person's name.
        resident_id: The resident ID number (18 characters).
    """

    key: str
    name: str
    resident_id: str

    id_kind = "resident_id"

    @property
    def id_number(self) -> str:
        return self.resident_id

    @property
    def greeting(self) -> str:
        """``姓名（370102********7627）``."""
        return f"{self.name}（{self.masked_id}）"

    @property
    def masked_id(self) -> str:
        """The ID number as the page shows it: region and last four, the rest hidden."""
        return mask_resident_id(self.resident_id)


def _person(key: str, name: str, first17: str) -> DemoPerson:
    return DemoPerson(key, name, first17 + resident_id_check_digit(first17))


#: Fictional residents of Jinan (区划 3701xx); their data exists only in demo databases.
BUILTIN_PEOPLE: tuple[DemoPerson, ...] = (
    _person("p1", "王秀英", "37010219850312762"),
    _person("p2", "李建国", "37010319780921351"),
    _person("p3", "张丽", "37010419920105204"),
    _person("p4", "刘洋", "37011219880717653"),
)


def load_people(path: Path | None) -> tuple[DemoPerson, ...]:
    """The demo identities of ``path`` (JSON ``[{"name", "resident_id"}]``), or the built-in ones.

    Raises:
        ConfigError: The file cannot be read or is not such a list.
    """
    if path is None:
        return BUILTIN_PEOPLE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        people = tuple(
            DemoPerson(
                str(item.get("key") or f"p{i + 1}"),
                str(item["name"]),
                normalize_identifier(str(item["resident_id"])),
            )
            for i, item in enumerate(raw)
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"demo people file {path}: {exc}") from None
    if not people or len({p.key for p in people}) != len(people):
        raise ConfigError(f"demo people file {path}: empty, or two people share a key")
    return people
