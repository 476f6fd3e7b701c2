"""济南市公安局交通警察支队车辆管理所 (``jinan.vmo``): vehicles, licences, violations.

- ``vehicle.registration``: the subject's vehicles registered on or before the period's
  last day, with their *current* status (the department keeps no history of it).  The VIN
  is masked to its maker code and last six characters, which is what a policy is matched
  on.  Parameter ``plate_no`` limits the answer to one vehicle.
- ``driving.licence``: the subject's licence if first issued on or before the period's
  last day, with its current status; ``holds_licence`` says whether there is one.
- ``traffic.violation``: violations, drink-driving records and accidents that occurred
  inside the period.  Parameter ``category`` limits them to one category.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from quancheng.protocol import Purpose
from quancheng_appkit.indicators import count, exists, latest, total
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
from quancheng_datagen.schema import driving_licence as dl
from quancheng_datagen.schema import traffic_violation as tv
from quancheng_datagen.schema import vehicle_registration as vr

VEHICLE_STATUSES = ("正常", "抵押", "查封", "报废", "盗抢")
LICENCE_STATUSES = ("正常", "暂扣", "吊销", "注销")
DRINK_CATEGORIES = ("饮酒驾驶", "醉酒驾驶")
VIOLATION_CATEGORIES = ("一般违法", *DRINK_CATEGORIES, "交通事故")


def mask_vin(vin: str) -> str:
    """``LGB5WV8Z2J0104729`` -> ``LGB********104729``: maker code and last six kept."""
    return vin[:3] + "*" * (len(vin) - 9) + vin[-6:]


def _registrations(subject_id: str, w: Window, params: Params) -> Select[Any]:
    stmt = (
        select(vr)
        .where(vr.c.id_number == subject_id, vr.c.registration_date <= w.last_day)
        .order_by(vr.c.registration_date, vr.c.plate_no)
    )
    if "plate_no" in params:
        stmt = stmt.where(vr.c.plate_no == params["plate_no"])
    return stmt


def _inspection_overdue(rows: Sequence[Row], w: Window) -> int:
    return sum(1 for r in rows if r["inspection_valid_until"] < w.last_day)


registration = SqlResource(
    resource_id="vehicle.registration",
    subject_kind="person",
    title="机动车登记信息",
    select=_registrations,
    fields=[
        column("plate_no", "号牌号码"),
        column("plate_type", "号牌种类"),
        FieldDef("vin_masked", "车辆识别代号（脱敏）", lambda r: mask_vin(r["vin"])),
        column("owner_name", "机动车所有人"),
        column("brand", "品牌"),
        column("model", "车辆型号"),
        column("vehicle_type", "车辆类型"),
        column("energy_type", "能源种类"),
        column("colour", "车身颜色"),
        column("registration_date", "初次登记日期"),
        column("inspection_valid_until", "检验有效期止"),
        column("status", "机动车状态"),
        column("mortgagee", "抵押权人"),
    ],
    indicators=[
        IndicatorDef("vehicles_count", "名下机动车数量", count()),
        IndicatorDef(
            "abnormal_count",
            "状态非正常（抵押/查封/报废/盗抢）的车辆数",
            count(lambda r: r["status"] != "正常"),
        ),
        IndicatorDef("mortgaged_count", "抵押中的车辆数", count(lambda r: r["status"] == "抵押")),
        IndicatorDef("inspection_overdue_count", "期末检验逾期的车辆数", _inspection_overdue),
    ],
    params=[ParamDef("plate_no", "号牌号码", max_length=10)],
    purposes=[Purpose.MOTOR_CLAIM, Purpose.UNDERWRITING, Purpose.PERSONAL_CREDIT],
    sensitivity=2,
)


def _licence(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return select(dl).where(dl.c.id_number == subject_id, dl.c.first_issue_date <= w.last_day)


def _licence_valid(rows: Sequence[Row], w: Window) -> bool:
    if not rows:
        return False
    row = rows[-1]
    return bool(
        row["status"] == "正常" and (row["valid_until"] is None or row["valid_until"] >= w.last_day)
    )


licence = SqlResource(
    resource_id="driving.licence",
    subject_kind="person",
    title="机动车驾驶证信息",
    select=_licence,
    single=True,
    fields=[
        FieldDef("holds_licence", "持有驾驶证", lambda r: True, absent=False),
        column("licence_class", "准驾车型"),
        column("status", "驾驶证状态"),
        column("points", "本记分周期累积记分"),
        column("first_issue_date", "初次领证日期"),
        column("valid_from", "有效期起"),
        column("valid_until", "有效期止（空：长期）"),
        column("issuing_authority", "发证机关"),
    ],
    indicators=[
        IndicatorDef("licence_valid", "期末驾驶证状态正常且在有效期内", _licence_valid),
        IndicatorDef("points", "本记分周期累积记分", latest("points")),
    ],
    purposes=[Purpose.MOTOR_CLAIM, Purpose.UNDERWRITING],
    sensitivity=2,
)


def _violations(subject_id: str, w: Window, params: Params) -> Select[Any]:
    stmt = (
        select(tv)
        .where(tv.c.id_number == subject_id, tv.c.occurred_at.between(w.start_local, w.end_local))
        .order_by(tv.c.occurred_at, tv.c.record_no)
    )
    if "category" in params:
        stmt = stmt.where(tv.c.category == params["category"])
    return stmt


def _is_drink(row: Row) -> bool:
    return row["category"] in DRINK_CATEGORIES


violation = SqlResource(
    resource_id="traffic.violation",
    subject_kind="person",
    title="交通违法、酒驾醉驾与事故记录",
    select=_violations,
    fields=[
        column("record_no", "记录编号"),
        column("occurred_at", "发生时间"),
        column("location", "地点"),
        column("category", "类别（一般违法/饮酒驾驶/醉酒驾驶/交通事故）"),
        column("description", "违法行为或事故情形"),
        column("plate_no", "号牌号码"),
        column("points", "记分"),
        column("fine_fen", "罚款（分）"),
        column("blood_alcohol_mg_100ml", "血液酒精含量（mg/100ml）"),
        column("accident_responsibility", "事故责任"),
        column("status", "处理状态"),
    ],
    indicators=[
        IndicatorDef("drunk_driving_in_period", "期间内有饮酒或醉酒驾驶记录", exists(_is_drink)),
        IndicatorDef("drink_driving_count", "饮酒、醉酒驾驶记录数", count(_is_drink)),
        IndicatorDef(
            "violations_count",
            "交通违法记录数（含酒驾）",
            count(lambda r: r["category"] != "交通事故"),
        ),
        IndicatorDef("accidents_count", "交通事故数", count(lambda r: r["category"] == "交通事故")),
        IndicatorDef("points_total", "记分合计", total("points")),
        IndicatorDef("fines_total_fen", "罚款合计（分）", total("fine_fen")),
        IndicatorDef("unprocessed_count", "未处理记录数", count(lambda r: r["status"] == "未处理")),
    ],
    params=[ParamDef("category", "类别", choices=VIOLATION_CATEGORIES)],
    purposes=[Purpose.MOTOR_CLAIM, Purpose.UNDERWRITING],
    sensitivity=3,
)

vehicle = SqlDepartment(
    provider="jinan.vmo",
    name="济南市公安局交通警察支队车辆管理所",
    datagen_department="vehicle",
    handlers=[registration, licence, violation],
    subject_sources=[
        SubjectSource(vr.c.id_number, "resident_id"),
        SubjectSource(dl.c.id_number, "resident_id"),
        SubjectSource(tv.c.id_number, "resident_id"),
    ],
)
