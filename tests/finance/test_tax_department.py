"""税务局 (jinan.tax): payments by 所属期 inside the period, ratings by publication date."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from quancheng.protocol.documents import data_period_seconds
from quancheng_appkit.window import month_keys
from quancheng_datagen import DemoCast
from quancheng_datagen.schema import tax_payment as tp
from quancheng_finance.departments.jinan_tax import payment, rating
from tests.finance.support import derive, fetch

PAID = ("已缴", "逾期缴纳")


def test_payments_answer_the_requested_columns_wholly_inside_the_period(
    engine: Engine, cast: DemoCast
) -> None:
    firm = cast.businesses["sme_good"].uscc
    period = data_period_seconds("2025-11-15", "2026-10-31")
    data = fetch(engine, payment, firm, ("period_start", "period_end", "status"), period)
    assert set(data) == {"period_start", "period_end", "status"}
    assert min(data["period_start"]) >= "2025-12-01" and max(data["period_end"]) <= "2026-10-31"
    with engine.connect() as conn:
        expected = conn.execute(
            select(tp.c.voucher_no).where(
                tp.c.uscc == firm,
                tp.c.period_start >= date(2025, 11, 15),
                tp.c.period_end <= date(2026, 10, 31),
            )
        ).all()
    assert len(data["status"]) == len(expected) > 0


def test_payment_indicators_match_the_tax_records(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(tp).where(
                    tp.c.period_start >= date(2024, 11, 1), tp.c.period_end <= date(2026, 10, 31)
                )
            )
            .mappings()
            .all()
        )
        firms = conn.scalars(select(tp.c.uscc).distinct()).all()
    by_firm: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_firm[r["uscc"]].append(dict(r))
    assert any(r["status"] == "欠税" for r in rows)
    for firm in firms:
        mine = by_firm[firm]
        paid = [r for r in mine if r["status"] in PAID]
        months = {
            m
            for r in paid
            for m in month_keys(f"{r['period_start']:%Y%m}", f"{r['period_end']:%Y%m}")
        }
        assert derive(engine, payment, firm) == {
            "tax_paid_total_fen": sum(r["tax_amount_fen"] for r in paid),
            "tax_paid_12m_fen": sum(
                r["tax_amount_fen"] for r in paid if r["period_end"] >= date(2025, 11, 1)
            ),
            "vat_sales_12m_fen": sum(
                r["taxable_base_fen"]
                for r in paid
                if r["period_end"] >= date(2025, 11, 1) and r["tax_type"] == "增值税"
            ),
            "months_paid": len(months),
            "arrears": any(r["status"] == "欠税" for r in mine),
            "arrears_total_fen": sum(r["tax_amount_fen"] for r in mine if r["status"] == "欠税"),
            "late_payments_count": sum(1 for r in mine if r["status"] == "逾期缴纳"),
        }


def test_the_good_and_the_bad_firm_by_their_ratings(engine: Engine, cast: DemoCast) -> None:
    good, bad = cast.businesses["sme_good"].uscc, cast.businesses["sme_bad"].uscc
    assert derive(engine, rating, good) == {
        "latest_rating": "A",
        "latest_year": 2025,
        "worst_rating": "A",
    }
    assert derive(engine, rating, bad)["latest_rating"] == "D"
    assert fetch(engine, rating, bad, ("year", "rating")) == {
        "year": [2024, 2025],
        "rating": ["C", "D"],
    }


def test_a_rating_published_after_the_period_is_not_used(engine: Engine, cast: DemoCast) -> None:
    bad = cast.businesses["sme_bad"].uscc
    before = data_period_seconds("2024-11-01", "2026-04-24")
    assert derive(engine, rating, bad, ("latest_rating", "latest_year"), before) == {
        "latest_rating": "C",
        "latest_year": 2024,
    }
