"""Market entities: USCCs, names, legal representatives."""

from __future__ import annotations

import re
from collections import Counter

from quancheng_datagen import generate_businesses, generate_people, is_valid_uscc
from quancheng_datagen.businesses import USCC_REFORM
from quancheng_datagen.vocab_places import JINAN_DIVISION_CODES

PEOPLE = 5000


def test_usccs_have_both_check_chars_valid_and_are_unique() -> None:
    businesses = list(generate_businesses(9, 0, 5000, people=PEOPLE))
    codes = [b.uscc for b in businesses]
    assert len(set(codes)) == len(codes)
    for b in businesses:
        assert is_valid_uscc(b.uscc), b.uscc
        assert b.uscc[2:8] in JINAN_DIVISION_CODES and b.uscc[2:8] == b.district.code
        kind_code = {"enterprise": "91", "individual": "92", "cooperative": "93"}
        assert b.uscc[:2] == kind_code[b.profile.kind]
        if b.profile.kind == "enterprise" and b.profile.established < USCC_REFORM:
            assert b.uscc[8:16].isdigit()  # a pre-reform organisation code
        else:
            assert b.uscc[8:10] == "MA"


def test_names_follow_the_registry_pattern() -> None:
    for b in generate_businesses(9, 0, 2000, people=PEOPLE):
        if b.profile.kind == "enterprise":
            assert re.fullmatch(r"济南[\u4e00-\u9fff]{2}[\u4e00-\u9fff]+有限公司", b.name), b.name
        elif b.profile.kind == "individual":
            assert b.name.startswith(f"济南市{b.district.name}{b.legal_rep.name[0]}")
        else:
            assert b.name.endswith("专业合作社")


def test_legal_representatives_are_adult_residents_of_the_world() -> None:
    people = {p.id_number: p for p in generate_people(9, 0, PEOPLE)}
    for b in generate_businesses(9, 0, 2000, people=PEOPLE):
        rep = people[b.legal_rep.id_number]
        assert rep == b.legal_rep
        assert (b.profile.established - rep.birth_date).days >= 20 * 365


def test_scales_statuses_and_capital_are_plausible() -> None:
    businesses = list(generate_businesses(9, 0, 3000, people=PEOPLE))
    scales = Counter(b.profile.scale for b in businesses)
    assert scales.most_common(1)[0][0] == "微型" and scales["大型"] < scales["中型"]
    statuses = Counter(b.profile.status for b in businesses)
    assert 0.75 < statuses["存续"] / len(businesses) < 0.9
    for b in businesses:
        if b.profile.status != "存续":
            assert b.profile.status_date is not None
            assert b.profile.established < b.profile.status_date
        assert b.capital >= 10_000 and b.revenue > 0
