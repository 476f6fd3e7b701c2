"""济南市民政局 (``jinan.civil``): death registrations (with 卫健's medical certificate).

``death.registration`` answers whether the subject died *inside the period*: a death
before or after it is not disclosed (``deceased`` is then ``False`` and every other field
``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from quancheng.protocol import Purpose
from quancheng_appkit.indicators import exists
from quancheng_appkit.plugin import Params
from quancheng_appkit.resource import (
    FieldDef,
    IndicatorDef,
    Row,
    SqlDepartment,
    SqlResource,
    SubjectSource,
    column,
)
from quancheng_appkit.window import Window
from quancheng_datagen.schema import death_registration as dr

#: Cause categories of deaths by accident (the others are deaths from disease).
ACCIDENTAL_CAUSES = ("交通事故", "其他意外伤害")


def _deaths(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return select(dr).where(
        dr.c.id_number == subject_id, dr.c.death_date.between(w.first_day, w.last_day)
    )


def _accidental(rows: Sequence[Row], w: Window) -> bool:
    return any(r["cause_category"] in ACCIDENTAL_CAUSES for r in rows)


death = SqlResource(
    resource_id="death.registration",
    subject_kind="person",
    title="死亡登记信息",
    select=_deaths,
    single=True,
    fields=[
        FieldDef("deceased", "期间内死亡", lambda r: True, absent=False),
        column("death_date", "死亡日期"),
        column("death_place_type", "死亡地点类型"),
        column("cause_category", "死因分类"),
        column("underlying_cause_icd10", "根本死因（ICD-10）"),
        column("certificate_no", "死亡医学证明编号"),
        column("issuing_institution", "签发机构"),
        column("cremation_date", "火化日期"),
        column("hukou_cancelled_date", "户籍注销日期"),
    ],
    indicators=[
        IndicatorDef("deceased", "期间内死亡", exists(lambda r: True)),
        IndicatorDef("accidental_death", "期间内因意外身故", _accidental),
    ],
    purposes=[Purpose.LIFE_CLAIM],
    sensitivity=3,
)

civil_affairs = SqlDepartment(
    provider="jinan.civil",
    name="济南市民政局",
    datagen_department="civil_affairs",
    handlers=[death],
    subject_sources=[SubjectSource(dr.c.id_number, "resident_id")],
)
