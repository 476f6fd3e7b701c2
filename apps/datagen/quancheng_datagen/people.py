"""Residents: identity (ID number, name, address, phone) and the traits that drive their
records in every department.

A :class:`Person` depends only on (seed, as_of, index): not on how many people the world
holds, nor on which table is being generated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from quancheng_datagen._rng import StreamFactory, Weighted
from quancheng_datagen.cast_scripts import CAST_PEOPLE, PERSON_SCRIPTS, PersonScript
from quancheng_datagen.errors import WorldTooLargeError
from quancheng_datagen.identity import (
    MAX_PEOPLE,
    IdNumberBuilder,
    SlotAllocator,
    birth_ordinal,
)
from quancheng_datagen.vocab_domain import DEATH_CAUSES, LICENCE_CLASSES
from quancheng_datagen.vocab_people import GIVEN_NAME_POOLS, MOBILE_PREFIXES, SURNAMES
from quancheng_datagen.vocab_places import (
    DISTRICT_BY_CODE,
    DISTRICTS,
    ESTATE_PREFIXES,
    ESTATE_SUFFIXES,
)
from quancheng_datagen.world import DEFAULT_AS_OF, EVENT_WINDOW_DAYS


class Person(NamedTuple):
    """A resident as the generator sees it: identity plus the traits behind its records."""

    ordinal: int  # position in the world, 0-based
    id_number: str
    name: str
    gender: str  # 男 / 女 (odd / even sequence digit)
    birth_date: date
    age: int  # whole years at as_of
    residence: str  # division code of the current address
    address: str
    phone: str | None  # none under 12
    death_date: date | None
    death_cause: int  # index into DEATH_CAUSES, -1 when alive
    licence_class: str | None
    vehicles: int  # 0-2
    driving_risk: int  # 0 careful, 1 ordinary, 2 risky
    drink_driving: int  # 0 never, 1 饮酒驾驶, 2 醉酒驾驶
    employment: str  # employee / flexible / none / retired / minor
    salary: int  # yuan per month; 0 when not working
    utility_holder: bool  # the household's water/electricity/gas accounts are in this name
    payment_habit: int  # 0 on time, 1 sometimes late, 2 in arrears
    health: int  # 0 healthy, 1 chronic, 2 serious


_SURNAMES = Weighted(SURNAMES)
_PREFIXES = Weighted(MOBILE_PREFIXES)
_DISTRICTS = Weighted([(d, float(d.population)) for d in DISTRICTS])
_LICENCES = Weighted(LICENCE_CLASSES)
_CAUSES_YOUNG = Weighted([(i, c.weight_young) for i, c in enumerate(DEATH_CAUSES)])
_CAUSES_OLD = Weighted([(i, c.weight_old) for i, c in enumerate(DEATH_CAUSES)])
_DEATH_ICD = {c.icd10: i for i, c in enumerate(DEATH_CAUSES)}
# Salary as a multiple of a 6,500-yuan median: (low, high) bands with their shares.
_SALARY_BANDS = Weighted([((0.55, 0.8), 20.0), ((0.8, 1.1), 35.0), ((1.1, 1.6), 28.0),
                          ((1.6, 2.5), 12.0), ((2.5, 5.0), 5.0)])
_MEDIAN_SALARY = 6500
_ESTATES = tuple(p + s for p in ESTATE_PREFIXES for s in ESTATE_SUFFIXES)


class PeopleFactory:
    """Builds person #i of a seed; use :func:`people_factory` to share one per seed."""

    def __init__(self, seed: int, as_of: date) -> None:
        self.seed = seed
        self.as_of = as_of
        self._as_of_ord = as_of.toordinal()
        self._slots = SlotAllocator(seed)
        self._ids = IdNumberBuilder()
        self._core = StreamFactory(seed, "person", "core")

    def __call__(self, index: int) -> Person:
        if not 0 <= index < MAX_PEOPLE:
            raise WorldTooLargeError("people", index + 1, MAX_PEOPLE)
        if index < CAST_PEOPLE:
            return self._scripted(index, PERSON_SCRIPTS[index])
        district, age, day, seq = self._slots(index)
        code = DISTRICTS[district].code
        id_number, birth = self._ids.build(code, birth_ordinal(self._as_of_ord, age, day), seq)
        age = _age(birth, self.as_of)  # the slot's age, give or take leap days
        return _draw(index, id_number, birth, age, seq & 1, code, self._core(index).random,
                     self._as_of_ord)

    def _scripted(self, index: int, s: PersonScript) -> Person:
        id_number, birth = self._ids.build(s.district, s.birth_date.toordinal(), s.seq)
        age = _age(birth, self.as_of)
        base = _draw(index, id_number, birth, age, s.seq & 1, s.district,
                     self._core(index).random, self._as_of_ord, stay_home=True)
        death = (
            date.fromordinal(self._as_of_ord - s.death_days_before)
            if s.death_days_before is not None else None
        )
        return base._replace(
            name=s.name, residence=s.district, death_date=death,
            death_cause=_DEATH_ICD[s.death_icd10] if s.death_icd10 else -1,
            licence_class=s.licence_class, vehicles=s.vehicles, driving_risk=s.driving_risk,
            drink_driving=s.drink_driving, employment=s.employment,
            salary=s.salary if s.employment in ("employee", "flexible") else 0,
            utility_holder=s.utility_holder, payment_habit=s.payment_habit, health=s.health,
        )


def _age(birth: date, as_of: date) -> int:
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))


def _draw(index: int, id_number: str, birth: date, age: int, male: int, district: str,
          r: Callable[[], float], as_of_ord: int, *, stay_home: bool = False) -> Person:
    """Every random draw of a person's core stream, in a fixed order."""
    surname = _SURNAMES.pick(r())
    for until, men, women in GIVEN_NAME_POOLS:
        if birth.year < until:
            pool = men if male else women
            break
    given = pool[int(r() * len(pool))]
    if r() < 0.72:
        given += pool[int(r() * len(pool))]
    phone = f"{_PREFIXES.pick(r())}{int(r() * 100_000_000):08d}" if age >= 12 else None
    residence = DISTRICT_BY_CODE[district] if r() < 0.78 or stay_home else _DISTRICTS.pick(r())
    road = residence.roads[int(r() * len(residence.roads))]
    estate = _ESTATES[int(r() * len(_ESTATES))]
    floor = 1 + int(r() * 18)
    address = (
        f"济南市{residence.name}{road}{1 + int(r() * 600)}号{estate}{1 + int(r() * 32)}号楼"
        f"{1 + int(r() * 4)}单元{floor}{1 + int(r() * 4):02d}室"
    )
    death_date, cause = _death(r, age, as_of_ord, birth.toordinal())
    licence, vehicles = _driving(r, age)
    risk = 0 if (u := r()) < 0.6 else 1 if u < 0.92 else 2
    drink = 0
    if licence is not None and r() < (0.005, 0.012, 0.06)[risk]:
        drink = 2 if r() < 0.35 else 1
    employment = _employment(r, age, male)
    salary = 0
    if employment in ("employee", "flexible"):
        low, high = _SALARY_BANDS.pick(r())
        salary = int(_MEDIAN_SALARY * (low + (high - low) * r()) / 10) * 10
    holder = age >= 23 and r() < 0.55
    habit = 0 if (u := r()) < 0.86 else 1 if u < 0.97 else 2
    health = _health(r(), age)
    return Person(index, id_number, surname + given, "男" if male else "女", birth, age,
                  residence.code, address, phone, death_date, cause, licence, vehicles, risk,
                  drink, employment, salary, holder, habit, health)


def _death(r: Callable[[], float], age: int, as_of_ord: int, birth_ord: int
           ) -> tuple[date | None, int]:
    p = (0.002 if age < 40 else 0.01 if age < 60 else 0.04 if age < 70
         else 0.10 if age < 80 else 0.25)
    if r() >= p:
        return None, -1
    days_before = min(int(r() * EVENT_WINDOW_DAYS), as_of_ord - birth_ord - 1)
    cause = (_CAUSES_YOUNG if age < 60 else _CAUSES_OLD).pick(r())
    return date.fromordinal(as_of_ord - days_before), cause


def _driving(r: Callable[[], float], age: int) -> tuple[str | None, int]:
    if age < 18:
        return None, 0
    p = 0.45 if age < 25 else 0.65 if age <= 55 else 0.35 if age <= 70 else 0.08
    if r() >= p:
        return None, 1 if r() < 0.02 else 0
    licence = _LICENCES.pick(r())
    if licence == "D":
        return licence, 0
    u = r()
    return licence, 0 if u < 0.35 else 1 if u < 0.9 else 2


def _employment(r: Callable[[], float], age: int, male: int) -> str:
    if age < 16:
        return "minor"
    if age >= (60 if male else 55):
        return "retired"
    u = r()
    if age < 18:
        return "none"
    if age <= 22:
        return "employee" if u < 0.25 else "flexible" if u < 0.30 else "none"
    return "employee" if u < 0.62 else "flexible" if u < 0.74 else "none"


def _health(u: float, age: int) -> int:
    serious, chronic = (0.01, 0.08) if age < 40 else (0.04, 0.25) if age < 60 else (0.12, 0.55)
    return 2 if u < serious else 1 if u < serious + chronic else 0


@lru_cache(maxsize=8)
def people_factory(seed: int, as_of: date = DEFAULT_AS_OF) -> PeopleFactory:
    """The shared factory of a seed (it caches birth-date digit sums)."""
    return PeopleFactory(seed, as_of)


def generate_people(seed: int, start: int = 0, count: int = 1, *,
                    as_of: date = DEFAULT_AS_OF) -> Iterator[Person]:
    """Persons ``start .. start+count-1`` of the seed's world, streamed one by one."""
    if start < 0 or count < 0:
        raise ValueError("start and count must be non-negative")
    if start + count > MAX_PEOPLE:
        raise WorldTooLargeError("people", start + count, MAX_PEOPLE)
    make = people_factory(seed, as_of)
    return map(make, range(start, start + count))
