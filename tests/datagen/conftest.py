"""A small world generated once per session, shared by the consistency tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from quancheng_datagen import TABLES, Business, Person, World, generate_businesses, generate_people
from quancheng_datagen.facets import Row

SEED = 11


@dataclass
class GeneratedWorld:
    world: World
    people: list[Person]
    businesses: list[Business]
    tables: dict[str, list[Row]]

    def by_id(self) -> dict[str, Person]:
        return {p.id_number: p for p in self.people}


@pytest.fixture(scope="session")
def small_world() -> GeneratedWorld:
    """3,000 people and 300 businesses, every table."""
    from quancheng_datagen import generate_rows

    world = World(SEED, 3000, 300)
    return GeneratedWorld(
        world,
        list(generate_people(SEED, 0, world.people)),
        list(generate_businesses(SEED, 0, world.businesses, people=world.people)),
        {name: list(generate_rows(world, name)) for name in TABLES},
    )
