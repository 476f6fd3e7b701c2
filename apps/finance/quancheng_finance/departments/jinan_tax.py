"""国家税务总局济南市税务局 (``jinan.tax``): tax payments and tax credit ratings.

- ``tax.payment``: the business's tax records whose 税款所属期 lies wholly inside the
  period (monthly VAT filers, quarterly small-scale filers and income-tax prepayments),
  with what was paid, paid late or is still owed (欠税).
- ``tax.credit_rating``: the 纳税信用等级 published inside the period, one per year.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, select

from quancheng.protocol import Purpose
from quancheng_appkit.indicators import count, exists, latest, status_in, total
from quancheng_appkit.plugin import Params
from quancheng_appkit.resource import (
    Compute,
    IndicatorDef,
    Row,
    SqlDepartment,
    SqlResource,
    SubjectSource,
    column,
)
from quancheng_appkit.window import Window, month_key, month_keys, shift_month
from quancheng_datagen.schema import tax_credit_rating as tcr
from quancheng_datagen.schema import tax_payment as tp

PAID = ("已缴", "逾期缴纳")
ARREARS = "欠税"
#: Official order of the ratings, best first (M: new taxpayers, between B and C).
RATINGS = ("A", "B", "M", "C", "D")


def _payments(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return (
        select(tp)
        .where(
            tp.c.uscc == subject_id, tp.c.period_start >= w.first_day, tp.c.period_end <= w.last_day
        )
        .order_by(tp.c.period_end, tp.c.voucher_no)
    )


def _key(day: date) -> str:
    return month_key(day.year, day.month)


def last_12_months(w: Window) -> str:
    """The first ``YYYYMM`` of the period's last twelve whole months."""
    return shift_month(w.last_month, -11)


def _paid_12m(column_name: str, tax_type: str | None = None) -> Compute:
    def compute(rows: Sequence[Row], w: Window) -> int:
        since = last_12_months(w)
        return sum(
            int(r[column_name])
            for r in rows
            if r["status"] in PAID
            and _key(r["period_end"]) >= since
            and (tax_type is None or r["tax_type"] == tax_type)
        )

    return compute


def _months_paid(rows: Sequence[Row], w: Window) -> int:
    months: set[str] = set()
    for r in rows:
        if r["status"] in PAID:
            months.update(month_keys(_key(r["period_start"]), _key(r["period_end"])))
    return len(months)


payment = SqlResource(
    resource_id="tax.payment",
    subject_kind="business",
    title="纳税（缴款）记录",
    select=_payments,
    fields=[
        column("voucher_no", "电子税票号码"),
        column("tax_type", "税种"),
        column("period_start", "税款所属期起"),
        column("period_end", "税款所属期止"),
        column("taxable_base_fen", "计税依据（分）"),
        column("tax_amount_fen", "应纳税额（分）"),
        column("due_date", "缴款期限"),
        column("paid_date", "缴款日期"),
        column("late_fee_fen", "滞纳金（分）"),
        column("status", "缴款状态（已缴/逾期缴纳/欠税）"),
    ],
    indicators=[
        IndicatorDef(
            "tax_paid_total_fen",
            "期间内已缴税款合计（分）",
            total("tax_amount_fen", status_in(PAID)),
        ),
        IndicatorDef("tax_paid_12m_fen", "最近12个月已缴税款（分）", _paid_12m("tax_amount_fen")),
        IndicatorDef(
            "vat_sales_12m_fen",
            "最近12个月增值税计税销售额（分）",
            _paid_12m("taxable_base_fen", "增值税"),
        ),
        IndicatorDef("months_paid", "有已缴税款的所属月数", _months_paid),
        IndicatorDef("arrears", "存在欠税", exists(lambda r: r["status"] == ARREARS)),
        IndicatorDef(
            "arrears_total_fen",
            "欠税金额（分）",
            total("tax_amount_fen", lambda r: r["status"] == ARREARS),
        ),
        IndicatorDef(
            "late_payments_count", "逾期缴纳次数", count(lambda r: r["status"] == "逾期缴纳")
        ),
    ],
    purposes=[Purpose.SME_CREDIT, Purpose.POST_LOAN],
    sensitivity=3,
)


def _ratings(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return (
        select(tcr)
        .where(tcr.c.uscc == subject_id, tcr.c.published_date.between(w.first_day, w.last_day))
        .order_by(tcr.c.year)
    )


def _worst(rows: Sequence[Row], w: Window) -> str | None:
    ranks = [RATINGS.index(r["rating"]) for r in rows if r["rating"] in RATINGS]
    return RATINGS[max(ranks)] if ranks else None


rating = SqlResource(
    resource_id="tax.credit_rating",
    subject_kind="business",
    title="纳税信用等级",
    select=_ratings,
    fields=[
        column("year", "评价年度"),
        column("rating", "纳税信用等级（A/B/M/C/D）"),
        column("score", "评价得分"),
        column("published_date", "发布日期"),
    ],
    indicators=[
        IndicatorDef("latest_rating", "最近一次纳税信用等级", latest("rating")),
        IndicatorDef("latest_year", "最近一次评价年度", latest("year")),
        IndicatorDef("worst_rating", "期间内最低纳税信用等级", _worst),
    ],
    purposes=[Purpose.SME_CREDIT, Purpose.POST_LOAN],
    sensitivity=1,
)

tax = SqlDepartment(
    provider="jinan.tax",
    name="国家税务总局济南市税务局",
    datagen_department="tax",
    handlers=[payment, rating],
    subject_sources=[SubjectSource(tp.c.uscc, "uscc"), SubjectSource(tcr.c.uscc, "uscc")],
)
