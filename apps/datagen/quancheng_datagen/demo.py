"""The demo cast as the end-to-end demo sees it: who to query, by role.

The cast's ID numbers do not depend on the seed; their plates, USCCs and records do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from quancheng_datagen.cast_scripts import (
    BUSINESS_SCRIPTS,
    CAST_BUSINESSES,
    CAST_PEOPLE,
    PERSON_SCRIPTS,
)
from quancheng_datagen.context import context
from quancheng_datagen.errors import DemoCastUnavailableError
from quancheng_datagen.facets.vehicles import vehicles_of
from quancheng_datagen.world import DEFAULT_AS_OF, DEFAULT_SEED, World


@dataclass(frozen=True)
class CastPerson:
    """A demo person: role, what the demo shows with them, and their identifiers."""

    role: str
    summary: str
    ordinal: int
    id_number: str
    name: str
    plates: tuple[str, ...]


@dataclass(frozen=True)
class CastBusiness:
    """A demo business and its legal representative."""

    role: str
    summary: str
    ordinal: int
    uscc: str
    name: str
    legal_rep_id_number: str
    legal_rep_name: str = ""


@dataclass(frozen=True)
class DemoCast:
    """The demo's subjects by role (``cast.people["motor_claimant"].id_number``)."""

    people: dict[str, CastPerson]
    businesses: dict[str, CastBusiness]


#: The smallest world that holds the whole cast.
MIN_PEOPLE, MIN_BUSINESSES = CAST_PEOPLE, CAST_BUSINESSES


def demo_cast(seed: int = DEFAULT_SEED, *, people: int = MIN_PEOPLE,
              businesses: int = MIN_BUSINESSES, as_of: date = DEFAULT_AS_OF) -> DemoCast:
    """The cast of the world (seed, people, businesses, as_of), which must hold it all."""
    if people < MIN_PEOPLE or businesses < MIN_BUSINESSES:
        raise DemoCastUnavailableError(people, businesses, MIN_PEOPLE, MIN_BUSINESSES)
    ctx = context(World(seed, people, businesses, as_of))
    cast_people = {}
    for i, script in enumerate(PERSON_SCRIPTS):
        p = ctx.person(i)
        plates = tuple(v.plate for v in vehicles_of(ctx, p))
        cast_people[script.role] = CastPerson(script.role, script.summary, i, p.id_number,
                                              p.name, plates)
    cast_businesses = {}
    for j, bscript in enumerate(BUSINESS_SCRIPTS):
        b = ctx.business(j)
        cast_businesses[bscript.role] = CastBusiness(bscript.role, bscript.summary, j, b.uscc,
                                                     b.name, b.legal_rep.id_number,
                                                     b.legal_rep.name)
    return DemoCast(cast_people, cast_businesses)
