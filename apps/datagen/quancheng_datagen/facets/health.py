"""民政 / 卫健 death registrations and 医保局 basic medical-insurance settlements.

Deaths from disease follow a final hospital stay whose settlement carries the same
diagnosis, and the death certificate is issued by that hospital when death occurs there:
a life insurer and a medical insurer see one consistent story.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import NamedTuple

from quancheng_datagen._rng import Weighted, scramble
from quancheng_datagen.cast_scripts import person_script
from quancheng_datagen.context import Context
from quancheng_datagen.facets import Row
from quancheng_datagen.people import Person
from quancheng_datagen.vocab_domain import (
    DEATH_CAUSES,
    DEATH_PLACES,
    INPATIENT_DIAGNOSES,
    OUTPATIENT_DIAGNOSES,
    Diagnosis,
)
from quancheng_datagen.vocab_places import CHILDREN_HOSPITAL, CITY_HOSPITALS, DISTRICT_BY_CODE
from quancheng_datagen.world import EVENT_WINDOW_DAYS

_PLACES = Weighted(DEATH_PLACES)
_OUTPATIENT_COUNTS = (
    Weighted([(0, 40.0), (1, 30.0), (2, 20.0), (3, 10.0)]),
    Weighted([(3, 20.0), (5, 30.0), (8, 30.0), (12, 20.0)]),
    Weighted([(6, 25.0), (10, 35.0), (15, 25.0), (20, 15.0)]),
)
_INPATIENT_COUNTS = (
    Weighted([(0, 92.0), (1, 8.0)]),
    Weighted([(0, 75.0), (1, 20.0), (2, 5.0)]),
    Weighted([(1, 30.0), (2, 35.0), (3, 20.0), (4, 15.0)]),
)
_BY_ICD = {d.icd10: d for d in INPATIENT_DIAGNOSES}
_DEMO_HOSPITAL = ("山东省立医院", "三级")
_CATASTROPHIC_THRESHOLD_FEN = 1_500_000  # 15,000 yuan of covered costs left to the patient


class Visit(NamedTuple):
    inpatient: bool
    admission: date
    discharge: date
    hospital: tuple[str, str]
    diagnosis: Diagnosis


def final_hospital(ctx: Context, p: Person) -> tuple[str, str]:
    """Where a person who died of disease spent their last stay."""
    r = ctx.stream("person", "final-stay")(p.ordinal).random
    return _hospital(r, p)


def _hospital(r: Callable[[], float], p: Person) -> tuple[str, str]:
    if p.age < 14:
        return CHILDREN_HOSPITAL
    if r() < 0.5:
        return CITY_HOSPITALS[int(r() * len(CITY_HOSPITALS))]
    district = DISTRICT_BY_CODE[p.residence]
    return district.local_hospital, district.local_hospital_level


def death_registration_rows(ctx: Context, p: Person) -> list[Row]:
    if p.death_date is None:
        return []
    r = ctx.stream("person", "death")(p.ordinal).random
    cause = DEATH_CAUSES[p.death_cause]
    if cause.inpatient is not None:
        place = "医疗机构" if r() < 0.75 else "家中"
    else:
        place = _PLACES.pick(r())
    if place == "医疗机构":
        institution = (final_hospital(ctx, p) if cause.inpatient else _hospital(r, p))[0]
    else:
        institution = DISTRICT_BY_CODE[p.residence].local_hospital
    death = p.death_date.toordinal()
    cremation = death + 2 + int(r() * 3)
    hukou = death + 7 + int(r() * 34)
    return [{
        "id_number": p.id_number, "name": p.name, "gender": p.gender,
        "birth_date": p.birth_date, "death_date": p.death_date, "death_place_type": place,
        "cause_category": cause.category, "underlying_cause_icd10": cause.icd10,
        "certificate_no": f"S{p.death_date.year}{scramble(p.ordinal, 10**9):09d}",
        "issuing_institution": institution,
        "cremation_date": date.fromordinal(cremation) if cremation <= ctx.as_of_ord else None,
        "hukou_cancelled_date": date.fromordinal(hukou) if hukou <= ctx.as_of_ord else None,
    }]


def visits_of(ctx: Context, p: Person, r: Callable[[], float]) -> list[Visit]:
    """Hospital visits in the event window, oldest first."""
    start = ctx.as_of_ord - EVENT_WINDOW_DAYS
    end = p.death_date.toordinal() if p.death_date else ctx.as_of_ord + 1
    visits: list[Visit] = []
    for _ in range(_OUTPATIENT_COUNTS[p.health].pick(r()) if start < end else 0):
        day = date.fromordinal(start + int(r() * (end - start)))
        diagnosis = OUTPATIENT_DIAGNOSES[int(r() * len(OUTPATIENT_DIAGNOSES))]
        visits.append(Visit(False, day, day, _hospital(r, p), diagnosis))
    for _ in range(_INPATIENT_COUNTS[p.health].pick(r()) if start < end else 0):
        discharge = start + int(r() * (end - start))
        diagnosis = _plausible(INPATIENT_DIAGNOSES[int(r() * len(INPATIENT_DIAGNOSES))], p)
        visits.append(_stay(r, discharge, _hospital(r, p), diagnosis))
    cause = DEATH_CAUSES[p.death_cause] if p.death_date else None
    if p.death_date is not None and cause is not None and cause.inpatient is not None:
        discharge = p.death_date.toordinal() - (0 if r() < 0.75 else 3 + int(r() * 20))
        visits.append(_stay(r, discharge, final_hospital(ctx, p), cause.inpatient))
    script = person_script(p.ordinal)
    if script is not None and script.inpatient_days_before is not None and script.inpatient_icd10:
        discharge = ctx.as_of_ord - script.inpatient_days_before
        visits.append(_stay(r, discharge, _DEMO_HOSPITAL, _BY_ICD[script.inpatient_icd10]))
    visits.sort(key=lambda v: (v.admission, v.inpatient))
    return visits


def _stay(r: Callable[[], float], discharge: int, hospital: tuple[str, str],
          diagnosis: Diagnosis) -> Visit:
    length = 3 + int(r() * 18)
    return Visit(True, date.fromordinal(discharge - length), date.fromordinal(discharge),
                 hospital, diagnosis)


def _plausible(d: Diagnosis, p: Person) -> Diagnosis:
    if d.icd10 == "O80.0" and not (p.gender == "女" and 20 <= p.age <= 45):
        return _BY_ICD["J18.9"]
    if d.icd10 == "C50.9" and p.gender == "男":
        return _BY_ICD["C34.9"]
    return d


def medical_settlement_rows(ctx: Context, p: Person) -> list[Row]:
    r = ctx.stream("person", "medical")(p.ordinal).random
    employee = p.employment in ("employee", "flexible") or (
        p.employment == "retired" and r() < 0.6)
    insurance = "职工基本医疗保险" if employee else "城乡居民基本医疗保险"
    serial = scramble(p.ordinal, 10**9)
    rows: list[Row] = []
    for k, v in enumerate(visits_of(ctx, p, r)):
        total = int((v.diagnosis.cost_low + (v.diagnosis.cost_high - v.diagnosis.cost_low) * r())
                    * 100)
        covered = total * (78 + int(r() * 18)) // 100
        level = v.hospital[1]
        if v.inpatient:
            deductible = 100_000 if level == "三级" else 60_000
            rate = ((850 if level == "三级" else 880) if employee
                    else (600 if level == "三级" else 700))
            rate += 50 if employee and p.employment == "retired" else 0
            fund = max(0, covered - deductible) * rate // 1000
            catastrophic = max(0, covered - fund - _CATASTROPHIC_THRESHOLD_FEN) * 600 // 1000
        else:
            fund = covered * (600 if employee else 500) // 1000
            catastrophic = 0
        rows.append({
            "settlement_no": f"YB{serial:09d}{k:03d}", "id_number": p.id_number,
            "name": p.name, "insurance_type": insurance, "hospital_name": v.hospital[0],
            "hospital_level": level, "visit_type": "住院" if v.inpatient else "门诊",
            "admission_date": v.admission, "discharge_date": v.discharge,
            "settlement_date": v.discharge, "icd10_code": v.diagnosis.icd10,
            "diagnosis": v.diagnosis.name, "total_cost_fen": total, "policy_covered_fen": covered,
            "fund_paid_fen": fund, "catastrophic_paid_fen": catastrophic,
            "personal_paid_fen": total - fund - catastrophic,
        })
    return rows
