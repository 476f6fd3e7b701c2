"""Resident ID numbers that are unique by construction.

Random IDs would collide (about 2,500 times in a million people): instead person #i is
sent by a keyed permutation to a *slot*, and each slot is one (district, age, day, sequence)
tuple.  Slots are laid out in blocks whose sizes follow the districts' populations and the
age pyramid, so a uniformly random slot has a realistic district and age.  Sequence
numbers 900-999 are never handed out this way: the demo cast uses them.
"""

from __future__ import annotations

from bisect import bisect
from datetime import date
from typing import NamedTuple

from quancheng_datagen._rng import IndexPermutation
from quancheng_datagen.checks import ID_CHECK_CHARS, ID_WEIGHTS
from quancheng_datagen.vocab_places import DISTRICTS

# (first age, last age, share of the population in %): a rounded age pyramid.
AGE_BANDS = (
    (0, 17, 15.0), (18, 29, 14.0), (30, 39, 17.0), (40, 49, 15.0), (50, 59, 17.0),
    (60, 69, 12.0), (70, 79, 7.0), (80, 89, 2.6), (90, 99, 0.4),
)
_TARGET_SLOTS = 100_000_000
SCRIPTED_SEQ_FLOOR = 900  # sequence numbers from here on are reserved for the demo cast


class Slot(NamedTuple):
    district: int  # index into DISTRICTS
    age: int  # whole years at ``as_of``
    day: int  # 0..364: days to subtract beyond ``age`` years
    seq: int  # 1..899


def _age_weights() -> list[float]:
    weights = [0.0] * 100
    for first, last, share in AGE_BANDS:
        for age in range(first, last + 1):
            weights[age] = share / (last - first + 1)
    return weights


def _layout() -> tuple[list[int], list[tuple[int, int]]]:
    ages = _age_weights()
    age_total = sum(ages)
    pop_total = sum(d.population for d in DISTRICTS)
    ends: list[int] = []
    blocks: list[tuple[int, int]] = []
    end = 0
    for di, district in enumerate(DISTRICTS):
        for age, weight in enumerate(ages):
            size = int(district.population / pop_total * weight / age_total * _TARGET_SLOTS)
            if size > 365 * (SCRIPTED_SEQ_FLOOR - 1):
                raise AssertionError("a slot block overflows the sequence numbers")
            end += size
            ends.append(end)
            blocks.append((di, age))
    return ends, blocks


_BLOCK_ENDS, _BLOCKS = _layout()
#: How many distinct people the generator can hand resident IDs to.
MAX_PEOPLE = _BLOCK_ENDS[-1]


class SlotAllocator:
    """person index -> slot, a bijection keyed by the seed."""

    __slots__ = ("_perm",)

    def __init__(self, seed: int) -> None:
        self._perm = IndexPermutation(MAX_PEOPLE, seed, "resident-slot")

    def __call__(self, index: int) -> Slot:
        slot = self._perm(index)
        block = bisect(_BLOCK_ENDS, slot)
        offset = slot - (_BLOCK_ENDS[block - 1] if block else 0)
        district, age = _BLOCKS[block]
        return Slot(district, age, offset % 365, offset // 365 + 1)


def birth_ordinal(as_of_ordinal: int, age: int, day: int) -> int:
    """Birth day of a slot: injective in (age, day) because years differ by >= 365 days."""
    return as_of_ordinal - age * 3_652_425 // 10_000 - day


class IdNumberBuilder:
    """Builds 18-digit IDs quickly: weighted sums of the parts are cached."""

    __slots__ = ("_dates", "_district_sums", "_seq_sums")

    def __init__(self) -> None:
        self._district_sums = {
            d.code: sum(int(c) * w for c, w in zip(d.code, ID_WEIGHTS[:6], strict=True))
            for d in DISTRICTS
        }
        self._seq_sums = [
            sum(int(c) * w for c, w in zip(f"{s:03d}", ID_WEIGHTS[14:], strict=True))
            for s in range(1000)
        ]
        self._dates: dict[int, tuple[date, str, int]] = {}

    def birth(self, ordinal: int) -> tuple[date, str, int]:
        """(date, YYYYMMDD, weighted digit sum) of a birth day."""
        cached = self._dates.get(ordinal)
        if cached is None:
            day = date.fromordinal(ordinal)
            digits = f"{day.year:04d}{day.month:02d}{day.day:02d}"
            total = sum(int(c) * w for c, w in zip(digits, ID_WEIGHTS[6:14], strict=True))
            cached = self._dates[ordinal] = (day, digits, total)
        return cached

    def build(self, district_code: str, birth_ord: int, seq: int) -> tuple[str, date]:
        """The ID number and birth date of (division, birth day, sequence)."""
        day, digits, date_sum = self.birth(birth_ord)
        total = self._district_sums[district_code] + date_sum + self._seq_sums[seq]
        return f"{district_code}{digits}{seq:03d}{ID_CHECK_CHARS[total % 11]}", day
