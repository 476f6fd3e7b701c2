"""The parameters that fix a generated world, and the calendar its histories cover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import NamedTuple

from quancheng_datagen.errors import DatagenError

#: Records are generated as of this day unless told otherwise: fixed, so that a world is
#: reproducible whatever the day it is generated on.
DEFAULT_AS_OF = date(2026, 10, 31)
DEFAULT_SEED = 20261031

#: Monthly histories (contributions, bills, tax) cover this many months up to ``as_of``.
HISTORY_MONTHS = 24
#: Event histories (violations, medical settlements, deaths) cover this many days.
EVENT_WINDOW_DAYS = 3 * 365


class Month(NamedTuple):
    """One calendar month of a history."""

    period: str  # YYYYMM, as departments write 费款所属期
    year: int
    month: int
    first: date
    last: date


@dataclass(frozen=True)
class World:
    """Everything that determines the generated records: same world, same bytes.

    Args:
        seed: any integer; every record derives from it through SHA-256.
        people: number of residents (indices ``0 .. people-1``).
        businesses: number of registered market entities (indices ``0 .. businesses-1``).
        as_of: the day the data is extracted; histories end on or before it.
    """

    seed: int
    people: int
    businesses: int
    as_of: date = DEFAULT_AS_OF

    def __post_init__(self) -> None:
        if self.people < 0 or self.businesses < 0:
            raise DatagenError("people and businesses must be non-negative")
        if self.businesses and not self.people:
            raise DatagenError("businesses need people to act as legal representatives")

    @cached_property
    def months(self) -> tuple[Month, ...]:
        """The last ``HISTORY_MONTHS`` complete months, oldest first."""
        return months_before(self.as_of, HISTORY_MONTHS)


def months_before(as_of: date, count: int) -> tuple[Month, ...]:
    """The ``count`` months ending with ``as_of``'s month if ``as_of`` closes it."""
    year, month = as_of.year, as_of.month
    if (as_of + timedelta(days=1)).month == as_of.month:  # month not complete yet
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    out: list[Month] = []
    for _ in range(count):
        first = date(year, month, 1)
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        out.append(Month(f"{year:04d}{month:02d}", year, month, first, nxt - timedelta(days=1)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(reversed(out))


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
