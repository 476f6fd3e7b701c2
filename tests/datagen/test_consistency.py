"""Cross-department consistency and the correlations the two scenarios rely on."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from quancheng_datagen.vocab_domain import DEATH_CAUSES
from tests.datagen.conftest import GeneratedWorld


def _period(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}"


def test_every_table_is_keyed_by_an_existing_subject(small_world: GeneratedWorld) -> None:
    people = small_world.by_id()
    usccs = {r["uscc"] for r in small_world.tables["business_registration"]}
    assert len(usccs) == small_world.world.businesses
    for name, rows in small_world.tables.items():
        assert rows, f"{name} is empty"
        for r in rows:
            subject = r.get("id_number", r.get("uscc", r.get("subject_id")))
            assert subject in people or subject in usccs, (name, r)


def test_legal_representatives_exist_with_their_names(small_world: GeneratedWorld) -> None:
    people = small_world.by_id()
    for r in small_world.tables["business_registration"]:
        assert people[str(r["legal_rep_id_number"])].name == r["legal_rep_name"]


def test_contributions_refer_to_employers_open_at_the_time(small_world: GeneratedWorld) -> None:
    businesses = {r["uscc"]: r for r in small_world.tables["business_registration"]}
    people = small_world.by_id()
    for table in ("social_security_contribution", "housing_fund_contribution"):
        for r in small_world.tables[table]:
            p = people[str(r["id_number"])]
            assert p.employment in ("employee", "flexible") and p.name == r["name"]
            if p.death_date is not None:
                assert str(r["period"]) <= _period(p.death_date)
            if r["employer_uscc"] is None:
                continue
            employer = businesses[r["employer_uscc"]]
            assert employer["name"] == r["employer_name"]
            established = employer["established_date"]
            assert isinstance(established, date) and _period(established) <= str(r["period"])
            assert (r["status"] == "欠缴") == (r["paid_date"] is None)


def test_social_security_has_gaps_and_arrears_but_mostly_steady_payment(
    small_world: GeneratedWorld,
) -> None:
    rows = small_world.tables["social_security_contribution"]
    months = len(small_world.world.months)
    per_person = Counter(r["id_number"] for r in rows)
    assert Counter(per_person.values()).most_common(1)[0][0] == months
    assert any(n < months for n in per_person.values())
    statuses = Counter(r["status"] for r in rows)
    assert statuses["已缴"] / len(rows) > 0.85 and statuses["欠缴"] and statuses["补缴"]


def test_nothing_happens_after_death(small_world: GeneratedWorld) -> None:
    dead = {p.id_number: p.death_date for p in small_world.people if p.death_date}
    assert 0.005 < len(dead) / len(small_world.people) < 0.05
    registered = {r["id_number"] for r in small_world.tables["death_registration"]}
    assert registered == set(dead)
    for r in small_world.tables["medical_settlement"]:
        if r["id_number"] in dead:
            discharged = r["discharge_date"]
            assert isinstance(discharged, date) and discharged <= dead[str(r["id_number"])]
    for r in small_world.tables["utility_bill"]:
        if r["subject_id"] in dead:
            assert str(r["period"]) <= _period(dead[str(r["subject_id"])])


def test_deaths_from_disease_follow_a_final_stay_with_the_same_diagnosis(
    small_world: GeneratedWorld,
) -> None:
    stays = defaultdict(list)
    for r in small_world.tables["medical_settlement"]:
        if r["visit_type"] == "住院":
            stays[r["id_number"]].append(r)
    disease = {c.icd10 for c in DEATH_CAUSES if c.inpatient is not None}
    checked = 0
    for d in small_world.tables["death_registration"]:
        if d["underlying_cause_icd10"] not in disease:
            continue
        death = d["death_date"]
        assert isinstance(death, date)
        final = [s for s in stays[d["id_number"]] if s["icd10_code"] == d["underlying_cause_icd10"]
                 and 0 <= (death - date.fromisoformat(str(s["discharge_date"]))).days <= 25]
        assert final, d
        if d["death_place_type"] == "医疗机构":
            assert d["issuing_institution"] in {s["hospital_name"] for s in final}
        checked += 1
    assert checked


def test_medical_settlements_add_up(small_world: GeneratedWorld) -> None:
    rows = small_world.tables["medical_settlement"]
    assert {r["visit_type"] for r in rows} == {"门诊", "住院"}
    for r in rows:
        total, covered = r["total_cost_fen"], r["policy_covered_fen"]
        fund, big, own = r["fund_paid_fen"], r["catastrophic_paid_fen"], r["personal_paid_fen"]
        assert isinstance(total, int) and isinstance(covered, int) and isinstance(fund, int)
        assert isinstance(big, int) and isinstance(own, int)
        assert fund + big + own == total and 0 <= fund <= covered <= total and own > 0
        admitted, discharged = r["admission_date"], r["discharge_date"]
        assert isinstance(admitted, date) and isinstance(discharged, date)
        assert admitted <= discharged == r["settlement_date"]
    assert any(r["catastrophic_paid_fen"] for r in rows)


def test_tax_behaviour_follows_the_credit_rating(small_world: GeneratedWorld) -> None:
    latest: dict[object, str] = {}
    for r in sorted(small_world.tables["tax_credit_rating"], key=lambda r: str(r["year"])):
        latest[r["uscc"]] = str(r["rating"])
    ratings = Counter(latest.values())
    assert set(ratings) == {"A", "B", "M", "C", "D"} and ratings.most_common(1)[0][0] == "B"
    unpaid: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for r in small_world.tables["tax_payment"]:
        grade = latest.get(r["uscc"], "-")
        total[grade] += 1
        unpaid[grade] += r["status"] != "已缴"
    assert unpaid["A"] / total["A"] < 0.05 < unpaid["D"] / total["D"]
    penalised = {r["uscc"] for r in small_world.tables["administrative_penalty"]}
    d_firms = {u for u, g in latest.items() if g == "D"}
    a_firms = {u for u, g in latest.items() if g == "A"}
    assert len(penalised & d_firms) / len(d_firms) > len(penalised & a_firms) / len(a_firms)


def test_tax_amounts_scale_with_business_size(small_world: GeneratedWorld) -> None:
    scale = {r["uscc"]: r["scale"] for r in small_world.tables["business_registration"]}
    vat: dict[object, list[int]] = defaultdict(list)
    for r in small_world.tables["tax_payment"]:
        if r["tax_type"] == "增值税":
            vat[scale[r["uscc"]]].append(int(str(r["tax_amount_fen"])))
    mean = {s: sum(v) / len(v) for s, v in vat.items()}
    assert mean["微型"] < mean["小型"] < mean["中型"]


def test_utility_bills_reflect_payment_habits(small_world: GeneratedWorld) -> None:
    habit = {p.id_number: p.payment_habit for p in small_world.people}
    owed: Counter[int] = Counter()
    bills: Counter[int] = Counter()
    for r in small_world.tables["utility_bill"]:
        if r["subject_type"] == "个人":
            h = habit[str(r["subject_id"])]
            bills[h] += 1
            owed[h] += r["status"] == "欠费"
            assert (r["paid_date"] is None) == (r["status"] == "欠费")
    assert owed[0] == 0 and owed[2] / bills[2] > 0.2
