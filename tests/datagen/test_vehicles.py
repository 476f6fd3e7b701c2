"""车管所 data: plates, VINs, licences, violations."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime

import pytest

from quancheng_datagen import World, WorldTooLargeError, is_valid_jinan_plate, is_valid_vin
from quancheng_datagen.checks import VIN_YEAR_CODES
from quancheng_datagen.context import context
from quancheng_datagen.facets.vehicles import vehicles_of
from quancheng_datagen.vehicle_ids import (
    MAX_PEOPLE_WITH_VEHICLES,
    NEW_ENERGY_PLATES,
    ORDINARY_PLATES,
    PLATE_SPACE,
    plate_from_index,
)
from quancheng_datagen.vocab_domain import ICE_MODELS, NEV_MODELS
from tests.datagen.conftest import GeneratedWorld


def test_plate_space_counts_formats_with_at_most_two_letters() -> None:
    assert ORDINARY_PLATES == 10**5 + 5 * 24 * 10**4 + 10 * 24**2 * 10**3
    assert NEW_ENERGY_PLATES == 2 * 34 * 10**4
    assert MAX_PEOPLE_WITH_VEHICLES >= 3_000_000


def test_plate_encoding_is_injective_and_valid_at_the_edges_and_inside() -> None:
    rng = random.Random(1)
    indices = {0, 1, ORDINARY_PLATES - 1, ORDINARY_PLATES, PLATE_SPACE - 1}
    indices |= {rng.randrange(PLATE_SPACE) for _ in range(50_000)}
    plates = {}
    for n in indices:
        plate, nev = plate_from_index(n)
        assert is_valid_jinan_plate(plate), plate
        assert nev == (n >= ORDINARY_PLATES) == (len(plate) == 8)
        plates[plate] = n
    assert len(plates) == len(indices)
    assert plate_from_index(0) == ("鲁A00000", False)
    assert plate_from_index(ORDINARY_PLATES)[0].startswith("鲁AD")


def test_vehicles_have_unique_valid_plates_and_vins(small_world: GeneratedWorld) -> None:
    rows = small_world.tables["vehicle_registration"]
    assert len({r["plate_no"] for r in rows}) == len(rows) == len({r["vin"] for r in rows})
    wmi = {m.brand + m.model: m.wmi for m in (*ICE_MODELS, *NEV_MODELS)}
    for r in rows:
        vin, registered = str(r["vin"]), r["registration_date"]
        assert isinstance(registered, date)
        assert is_valid_jinan_plate(str(r["plate_no"])) and is_valid_vin(vin)
        assert vin[:3] == wmi[f"{r['brand']}{r['model']}"]
        assert vin[9] == VIN_YEAR_CODES[(registered.year - 1980) % 30]
        assert (r["plate_type"] == "小型新能源汽车") == (r["energy_type"] != "汽油")
        assert (r["mortgagee"] is not None) == (r["status"] == "抵押")
    statuses = Counter(r["status"] for r in rows)
    assert statuses.most_common(1)[0][0] == "正常"
    assert set(statuses) <= {"正常", "抵押", "查封", "报废", "盗抢"}
    new_energy = sum(r["plate_type"] == "小型新能源汽车" for r in rows) / len(rows)
    assert 0.04 < new_energy < 0.15


def test_licences_follow_drink_driving_and_death(small_world: GeneratedWorld) -> None:
    people = small_world.by_id()
    for lic in small_world.tables["driving_licence"]:
        p = people[str(lic["id_number"])]
        assert p.age >= 18 and lic["licence_no"] == lic["id_number"]
        if p.death_date is not None:
            assert lic["status"] == "注销"
        elif p.drink_driving == 2:
            assert lic["status"] == "吊销"
        assert lic["points"] in range(13)
    violations = small_world.tables["traffic_violation"]
    drunk = [r["blood_alcohol_mg_100ml"] for r in violations if r["category"] == "醉酒驾驶"]
    drink = [r["blood_alcohol_mg_100ml"] for r in violations if r["category"] == "饮酒驾驶"]
    assert drunk and all(isinstance(b, int) and b >= 80 for b in drunk)
    assert drink and all(isinstance(b, int) and 20 <= b < 80 for b in drink)


def test_violations_refer_to_existing_licences_and_own_vehicles(
    small_world: GeneratedWorld,
) -> None:
    licences = {r["licence_no"]: r for r in small_world.tables["driving_licence"]}
    plates: dict[object, set[object]] = {}
    for v in small_world.tables["vehicle_registration"]:
        plates.setdefault(v["id_number"], set()).add(v["plate_no"])
    violations = small_world.tables["traffic_violation"]
    assert len({r["record_no"] for r in violations}) == len(violations)
    for r in violations:
        lic = licences[r["licence_no"]]
        occurred, first_issue = r["occurred_at"], lic["first_issue_date"]
        assert isinstance(occurred, datetime) and isinstance(first_issue, date)
        assert lic["id_number"] == r["id_number"] and occurred.date() > first_issue
        assert r["plate_no"] is None or r["plate_no"] in plates[r["id_number"]]
        assert (r["accident_responsibility"] is not None) == (r["category"] == "交通事故")


def test_vehicle_slots_beyond_the_plate_space_are_refused() -> None:
    ctx = context(World(3, MAX_PEOPLE_WITH_VEHICLES + 1000, 0))
    owner = next(p for i in range(MAX_PEOPLE_WITH_VEHICLES, MAX_PEOPLE_WITH_VEHICLES + 1000)
                 if (p := ctx.person(i)).vehicles)
    with pytest.raises(WorldTooLargeError) as err:
        vehicles_of(ctx, owner)
    assert err.value.limit == MAX_PEOPLE_WITH_VEHICLES
