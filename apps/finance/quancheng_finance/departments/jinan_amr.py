"""济南市市场监督管理局 (``jinan.amr``): business registrations and administrative penalties.

- ``business.registration``: the registration of a business established on or before the
  period's last day, as it stands now.  The legal representative appears by name only.
- ``business.penalty``: administrative penalties decided inside the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from quancheng.protocol import Purpose
from quancheng_appkit.indicators import count, exists, latest, total
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
from quancheng_datagen.schema import administrative_penalty as ap
from quancheng_datagen.schema import business_registration as br

OPERATING = "存续"
REVOCATION = "吊销营业执照"


def _registration(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return select(br).where(br.c.uscc == subject_id, br.c.established_date <= w.last_day)


def _operating(rows: Sequence[Row], w: Window) -> bool | None:
    """Operating on the period's last day: 存续 now, or closed only after that day."""
    if not rows:
        return None
    row = rows[-1]
    return bool(
        row["status"] == OPERATING
        or (row["status_date"] is not None and row["status_date"] > w.last_day)
    )


def _years(rows: Sequence[Row], w: Window) -> int | None:
    if not rows:
        return None
    founded, end = rows[-1]["established_date"], w.last_day
    return int(end.year - founded.year - ((end.month, end.day) < (founded.month, founded.day)))


registration = SqlResource(
    resource_id="business.registration",
    subject_kind="business",
    title="市场主体登记信息",
    select=_registration,
    single=True,
    fields=[
        column("name", "名称"),
        column("entity_type", "类型"),
        column("legal_rep_name", "法定代表人（经营者）姓名"),
        column("registered_capital_fen", "注册资本（分）"),
        column("established_date", "成立日期"),
        column("business_term_until", "营业期限至（空：长期）"),
        column("status", "登记状态（存续/注销/吊销）"),
        column("status_date", "注销或吊销日期"),
        column("registration_authority", "登记机关"),
        column("division_code", "行政区划代码"),
        column("address", "住所"),
        column("industry_code", "行业门类代码"),
        column("industry", "行业门类"),
        column("scale", "企业规模"),
    ],
    indicators=[
        IndicatorDef("operating", "期末处于存续状态", _operating),
        IndicatorDef("years_established", "成立年限（整年，至期末）", _years),
        IndicatorDef("registered_capital_fen", "注册资本（分）", latest("registered_capital_fen")),
    ],
    purposes=[Purpose.SME_CREDIT, Purpose.POST_LOAN, Purpose.UNDERWRITING],
    sensitivity=1,
)


def _penalties(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return (
        select(ap)
        .where(ap.c.uscc == subject_id, ap.c.decision_date.between(w.first_day, w.last_day))
        .order_by(ap.c.decision_date, ap.c.decision_no)
    )


penalty = SqlResource(
    resource_id="business.penalty",
    subject_kind="business",
    title="行政处罚信息",
    select=_penalties,
    fields=[
        column("decision_no", "行政处罚决定书文号"),
        column("decision_date", "处罚决定日期"),
        column("violation", "违法行为"),
        column("penalty", "处罚种类"),
        column("fine_fen", "罚款金额（分）"),
        column("confiscated_fen", "没收违法所得（分）"),
        column("authority", "处罚机关"),
        column("status", "履行状态（已履行/未履行）"),
    ],
    indicators=[
        IndicatorDef("penalties_count", "行政处罚次数", count()),
        IndicatorDef(
            "unfulfilled_count", "未履行的处罚数", count(lambda r: r["status"] == "未履行")
        ),
        IndicatorDef("fines_total_fen", "罚款合计（分）", total("fine_fen")),
        IndicatorDef(
            "licence_revoked", "被吊销营业执照", exists(lambda r: r["penalty"] == REVOCATION)
        ),
    ],
    purposes=[Purpose.SME_CREDIT, Purpose.POST_LOAN],
    sensitivity=1,
)

market_regulation = SqlDepartment(
    provider="jinan.amr",
    name="济南市市场监督管理局",
    datagen_department="market_regulation",
    handlers=[registration, penalty],
    subject_sources=[SubjectSource(br.c.uscc, "uscc"), SubjectSource(ap.c.uscc, "uscc")],
)
