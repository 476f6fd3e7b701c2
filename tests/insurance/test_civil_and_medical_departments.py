"""民政局 (jinan.civil) deaths and 医保局 (jinan.hsa) settlements, per subject and period."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from quancheng.protocol.documents import data_period_seconds
from quancheng_appkit.resource import SqlResource
from quancheng_datagen import DemoCast
from quancheng_datagen.schema import death_registration as dr
from quancheng_datagen.schema import medical_settlement as ms
from quancheng_insurance.departments.jinan_civil import death
from quancheng_insurance.departments.jinan_hsa import settlement
from tests.insurance.helpers import LAST_YEAR, PERIOD


def _ask(
    engine: Engine,
    h: SqlResource,
    subject: str,
    names: tuple[str, ...],
    *,
    derived: bool = False,
    period: tuple[int, int] = PERIOD,
    **params: str,
) -> dict[str, Any]:
    with engine.connect() as conn:
        if derived:
            return h.derive(
                conn, subject_id=subject, indicators=names, period=period, params=params
            )
        return h.fetch(conn, subject_id=subject, fields=names, period=period, params=params)


def _days(first: date, last: date) -> tuple[int, int]:
    return data_period_seconds(first.isoformat(), last.isoformat())


def test_a_death_inside_the_period_is_disclosed(engine: Engine, cast: DemoCast) -> None:
    insured = cast.people["deceased_insured"].id_number
    with engine.connect() as conn:
        row = conn.execute(select(dr).where(dr.c.id_number == insured)).mappings().one()
    data = _ask(engine, death, insured, ("deceased", "death_date", "underlying_cause_icd10"))
    assert data == {
        "deceased": True,
        "death_date": row["death_date"].isoformat(),
        "underlying_cause_icd10": "C34.9",
    }
    assert _ask(engine, death, insured, ("deceased", "accidental_death"), derived=True) == {
        "deceased": True,
        "accidental_death": False,
    }


def test_a_death_outside_the_period_is_not_disclosed(engine: Engine, cast: DemoCast) -> None:
    insured = cast.people["deceased_insured"].id_number
    with engine.connect() as conn:
        died = conn.scalar(select(dr.c.death_date).where(dr.c.id_number == insured))
    assert isinstance(died, date)
    before = _days(date(2024, 1, 1), died - timedelta(days=1))
    assert _ask(
        engine, death, insured, ("deceased", "death_date", "cause_category"), period=before
    ) == {"deceased": False, "death_date": None, "cause_category": None}
    assert _ask(engine, death, insured, ("deceased",), derived=True, period=before) == {
        "deceased": False
    }


def test_a_living_person_has_no_death_record(engine: Engine, cast: DemoCast) -> None:
    alive = cast.people["motor_claimant"].id_number
    assert _ask(engine, death, alive, ("deceased", "certificate_no")) == {
        "deceased": False,
        "certificate_no": None,
    }


def test_settlements_answer_the_requested_columns_in_date_order(
    engine: Engine, cast: DemoCast
) -> None:
    patient = cast.people["inpatient"].id_number
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(ms)
                .where(ms.c.id_number == patient)
                .order_by(ms.c.settlement_date, ms.c.settlement_no)
            )
            .mappings()
            .all()
        )
    data = _ask(engine, settlement, patient, ("settlement_no", "inpatient", "personal_paid_fen"))
    in_period = [r for r in rows if r["settlement_date"] >= date(2024, 11, 1)]
    assert data == {
        "settlement_no": [r["settlement_no"] for r in in_period],
        "inpatient": [r["visit_type"] == "住院" for r in in_period],
        "personal_paid_fen": [r["personal_paid_fen"] for r in in_period],
    }
    assert (
        "K35.8"
        in _ask(engine, settlement, patient, ("icd10_code",), visit_type="住院")["icd10_code"]
    )


def test_settlements_outside_the_period_are_left_out(engine: Engine, cast: DemoCast) -> None:
    patient = cast.people["inpatient"].id_number
    with engine.connect() as conn:
        stay = conn.execute(
            select(ms.c.settlement_no, ms.c.settlement_date).where(
                ms.c.id_number == patient, ms.c.icd10_code == "K35.8"
            )
        ).one()
    day = stay.settlement_date
    only_that_day = _ask(engine, settlement, patient, ("settlement_no",), period=_days(day, day))
    assert stay.settlement_no in only_that_day["settlement_no"]
    after = _ask(
        engine,
        settlement,
        patient,
        ("settlement_no",),
        period=_days(day + timedelta(days=1), date(2026, 10, 31)),
    )
    assert stay.settlement_no not in after["settlement_no"]


@pytest.mark.parametrize("period", [PERIOD, LAST_YEAR], ids=["24 months", "12 months"])
def test_settlement_indicators_match_sql_sums(engine: Engine, period: tuple[int, int]) -> None:
    first = date(2024, 11, 1) if period == PERIOD else date(2025, 11, 1)
    names = (
        "visits_count",
        "inpatient_count",
        "medical_cost_total_fen",
        "fund_paid_total_fen",
        "personal_paid_total_fen",
    )
    with engine.connect() as conn:
        expected = {
            row[0]: tuple(row[1:])
            for row in conn.execute(
                select(
                    ms.c.id_number,
                    func.count(),
                    func.count().filter(ms.c.visit_type == "住院"),
                    func.sum(ms.c.total_cost_fen),
                    func.sum(ms.c.fund_paid_fen),
                    func.sum(ms.c.personal_paid_fen),
                )
                .where(ms.c.settlement_date.between(first, date(2026, 10, 31)))
                .group_by(ms.c.id_number)
            )
        }
        people = conn.scalars(select(ms.c.id_number).distinct()).all()
    for person in people:
        got = _ask(engine, settlement, person, names, derived=True, period=period)
        assert tuple(got.values()) == expected.get(person, (0, 0, 0, 0, 0))
