"""济南市人力资源和社会保障局 (``jinan.hrss``): social-insurance contributions.

- ``social.contribution``: a person's monthly contributions (费款所属期 wholly inside the
  period): who paid, on what base, and whether it was paid (已缴), paid late (补缴) or is
  owed (欠缴).
- ``social.employer``: an employer's insured headcount month by month, aggregated over its
  employees' contributions.  No employee is named: a bank sees the headcount, not the staff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Integer, Select, case, cast, func, select

from quancheng.protocol import Purpose
from quancheng_appkit.indicators import (
    continuous_months,
    count,
    gap_months,
    latest,
    months_contributed,
    per_month,
)
from quancheng_appkit.plugin import Params
from quancheng_appkit.resource import (
    Compute,
    FieldDef,
    IndicatorDef,
    Row,
    SqlDepartment,
    SqlResource,
    SubjectSource,
    column,
)
from quancheng_appkit.window import Window, month_label
from quancheng_datagen.schema import social_security_contribution as ssc

PAID = ("已缴", "补缴")
OWED = "欠缴"


def month_field(label: str) -> FieldDef:
    """The ``period`` column (``YYYYMM``) as the field ``month`` (``YYYY-MM``)."""
    return FieldDef("month", label, lambda r: month_label(str(r["period"])))


def _contributions(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return (
        select(ssc)
        .where(ssc.c.id_number == subject_id, ssc.c.period.between(w.first_month, w.last_month))
        .order_by(ssc.c.period)
    )


def _average_base(rows: Sequence[Row], w: Window) -> int | None:
    bases = [int(r["contribution_base_fen"]) for r in rows if r["status"] in PAID]
    return sum(bases) // len(bases) if bases else None


contribution = SqlResource(
    resource_id="social.contribution",
    subject_kind="person",
    title="社会保险缴费记录",
    select=_contributions,
    fields=[
        month_field("费款所属期"),
        column("contributor_type", "参保身份（单位职工/灵活就业人员）"),
        column("employer_name", "参保单位名称"),
        column("employer_uscc", "参保单位统一社会信用代码"),
        column("contribution_base_fen", "缴费基数（分）"),
        column("pension_employer_fen", "养老保险单位缴纳（分）"),
        column("pension_personal_fen", "养老保险个人缴纳（分）"),
        column("medical_employer_fen", "医疗保险单位缴纳（分）"),
        column("medical_personal_fen", "医疗保险个人缴纳（分）"),
        column("unemployment_employer_fen", "失业保险单位缴纳（分）"),
        column("unemployment_personal_fen", "失业保险个人缴纳（分）"),
        column("injury_employer_fen", "工伤保险单位缴纳（分）"),
        column("status", "缴费状态（已缴/补缴/欠缴）"),
        column("paid_date", "缴费日期"),
    ],
    indicators=[
        IndicatorDef("months_contributed", "实缴月数（含补缴）", months_contributed(PAID)),
        IndicatorDef("continuous_months", "截至期末连续缴费月数", continuous_months(PAID)),
        IndicatorDef("arrears_months", "欠缴月数", count(lambda r: r["status"] == OWED)),
        IndicatorDef("gap_months", "未缴费月数（无记录或欠缴）", gap_months(PAID)),
        IndicatorDef("latest_base_fen", "最近一期缴费基数（分）", latest("contribution_base_fen")),
        IndicatorDef("average_base_fen", "实缴月份平均缴费基数（分）", _average_base),
    ],
    purposes=[Purpose.PERSONAL_CREDIT, Purpose.POST_LOAN],
    sensitivity=3,
)


def _employer_months(subject_id: str, w: Window, params: Params) -> Select[Any]:
    # SUM of an integer column is NUMERIC on PostgreSQL (a Decimal in Python, which no answer
    # may carry): cast back to an integer in SQL, on every database alike.
    owed = cast(func.sum(case((ssc.c.status == OWED, 1), else_=0)), Integer)
    return (
        select(
            ssc.c.period,
            func.count().label("insured_count"),
            cast(func.sum(ssc.c.contribution_base_fen), Integer).label("base_total_fen"),
            owed.label("arrears_count"),
        )
        .where(ssc.c.employer_uscc == subject_id, ssc.c.period.between(w.first_month, w.last_month))
        .group_by(ssc.c.period)
        .order_by(ssc.c.period)
    )


def _headcounts(rows: Sequence[Row], w: Window) -> dict[str, int]:
    return {str(r["period"]): int(r["insured_count"]) for r in rows}


def _headcount(pick: Callable[[list[int]], Any]) -> Compute:
    return per_month(_headcounts, lambda counts: pick(counts) if counts else None)


def _change_pm(counts: list[int]) -> int | None:
    first, last = counts[0], counts[-1]
    return (last - first) * 1000 // first if first else None


employer = SqlResource(
    resource_id="social.employer",
    subject_kind="business",
    title="单位参保职工人数（月度）",
    select=_employer_months,
    fields=[
        month_field("月份"),
        column("insured_count", "参保职工人数"),
        column("contribution_base_total_fen", "缴费基数合计（分）", source="base_total_fen"),
        column("arrears_count", "欠缴职工人数"),
    ],
    indicators=[
        IndicatorDef("headcount_latest", "期末月参保人数", _headcount(lambda c: c[-1])),
        IndicatorDef(
            "headcount_average", "月均参保人数（取整）", _headcount(lambda c: sum(c) // len(c))
        ),
        IndicatorDef("headcount_min", "期间内最少参保人数", _headcount(min)),
        IndicatorDef("headcount_max", "期间内最多参保人数", _headcount(max)),
        IndicatorDef("headcount_change_pm", "期末较期初参保人数变化（‰）", _headcount(_change_pm)),
        IndicatorDef(
            "months_with_arrears", "存在欠缴的月数", count(lambda r: int(r["arrears_count"]) > 0)
        ),
    ],
    purposes=[Purpose.SME_CREDIT, Purpose.POST_LOAN],
    sensitivity=2,
)

social_security = SqlDepartment(
    provider="jinan.hrss",
    name="济南市人力资源和社会保障局",
    datagen_department="social_security",
    handlers=[contribution, employer],
    subject_sources=[
        SubjectSource(ssc.c.id_number, "resident_id"),
        SubjectSource(ssc.c.employer_uscc, "uscc"),
    ],
)
