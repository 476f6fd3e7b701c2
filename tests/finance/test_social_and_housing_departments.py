"""人社局 (jinan.hrss) and 公积金中心 (jinan.hpf): monthly histories and their indicators."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from quancheng.protocol.documents import data_period_seconds
from quancheng_appkit.window import month_keys
from quancheng_datagen import DemoCast
from quancheng_datagen.schema import housing_fund_contribution as hfc
from quancheng_datagen.schema import social_security_contribution as ssc
from quancheng_finance.departments.jinan_hpf import fund
from quancheng_finance.departments.jinan_hrss import contribution, employer
from tests.finance.support import derive, fetch

MONTHS = month_keys("202411", "202610")
PAID = ("已缴", "补缴")


def _continuity(statuses: dict[str, str]) -> int:
    """Paid months counted back from the last month, the plain way."""
    run = 0
    for month in reversed(MONTHS):
        if statuses.get(month) not in PAID:
            return run
        run += 1
    return run


def _histories(engine: Engine, table: Any) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(table)
                .where(table.c.period.between("202411", "202610"))
                .order_by(table.c.period)
            )
            .mappings()
            .all()
        )
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["id_number"]].append(dict(r))
    return out


def test_social_contribution_indicators_match_the_monthly_records(engine: Engine) -> None:
    histories = _histories(engine, ssc)
    assert any(r["status"] == "欠缴" for rows in histories.values() for r in rows)
    for person, rows in histories.items():
        statuses = {r["period"]: r["status"] for r in rows}
        paid = [r for r in rows if r["status"] in PAID]
        assert derive(engine, contribution, person) == {
            "months_contributed": len(paid),
            "continuous_months": _continuity(statuses),
            "arrears_months": sum(1 for r in rows if r["status"] == "欠缴"),
            "gap_months": len(MONTHS) - len(paid),
            "latest_base_fen": rows[-1]["contribution_base_fen"],
            "average_base_fen": (
                sum(r["contribution_base_fen"] for r in paid) // len(paid) if paid else None
            ),
        }


def test_housing_fund_indicators_match_the_monthly_records(engine: Engine) -> None:
    for person, rows in _histories(engine, hfc).items():
        statuses = {r["period"]: r["status"] for r in rows}
        assert derive(engine, fund, person) == {
            "months_contributed": sum(1 for r in rows if r["status"] in PAID),
            "continuous_months": _continuity(statuses),
            "arrears_months": sum(1 for r in rows if r["status"] == "欠缴"),
            "latest_base_fen": rows[-1]["base_fen"],
            "monthly_deposit_fen": rows[-1]["employer_amount_fen"]
            + rows[-1]["personal_amount_fen"],
        }


def test_the_arrears_person_has_recent_social_security_arrears_and_no_fund(
    engine: Engine, cast: DemoCast
) -> None:
    person = cast.people["arrears"].id_number
    social = derive(engine, contribution, person)
    assert social["continuous_months"] == 0 and social["arrears_months"] >= 3
    assert derive(engine, fund, person, ("months_contributed", "latest_base_fen")) == {
        "months_contributed": 0,
        "latest_base_fen": None,
    }


def test_contributions_answer_months_wholly_inside_the_period(
    engine: Engine, cast: DemoCast
) -> None:
    person = cast.people["sme_owner"].id_number
    period = data_period_seconds("2026-01-15", "2026-10-31")
    data = fetch(engine, contribution, person, ("month", "status"), period)
    assert data["month"] == [f"2026-{m:02d}" for m in range(2, 11)]
    assert derive(engine, contribution, person, ("gap_months",), period) == {"gap_months": 0}


def test_employer_headcount_matches_the_contributions_by_month(engine: Engine) -> None:
    with engine.connect() as conn:
        counts = conn.execute(
            select(ssc.c.employer_uscc, ssc.c.period, func.count())
            .where(ssc.c.employer_uscc.is_not(None), ssc.c.period.between("202411", "202610"))
            .group_by(ssc.c.employer_uscc, ssc.c.period)
        ).all()
    by_employer: dict[str, Counter[str]] = defaultdict(Counter)
    for firm, period, n in counts:
        by_employer[firm][period] = n
    for firm, months in by_employer.items():
        series = [months[m] for m in MONTHS]
        got = derive(
            engine,
            employer,
            firm,
            ("headcount_latest", "headcount_min", "headcount_max", "headcount_average"),
        )
        assert got == {
            "headcount_latest": series[-1],
            "headcount_min": min(series),
            "headcount_max": max(series),
            "headcount_average": sum(series) // 24,
        }
        assert fetch(engine, employer, firm, ("insured_count",))["insured_count"] == [
            months[m] for m in MONTHS if months[m]
        ]


def test_employer_answers_name_no_employee(engine: Engine, cast: DemoCast) -> None:
    firm = cast.businesses["sme_good"].uscc
    data = fetch(engine, employer, firm, employer.spec.fields)
    text = repr(data)
    for role in ("sme_owner", "employee_1", "employee_2", "employee_3", "employee_4"):
        person = cast.people[role]
        assert person.id_number not in text and person.name not in text
    assert min(data["insured_count"]) >= 5


@pytest.mark.parametrize("role", ["sme_good", "sme_bad"])
def test_a_business_is_not_a_person_for_social_contributions(
    engine: Engine, cast: DemoCast, role: str
) -> None:
    firm = cast.businesses[role].uscc
    assert derive(engine, contribution, firm, ("months_contributed",)) == {"months_contributed": 0}
