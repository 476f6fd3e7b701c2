"""Residents: resident IDs, names, phones, addresses, ages."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from quancheng_datagen import (
    DEFAULT_AS_OF,
    Person,
    WorldTooLargeError,
    generate_people,
    is_valid_resident_id,
)
from quancheng_datagen._rng import IndexPermutation
from quancheng_datagen.identity import MAX_PEOPLE, birth_ordinal
from quancheng_datagen.vocab_places import JINAN_DIVISION_CODES

# GB/T 2260: Jinan's ten districts and two counties since the Laiwu merger (2019).
JINAN = {
    "370102": "历下区", "370103": "市中区", "370104": "槐荫区", "370105": "天桥区",
    "370112": "历城区", "370113": "长清区", "370114": "章丘区", "370115": "济阳区",
    "370116": "莱芜区", "370117": "钢城区", "370124": "平阴县", "370126": "商河县",
}


@pytest.fixture(scope="module")
def people() -> list[Person]:
    return list(generate_people(5, 0, 20_000))


def test_division_codes_are_jinans_twelve() -> None:
    from quancheng_datagen.vocab_places import DISTRICT_BY_CODE

    assert set(JINAN) == JINAN_DIVISION_CODES
    assert {code: d.name for code, d in DISTRICT_BY_CODE.items()} == JINAN


def test_resident_ids_are_valid_unique_and_consistent(people: list[Person]) -> None:
    assert len({p.id_number for p in people}) == len(people)
    for p in people:
        assert is_valid_resident_id(p.id_number), p
        assert p.id_number[:6] in JINAN
        assert p.id_number[6:14] == p.birth_date.strftime("%Y%m%d")
        assert int(p.id_number[16]) % 2 == (1 if p.gender == "男" else 0)
        assert 0 <= p.age <= 100
        birthday = (p.birth_date.month, p.birth_date.day)
        had_birthday = (DEFAULT_AS_OF.month, DEFAULT_AS_OF.day) >= birthday
        assert p.age == DEFAULT_AS_OF.year - p.birth_date.year - (not had_birthday)


def test_ages_and_districts_follow_the_population(people: list[Person]) -> None:
    adults = sum(p.age >= 18 for p in people) / len(people)
    assert 0.8 < adults < 0.9
    districts = Counter(p.id_number[:6] for p in people)
    assert districts.most_common(1)[0][0] == "370112"  # 历城区 is the most populous
    assert set(districts) == set(JINAN)
    assert 0.45 < sum(p.gender == "男" for p in people) / len(people) < 0.55


def test_surnames_are_common_ones_with_realistic_frequency(people: list[Person]) -> None:
    surnames = Counter(p.name[0] for p in people)
    top4 = {s for s, _ in surnames.most_common(4)}
    assert top4 == {"王", "李", "张", "刘"}
    assert 0.07 < surnames["王"] / len(people) < 0.12
    for p in people[:2000]:
        assert 2 <= len(p.name) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", p.name)


def test_phones_and_addresses_look_like_jinans(people: list[Person]) -> None:
    address = re.compile(
        r"济南市(?:\w+区|\w+县)\w+?(?:路|街|大街|大道)\d+号\w+\d+号楼\d单元\d{3,4}室"
    )
    for p in people[:2000]:
        assert address.fullmatch(p.address), p.address
        assert p.address[3:6] == JINAN[p.residence]
        if p.age >= 12:
            assert p.phone is not None and re.fullmatch(r"1[3-9]\d{9}", p.phone)
        else:
            assert p.phone is None


def test_slot_permutation_is_a_bijection() -> None:
    perm = IndexPermutation(1000, 5, "test")
    assert sorted(perm(i) for i in range(1000)) == list(range(1000))


def test_birth_days_never_collide_across_ages() -> None:
    as_of = DEFAULT_AS_OF.toordinal()
    days = {birth_ordinal(as_of, age, day) for age in range(100) for day in range(365)}
    assert len(days) == 100 * 365


def test_scripted_people_use_reserved_sequence_numbers(people: list[Person]) -> None:
    assert all(int(p.id_number[14:17]) >= 900 for p in people[:10])
    assert all(int(p.id_number[14:17]) < 900 for p in people[10:])


def test_asking_beyond_the_id_space_is_refused() -> None:
    with pytest.raises(WorldTooLargeError) as err:
        list(generate_people(5, MAX_PEOPLE - 1, 2))
    assert err.value.limit == MAX_PEOPLE


def test_person_depends_on_as_of_only_through_dates() -> None:
    later = date(DEFAULT_AS_OF.year + 1, DEFAULT_AS_OF.month, DEFAULT_AS_OF.day)
    a = next(generate_people(5, 123, 1))
    b = next(generate_people(5, 123, 1, as_of=later))
    assert a.name == b.name and a.id_number[:6] == b.id_number[:6]
