"""水电气 (``jinan.utilities``: 济南水务、国网济南供电、港华燃气, one gateway).

Monthly bills whose 账期 lies wholly inside the period, and how they were paid: 按时缴费,
逾期缴费, or 欠费 (still unpaid).  Households and businesses hold accounts alike, so the
department offers the same resource twice: ``utility.payment`` for a person (居民用户)
and ``utility.business`` for a business (非居民用户).  Parameter ``utility`` (水 / 电 /
燃气) limits the answer to one utility.  Account numbers are not offered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case, select

from quancheng.protocol import Purpose
from quancheng_appkit.indicators import count, exists, ratio_pm, total
from quancheng_appkit.plugin import Params, SubjectKind
from quancheng_appkit.resource import (
    IndicatorDef,
    ParamDef,
    Row,
    SelectRows,
    SqlDepartment,
    SqlResource,
    SubjectSource,
    column,
)
from quancheng_appkit.window import Window
from quancheng_datagen.schema import utility_bill as ub
from quancheng_finance.departments.jinan_hrss import month_field

ON_TIME, LATE, UNPAID = "按时缴费", "逾期缴费", "欠费"
_SUBJECT_TYPE = {"person": "个人", "business": "单位"}


def _bills(subject_type: str) -> SelectRows:
    def select_rows(subject_id: str, w: Window, params: Params) -> Select[Any]:
        stmt = (
            select(ub)
            .where(
                ub.c.subject_id == subject_id,
                ub.c.subject_type == subject_type,
                ub.c.period.between(w.first_month, w.last_month),
            )
            .order_by(ub.c.period, ub.c.utility, ub.c.account_no)
        )
        if "utility" in params:
            stmt = stmt.where(ub.c.utility == params["utility"])
        return stmt

    return select_rows


def _on_time_pm(rows: Sequence[Row], w: Window) -> int | None:
    return ratio_pm(sum(1 for r in rows if r["status"] == ON_TIME), len(rows))


def _resource(
    resource_id: str, kind: SubjectKind, title: str, purposes: Sequence[Purpose]
) -> SqlResource:
    return SqlResource(
        resource_id=resource_id,
        subject_kind=kind,
        title=title,
        select=_bills(_SUBJECT_TYPE[kind]),
        fields=[
            month_field("账期"),
            column("utility", "类别（水/电/燃气）"),
            column("provider", "供应单位"),
            column("usage", "用量"),
            column("usage_unit", "计量单位"),
            column("amount_fen", "应缴金额（分）"),
            column("due_date", "缴费期限"),
            column("paid_date", "缴费日期"),
            column("status", "缴费状态（按时缴费/逾期缴费/欠费）"),
        ],
        indicators=[
            IndicatorDef("bills_count", "账单数", count()),
            IndicatorDef("on_time_ratio_pm", "按时缴费率（‰）", _on_time_pm),
            IndicatorDef("late_count", "逾期缴费次数", count(lambda r: r["status"] == LATE)),
            IndicatorDef("arrears", "存在欠费", exists(lambda r: r["status"] == UNPAID)),
            IndicatorDef("arrears_count", "欠费账单数", count(lambda r: r["status"] == UNPAID)),
            IndicatorDef(
                "arrears_total_fen",
                "欠费金额（分）",
                total("amount_fen", lambda r: r["status"] == UNPAID),
            ),
            IndicatorDef("amount_total_fen", "应缴金额合计（分）", total("amount_fen")),
        ],
        params=[ParamDef("utility", "类别", choices=("水", "电", "燃气"))],
        purposes=purposes,
        sensitivity=2,
    )


household = _resource(
    "utility.payment", "person", "居民水电气缴费记录", [Purpose.PERSONAL_CREDIT, Purpose.POST_LOAN]
)
business = _resource(
    "utility.business", "business", "企业水电气缴费记录", [Purpose.SME_CREDIT, Purpose.POST_LOAN]
)

utilities = SqlDepartment(
    provider="jinan.utilities",
    name="济南水务 / 国网济南供电 / 港华燃气",
    datagen_department="utilities",
    handlers=[household, business],
    subject_sources=[
        SubjectSource(
            ub.c.subject_id, case((ub.c.subject_type == "个人", "resident_id"), else_="uscc")
        )
    ],
)
