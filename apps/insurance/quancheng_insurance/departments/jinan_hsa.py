"""济南市医疗保障局 (``jinan.hsa``): basic medical-insurance settlements.

``medical.settlement`` lists the settlements *settled* inside the period, with what the
fund paid and what was left to the insured (``personal_paid_fen`` = total − fund −
catastrophic-illness insurance): the amount a commercial medical policy may reimburse.
Parameter ``visit_type`` (门诊 / 住院) limits the answer to outpatient or inpatient care.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from quancheng.protocol import Purpose
from quancheng_appkit.indicators import count, total
from quancheng_appkit.plugin import Params
from quancheng_appkit.resource import (
    FieldDef,
    IndicatorDef,
    ParamDef,
    Row,
    SqlDepartment,
    SqlResource,
    SubjectSource,
    column,
)
from quancheng_appkit.window import Window
from quancheng_datagen.schema import medical_settlement as ms

INPATIENT = "住院"


def _settlements(subject_id: str, w: Window, params: Params) -> Select[Any]:
    stmt = (
        select(ms)
        .where(ms.c.id_number == subject_id, ms.c.settlement_date.between(w.first_day, w.last_day))
        .order_by(ms.c.settlement_date, ms.c.settlement_no)
    )
    if "visit_type" in params:
        stmt = stmt.where(ms.c.visit_type == params["visit_type"])
    return stmt


def _inpatient_days(rows: Sequence[Row], w: Window) -> int:
    return sum(
        (r["discharge_date"] - r["admission_date"]).days
        for r in rows
        if r["visit_type"] == INPATIENT
    )


settlement = SqlResource(
    resource_id="medical.settlement",
    subject_kind="person",
    title="基本医疗保险结算记录",
    select=_settlements,
    fields=[
        column("settlement_no", "结算单号"),
        column("insurance_type", "险种"),
        column("hospital_name", "定点医疗机构"),
        column("hospital_level", "医院等级"),
        column("visit_type", "就诊类型（门诊/住院）"),
        FieldDef("inpatient", "是否住院", lambda r: r["visit_type"] == INPATIENT),
        column("admission_date", "入院（就诊）日期"),
        column("discharge_date", "出院日期"),
        column("settlement_date", "结算日期"),
        column("icd10_code", "诊断编码（ICD-10）"),
        column("diagnosis", "诊断名称"),
        column("total_cost_fen", "医疗费总额（分）"),
        column("policy_covered_fen", "政策范围内费用（分）"),
        column("fund_paid_fen", "统筹基金支付（分）"),
        column("catastrophic_paid_fen", "大病保险支付（分）"),
        column("personal_paid_fen", "个人负担（分）"),
    ],
    indicators=[
        IndicatorDef("visits_count", "结算次数", count()),
        IndicatorDef("inpatient_count", "住院次数", count(lambda r: r["visit_type"] == INPATIENT)),
        IndicatorDef("inpatient_days", "住院天数合计", _inpatient_days),
        IndicatorDef("medical_cost_total_fen", "医疗费总额合计（分）", total("total_cost_fen")),
        IndicatorDef("fund_paid_total_fen", "统筹基金支付合计（分）", total("fund_paid_fen")),
        IndicatorDef("personal_paid_total_fen", "个人负担合计（分）", total("personal_paid_fen")),
    ],
    params=[ParamDef("visit_type", "就诊类型", choices=("门诊", INPATIENT))],
    purposes=[Purpose.MEDICAL_CLAIM, Purpose.UNDERWRITING],
    sensitivity=4,
)

medical_insurance = SqlDepartment(
    provider="jinan.hsa",
    name="济南市医疗保障局",
    datagen_department="medical_insurance",
    handlers=[settlement],
    subject_sources=[SubjectSource(ms.c.id_number, "resident_id")],
)
