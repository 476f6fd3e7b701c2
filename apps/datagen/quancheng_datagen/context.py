"""Per-world shared state: factories, facet streams, employer weights, caches."""

from __future__ import annotations

from bisect import bisect
from datetime import date
from functools import cached_property, lru_cache

from quancheng_datagen._rng import IndexPermutation, StreamFactory
from quancheng_datagen.businesses import (
    Business,
    BusinessFactory,
    BusinessProfile,
    business_factory,
)
from quancheng_datagen.people import PeopleFactory, people_factory
from quancheng_datagen.vehicle_ids import PLATE_SPACE
from quancheng_datagen.world import World

#: Relative headcount of an active employer of each scale.
EMPLOYER_WEIGHT = {"微型": 3.0, "小型": 30.0, "中型": 200.0, "大型": 1000.0}


class Context:
    """What every facet of a world needs; build through :func:`context`."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.seed = world.seed
        self.as_of: date = world.as_of
        self.as_of_ord = world.as_of.toordinal()
        self.person: PeopleFactory = people_factory(world.seed, world.as_of)
        self._streams: dict[tuple[str, str], StreamFactory] = {}

    def stream(self, kind: str, facet: str) -> StreamFactory:
        """The stream factory of one facet (``("person", "vehicle")``, …)."""
        key = (kind, facet)
        factory = self._streams.get(key)
        if factory is None:
            factory = self._streams[key] = StreamFactory(self.seed, kind, facet)
        return factory

    @cached_property
    def business(self) -> BusinessFactory:
        """The world's business factory (needs at least one person)."""
        return business_factory(self.seed, self.world.people, self.as_of)

    @cached_property
    def plates(self) -> IndexPermutation:
        """Vehicle slot -> plate number."""
        return IndexPermutation(PLATE_SPACE, self.seed, "plate")

    @cached_property
    def _employer_cum(self) -> list[float]:
        cum: list[float] = []
        total = 0.0
        for j in range(self.world.businesses):
            p = self.business.profile(j)
            if p.status == "存续" and p.kind != "cooperative":
                total += EMPLOYER_WEIGHT[p.scale] if p.kind == "enterprise" else 1.5
            cum.append(total)
        return cum

    def pick_employer(self, u: float) -> BusinessProfile | None:
        """An active employer, likelier the bigger it is; None when there is none."""
        cum = self._employer_cum
        if not cum or cum[-1] == 0.0:
            return None
        return self.business.profile(bisect(cum, u * cum[-1]))

    def employer(self, index: int) -> Business:
        """Business ``index`` in full (cached: employers recur in every month's record)."""
        return _cached_business(self.business, index)


@lru_cache(maxsize=16_384)
def _cached_business(factory: BusinessFactory, index: int) -> Business:
    return factory(index)


@lru_cache(maxsize=8)
def context(world: World) -> Context:
    """The shared context of a world."""
    return Context(world)
