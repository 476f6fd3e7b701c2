"""The demo cast's scripted histories, as the end-to-end demo will query them."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from quancheng_datagen import (
    DEFAULT_AS_OF,
    DemoCastUnavailableError,
    World,
    demo_cast,
    generate_rows,
)
from quancheng_datagen.facets import Row

SEED, PEOPLE, BUSINESSES = 20261031, 400, 40
WORLD = World(SEED, PEOPLE, BUSINESSES)
CAST = demo_cast(SEED, people=PEOPLE, businesses=BUSINESSES)


def _of(table: str, subject: str, key: str = "id_number") -> list[Row]:
    rows = generate_rows(WORLD, table, people=range(10), businesses=range(2))
    return [r for r in rows if r.get(key) == subject]


def _days_before_as_of(day: object) -> int:
    assert isinstance(day, date)
    days: int = (DEFAULT_AS_OF - day).days
    return days


def test_cast_identities_do_not_depend_on_the_seed() -> None:
    other = demo_cast(1, people=PEOPLE, businesses=BUSINESSES)
    assert {r: p.id_number for r, p in other.people.items()} == {
        r: p.id_number for r, p in CAST.people.items()}
    assert CAST.people["motor_claimant"].id_number == "370102198605129017"
    assert CAST.people["motor_claimant"].name == "张伟"


def test_motor_claimant_has_a_normal_vehicle_and_licence_and_no_drink_driving() -> None:
    claimant = CAST.people["motor_claimant"]
    (vehicle,) = _of("vehicle_registration", claimant.id_number)
    assert vehicle["status"] == "正常" and vehicle["plate_no"] == claimant.plates[0]
    assert _days_before_as_of(vehicle["inspection_valid_until"]) < 0
    (licence,) = _of("driving_licence", claimant.id_number)
    assert licence["status"] == "正常" and licence["licence_class"] == "C1"
    categories = {r["category"] for r in _of("traffic_violation", claimant.id_number)}
    assert not categories & {"饮酒驾驶", "醉酒驾驶"}


def test_drunk_driver_has_a_drunk_driving_record_and_a_revoked_licence() -> None:
    driver = CAST.people["drunk_driver"]
    drunk = [r for r in _of("traffic_violation", driver.id_number) if r["category"] == "醉酒驾驶"]
    assert len(drunk) == 1 and drunk[0]["plate_no"] == driver.plates[0]
    (licence,) = _of("driving_licence", driver.id_number)
    assert licence["status"] == "吊销"


def test_deceased_insured_died_recently_after_a_hospital_stay() -> None:
    deceased = CAST.people["deceased_insured"]
    (death,) = _of("death_registration", deceased.id_number)
    assert _days_before_as_of(death["death_date"]) == 25
    assert death["underlying_cause_icd10"] == "C34.9"
    stays = [r for r in _of("medical_settlement", deceased.id_number)
             if r["visit_type"] == "住院" and r["icd10_code"] == "C34.9"]
    assert stays and int(str(stays[-1]["fund_paid_fen"])) > 0


def test_patient_has_a_recent_inpatient_settlement_paid_in_part_by_the_fund() -> None:
    patient = CAST.people["inpatient"]
    recent = [r for r in _of("medical_settlement", patient.id_number)
              if r["visit_type"] == "住院" and _days_before_as_of(r["discharge_date"]) == 12]
    (stay,) = recent
    assert stay["hospital_name"] == "山东省立医院" and stay["icd10_code"] == "K35.8"
    assert 0 < int(str(stay["fund_paid_fen"])) < int(str(stay["total_cost_fen"]))
    assert int(str(stay["personal_paid_fen"])) > 0


def test_good_sme_is_a_rated_pays_on_time_and_employs_steadily() -> None:
    firm = CAST.businesses["sme_good"]
    assert firm.legal_rep_id_number == CAST.people["sme_owner"].id_number
    ratings = [r["rating"] for r in _of("tax_credit_rating", firm.uscc, "uscc")]
    assert ratings == ["A", "A", "A"]
    taxes = _of("tax_payment", firm.uscc, "uscc")
    assert taxes and {r["status"] for r in taxes} == {"已缴"}
    rows = [r for r in generate_rows(WORLD, "social_security_contribution", people=range(10))
            if r["employer_uscc"] == firm.uscc]
    per_month = Counter(r["period"] for r in rows)
    assert len(per_month) == len(WORLD.months) and set(per_month.values()) == {6}
    assert {r["status"] for r in rows} == {"已缴"}


def test_bad_sme_is_d_rated_owes_tax_and_was_penalised() -> None:
    firm = CAST.businesses["sme_bad"]
    ratings = [r["rating"] for r in _of("tax_credit_rating", firm.uscc, "uscc")]
    assert ratings[-1] == "D"
    assert "欠税" in {r["status"] for r in _of("tax_payment", firm.uscc, "uscc")}
    assert len(_of("administrative_penalty", firm.uscc, "uscc")) == 2


def test_person_in_arrears_owes_utilities_and_social_security() -> None:
    debtor = CAST.people["arrears"]
    bills = Counter(r["status"] for r in _of("utility_bill", debtor.id_number, "subject_id"))
    assert bills["欠费"] > 0
    contributions = _of("social_security_contribution", debtor.id_number)
    assert contributions[-1]["status"] == "欠缴"
    assert contributions[-1]["contributor_type"] == "灵活就业人员"


def test_a_world_too_small_for_the_cast_is_refused() -> None:
    with pytest.raises(DemoCastUnavailableError) as err:
        demo_cast(SEED, people=5, businesses=2)
    assert err.value.code == "DATAGEN_DEMO_CAST_UNAVAILABLE"
