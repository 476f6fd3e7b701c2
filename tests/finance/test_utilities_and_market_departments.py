"""水电气 (jinan.utilities) bills and 市场监管局 (jinan.amr) registrations and penalties."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from quancheng.protocol.documents import data_period_seconds
from quancheng_appkit.errors import InvalidParameter
from quancheng_datagen import DemoCast
from quancheng_datagen.schema import administrative_penalty as ap
from quancheng_datagen.schema import utility_bill as ub
from quancheng_finance.departments.jinan_amr import penalty, registration
from quancheng_finance.departments.jinan_utilities import business, household
from tests.finance.support import derive, fetch
from tests.insurance.helpers import LAST_YEAR


def test_utility_indicators_match_the_bills(engine: Engine) -> None:
    n = func.count()
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ub.c.subject_id,
                ub.c.subject_type,
                n,
                n.filter(ub.c.status == "按时缴费"),
                n.filter(ub.c.status == "逾期缴费"),
                n.filter(ub.c.status == "欠费"),
                func.coalesce(func.sum(ub.c.amount_fen).filter(ub.c.status == "欠费"), 0),
                func.sum(ub.c.amount_fen),
            )
            .where(ub.c.period.between("202511", "202610"))
            .group_by(ub.c.subject_id, ub.c.subject_type)
        ).all()
    assert {r[1] for r in rows} == {"个人", "单位"} and any(r[5] for r in rows)
    for subject, kind, bills, on_time, late, unpaid, owed, amount in rows:
        handler = household if kind == "个人" else business
        assert derive(engine, handler, subject, period=LAST_YEAR) == {
            "bills_count": bills,
            "on_time_ratio_pm": on_time * 1000 // bills,
            "late_count": late,
            "arrears": unpaid > 0,
            "arrears_count": unpaid,
            "arrears_total_fen": owed,
            "amount_total_fen": amount,
        }


def test_utility_parameter_limits_the_bills_to_one_utility(engine: Engine, cast: DemoCast) -> None:
    person = cast.people["arrears"].id_number
    data = fetch(engine, household, person, ("utility", "month"), utility="电")
    assert set(data["utility"]) == {"电"} and len(data["month"]) == 12
    with pytest.raises(InvalidParameter):
        fetch(engine, household, person, ("utility",), utility="暖气")


def test_households_and_businesses_are_separate_resources(engine: Engine, cast: DemoCast) -> None:
    firm, person = cast.businesses["sme_good"].uscc, cast.people["sme_owner"].id_number
    assert derive(engine, household, firm, ("bills_count", "on_time_ratio_pm")) == {
        "bills_count": 0,
        "on_time_ratio_pm": None,
    }
    assert derive(engine, business, person, ("bills_count",)) == {"bills_count": 0}
    assert derive(engine, business, firm, ("on_time_ratio_pm", "arrears")) == {
        "on_time_ratio_pm": 1000,
        "arrears": False,
    }


def test_registration_names_the_legal_representative_by_name_only(
    engine: Engine, cast: DemoCast
) -> None:
    good = cast.businesses["sme_good"]
    data = fetch(engine, registration, good.uscc, registration.spec.fields)
    assert data["name"] == "济南泉顺信息技术有限公司" and data["status"] == "存续"
    assert data["legal_rep_name"] == cast.people["sme_owner"].name
    assert good.legal_rep_id_number not in repr(data)
    assert "legal_rep_id_number" not in registration.spec.fields


def test_registration_indicators_at_the_end_of_the_period(engine: Engine, cast: DemoCast) -> None:
    good = cast.businesses["sme_good"].uscc  # established 2017-03-15
    assert derive(engine, registration, good) == {
        "operating": True,
        "years_established": 9,
        "registered_capital_fen": fetch(engine, registration, good, ("registered_capital_fen",))[
            "registered_capital_fen"
        ],
    }
    before = data_period_seconds("2010-01-01", "2017-03-14")
    assert derive(engine, registration, good, ("operating", "years_established"), before) == {
        "operating": None,
        "years_established": None,
    }
    assert fetch(engine, registration, good, ("name",), before) == {"name": None}


def test_penalties_inside_the_period_match_the_decisions(engine: Engine, cast: DemoCast) -> None:
    bad = cast.businesses["sme_bad"].uscc
    with engine.connect() as conn:
        decisions = conn.execute(
            select(ap.c.decision_no, ap.c.decision_date, ap.c.fine_fen)
            .where(ap.c.uscc == bad)
            .order_by(ap.c.decision_date)
        ).all()
    inside = [d for d in decisions if date(2024, 11, 1) <= d.decision_date <= date(2026, 10, 31)]
    assert inside, "the bad firm should have been penalised in the last two years"
    assert fetch(engine, penalty, bad, ("decision_no",)) == {
        "decision_no": [d.decision_no for d in inside]
    }
    assert derive(engine, penalty, bad, ("penalties_count", "fines_total_fen")) == {
        "penalties_count": len(inside),
        "fines_total_fen": sum(d.fine_fen for d in inside),
    }
    assert derive(engine, penalty, cast.businesses["sme_good"].uscc) == {
        "penalties_count": 0,
        "unfulfilled_count": 0,
        "fines_total_fen": 0,
        "licence_revoked": False,
    }
