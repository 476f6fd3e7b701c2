"""Market entities: a cheap profile (what employers and tax need) and the full registration.

Business #j depends on (seed, as_of, j) and, through its legal representative, on the
number of people in the world.  Unified social credit codes are unique by construction:
the organisation-code body comes from a keyed permutation of the index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from quancheng_datagen._rng import IndexPermutation, StreamFactory, Weighted
from quancheng_datagen.cast_scripts import BUSINESS_SCRIPTS, CAST_BUSINESSES
from quancheng_datagen.checks import USCC_ALPHABET, org_code_check_char, uscc_check_char
from quancheng_datagen.errors import DatagenError
from quancheng_datagen.naming import business_name
from quancheng_datagen.people import Person, people_factory
from quancheng_datagen.vocab_domain import INDUSTRIES, Industry
from quancheng_datagen.vocab_places import DISTRICTS, District
from quancheng_datagen.world import DEFAULT_AS_OF, add_years

KINDS = Weighted([("enterprise", 78.0), ("individual", 20.0), ("cooperative", 2.0)])
SCALES = Weighted([("微型", 70.0), ("小型", 22.0), ("中型", 6.5), ("大型", 1.5)])
_INDUSTRIES = Weighted([(i, ind.weight) for i, ind in enumerate(INDUSTRIES)])
_INDUSTRY_BY_CODE = {ind.code: i for i, ind in enumerate(INDUSTRIES)}
_DISTRICT_INDEX = Weighted([(i, float(d.population)) for i, d in enumerate(DISTRICTS)])
_QUALITY = Weighted([(0, 15.0), (1, 70.0), (2, 15.0)])
USCC_REFORM = date(2015, 10, 1)  # codes issued from here on have an "MA…" body
#: Annual sales in yuan by scale: (low, high).
REVENUE = {"微型": (300_000, 3_000_000), "小型": (3_000_000, 20_000_000),
           "中型": (20_000_000, 200_000_000), "大型": (200_000_000, 1_000_000_000)}
INDIVIDUAL_REVENUE = (100_000, 800_000)
_CAPITAL_WAN = {"微型": (10, 30, 50, 100), "小型": (100, 200, 500, 1000),
                "中型": (1000, 2000, 3000, 5000), "大型": (5000, 10000, 20000, 50000)}


class BusinessProfile(NamedTuple):
    """What others need to know about a business, from one SHA-256 digest."""

    ordinal: int  # position in the world, 0-based
    kind: str  # enterprise / individual / cooperative
    scale: str  # 微型 / 小型 / 中型 / 大型
    industry: int  # index into INDUSTRIES
    district: int  # index into DISTRICTS
    established: date
    status: str  # 存续 / 注销 / 吊销
    status_date: date | None
    quality: int  # 0 exemplary, 1 ordinary, 2 poor: drives tax, arrears, penalties


class Business(NamedTuple):
    """A registered market entity with its legal representative."""

    profile: BusinessProfile
    uscc: str
    name: str
    entity_type: str
    district: District
    industry: Industry
    address: str
    phone: str
    legal_rep: Person
    capital: int  # registered capital, yuan
    term_until: date | None  # None: 长期
    revenue: int  # annual sales, yuan
    authority: str


def _unit(x: int) -> tuple[float, int]:
    """A uniform draw from the low 24 bits of ``x``, and the rest of ``x``."""
    return (x & 0xFFFFFF) / 16_777_216, x >> 24


class BusinessFactory:
    """Builds business #j of a world; share one through :func:`business_factory`."""

    def __init__(self, seed: int, people: int, as_of: date) -> None:
        if people <= 0:
            raise DatagenError("businesses need people to act as legal representatives")
        self.seed, self.people, self.as_of = seed, people, as_of
        self._as_of_ord = as_of.toordinal()
        self._profile = StreamFactory(seed, "business", "profile")
        self._core = StreamFactory(seed, "business", "core")
        self._new_codes = IndexPermutation(31**6, seed, "org-code-ma")
        self._old_codes = IndexPermutation(10**8, seed, "org-code-numeric")
        self._people = people_factory(seed, as_of)

    def profile(self, index: int) -> BusinessProfile:
        """The business's profile (cheap: no random.Random, one digest)."""
        if index < CAST_BUSINESSES:
            s = BUSINESS_SCRIPTS[index]
            district = next(i for i, d in enumerate(DISTRICTS) if d.code == s.district)
            return BusinessProfile(index, "enterprise", s.scale, _INDUSTRY_BY_CODE[s.industry],
                                   district, s.established, "存续", None, s.quality)
        x = int.from_bytes(self._profile.digest(index), "big")
        draws = []
        for _ in range(8):
            u, x = _unit(x)
            draws.append(u)
        kind = KINDS.pick(draws[0])
        scale = SCALES.pick(draws[1]) if kind == "enterprise" else "微型"
        age_days = 30 + int(28 * 365 * draws[4] * draws[4])
        established = date.fromordinal(self._as_of_ord - age_days)
        status, status_date, quality = "存续", None, _QUALITY.pick(draws[6])
        if age_days > 400 and draws[5] < 0.18:
            status = "注销" if draws[5] < 0.13 else "吊销"
            status_date = date.fromordinal(self._as_of_ord - int((age_days - 365) * draws[7]))
            quality = 2 if status == "吊销" else quality
        return BusinessProfile(index, kind, scale, _INDUSTRIES.pick(draws[2]),
                               _DISTRICT_INDEX.pick(draws[3]), established, status,
                               status_date, quality)

    def uscc(self, profile: BusinessProfile) -> str:
        """GB 32100 code: authority 9, type 1/2/3, division, organisation code, check."""
        kind_code = {"enterprise": "1", "individual": "2", "cooperative": "3"}[profile.kind]
        if profile.established >= USCC_REFORM or profile.kind != "enterprise":
            n = self._new_codes(profile.ordinal)
            body = "MA" + "".join(USCC_ALPHABET[n // 31**k % 31] for k in range(5, -1, -1))
        else:
            body = f"{self._old_codes(profile.ordinal):08d}"
        first17 = f"9{kind_code}{DISTRICTS[profile.district].code}{body}{org_code_check_char(body)}"
        return first17 + uscc_check_char(first17)

    def __call__(self, index: int) -> Business:
        p = self.profile(index)
        r = self._core(index).random
        district, industry = DISTRICTS[p.district], INDUSTRIES[p.industry]
        rep = self._legal_rep(index, p, r)
        name, entity_type = business_name(p.kind, p.scale, district, industry, rep.name, r)
        if index < CAST_BUSINESSES:
            name = BUSINESS_SCRIPTS[index].name
        road = district.roads[int(r() * len(district.roads))]
        address = f"山东省济南市{district.name}{road}{1 + int(r() * 3000)}号"
        if p.kind == "enterprise":
            address += f"{1 + int(r() * 28)}{1 + int(r() * 20):02d}室"
        phone = f"0531-{'865'[int(r() * 3)]}{int(r() * 10_000_000):07d}"
        if p.kind == "enterprise":
            capital = _CAPITAL_WAN[p.scale][int(r() * 4)] * 10_000
            low, high = REVENUE[p.scale]
        else:
            capital = (1 + int(r() * 50)) * 10_000
            low, high = INDIVIDUAL_REVENUE
        revenue = int((low + (high - low) * r() * r()) / 1000) * 1000
        if index < CAST_BUSINESSES:
            revenue = BUSINESS_SCRIPTS[index].revenue
        term = None if r() < 0.7 else add_years(p.established, (20, 30, 50)[int(r() * 3)])
        authority = (
            "济南市市场监督管理局" if p.scale in ("中型", "大型")
            else f"济南市{district.name}市场监督管理局" if district.name.endswith("区")
            else f"{district.name}市场监督管理局"
        )
        return Business(p, self.uscc(p), name, entity_type, district, industry, address, phone,
                        rep, capital, term, revenue, authority)

    def _legal_rep(self, index: int, p: BusinessProfile, r: Callable[[], float]) -> Person:
        if index < CAST_BUSINESSES and BUSINESS_SCRIPTS[index].legal_rep < self.people:
            return self._people(BUSINESS_SCRIPTS[index].legal_rep)
        established_ord = p.established.toordinal()
        person = self._people(int(r() * self.people))
        for _ in range(24):  # an adult at establishment, alive while the business is
            alive = person.death_date is None or (
                p.status_date is not None and person.death_date > p.status_date)
            if alive and established_ord - person.birth_date.toordinal() >= 20 * 365:
                break
            person = self._people(int(r() * self.people))
        return person


@lru_cache(maxsize=8)
def business_factory(seed: int, people: int, as_of: date = DEFAULT_AS_OF) -> BusinessFactory:
    """The shared factory of a world."""
    return BusinessFactory(seed, people, as_of)


def generate_businesses(seed: int, start: int = 0, count: int = 1, *, people: int,
                        as_of: date = DEFAULT_AS_OF) -> Iterator[Business]:
    """Businesses ``start .. start+count-1``; legal representatives among ``people`` residents."""
    if start < 0 or count < 0:
        raise ValueError("start and count must be non-negative")
    make = business_factory(seed, people, as_of)
    return map(make, range(start, start + count))

