"""济南住房公积金中心 (``jinan.hpf``): housing-fund deposits.

``housing.fund`` lists a person's monthly deposits (汇缴年月 wholly inside the period):
employer, base, rate, the employer's and the person's shares, and whether each month was
paid (已缴), paid late (补缴) or is owed (欠缴).  The personal account number is not offered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from quancheng.protocol import Purpose
from quancheng_appkit.indicators import (
    continuous_months,
    count,
    latest,
    months_contributed,
)
from quancheng_appkit.plugin import Params
from quancheng_appkit.resource import (
    IndicatorDef,
    Row,
    SqlDepartment,
    SqlResource,
    SubjectSource,
    column,
)
from quancheng_appkit.window import Window
from quancheng_datagen.schema import housing_fund_contribution as hfc
from quancheng_finance.departments.jinan_hrss import month_field

PAID = ("已缴", "补缴")


def _deposits(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return (
        select(hfc)
        .where(hfc.c.id_number == subject_id, hfc.c.period.between(w.first_month, w.last_month))
        .order_by(hfc.c.period)
    )


def _monthly_deposit(rows: Sequence[Row], w: Window) -> int | None:
    if not rows:
        return None
    return int(rows[-1]["employer_amount_fen"]) + int(rows[-1]["personal_amount_fen"])


fund = SqlResource(
    resource_id="housing.fund",
    subject_kind="person",
    title="住房公积金缴存记录",
    select=_deposits,
    fields=[
        month_field("汇缴年月"),
        column("employer_name", "缴存单位名称"),
        column("employer_uscc", "缴存单位统一社会信用代码"),
        column("base_fen", "缴存基数（分）"),
        column("rate_pct", "缴存比例（%）"),
        column("employer_amount_fen", "单位缴存额（分）"),
        column("personal_amount_fen", "个人缴存额（分）"),
        column("status", "缴存状态（已缴/补缴/欠缴）"),
        column("paid_date", "缴存日期"),
    ],
    indicators=[
        IndicatorDef("months_contributed", "实缴月数（含补缴）", months_contributed(PAID)),
        IndicatorDef("continuous_months", "截至期末连续缴存月数", continuous_months(PAID)),
        IndicatorDef("arrears_months", "欠缴月数", count(lambda r: r["status"] == "欠缴")),
        IndicatorDef("latest_base_fen", "最近一期缴存基数（分）", latest("base_fen")),
        IndicatorDef("monthly_deposit_fen", "最近一期月缴存额（单位+个人，分）", _monthly_deposit),
    ],
    purposes=[Purpose.PERSONAL_CREDIT, Purpose.POST_LOAN],
    sensitivity=3,
)

housing_fund = SqlDepartment(
    provider="jinan.hpf",
    name="济南住房公积金中心",
    datagen_department="housing_fund",
    handlers=[fund],
    subject_sources=[SubjectSource(hfc.c.id_number, "resident_id")],
)
