"""A small test department over the datagen ``vehicle`` tables (the real ones live in apps/).

Two resources, each a :class:`~quancheng_appkit.resource.SqlResource` (so the gateway tests and
benchmarks read through the product's prepared path): ``vehicle.registration`` (RAW fields as
lists over the person's vehicles in VIN order; DERIVED counts) and ``driving.licence`` (RAW
fields of the licence, whatever the period; DERIVED validity; ``SubjectNotFound`` for a person
without one). A vehicle counts if registered on or before the period's last day (CST), which
for a grant's period (it ends at 23:59:59 CST) is also the UTC date of its end.
Values are JSON-safe (str, int, lists); dates are ISO strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy
from sqlalchemy import Select, select, union

from quancheng.protocol import Purpose
from quancheng.protocol.refusals import SubjectNotFound
from quancheng_appkit.indicators import count, exists
from quancheng_appkit.plugin import LocalResourceSpec, Params, Period
from quancheng_appkit.resource import IndicatorDef, Row, SelectRows, SqlResource, column
from quancheng_appkit.window import Window
from quancheng_datagen.schema import driving_licence, vehicle_registration
from quancheng_gateway.resources import ResourceSpec

PROVIDER = "jinan.vmo"
ENCUMBERED = ("抵押", "查封")


def _vehicles(subject_id: str, w: Window, params: Params) -> Select[Any]:
    vr = vehicle_registration
    return (
        select(vr)
        .where(vr.c.id_number == subject_id, vr.c.registration_date <= w.last_day)
        .order_by(vr.c.vin)
    )


def _licence(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return select(driving_licence).where(driving_licence.c.id_number == subject_id)


def _licence_valid(rows: Sequence[Row], w: Window) -> bool:
    return bool(rows[-1]["status"] == "正常")


class _SpecResource(SqlResource):
    """A resource whose catalogue entry is its class's ``spec`` (a subclass may change it)."""

    spec: LocalResourceSpec

    def __init__(
        self, select: SelectRows, indicators: Sequence[IndicatorDef], *, single: bool = False
    ) -> None:
        super().__init__(
            resource_id=self.spec.resource_id,
            subject_kind=self.spec.subject_kind,
            title=self.spec.title,
            select=select,
            single=single,
            fields=[column(name, name) for name in self.spec.fields],
            indicators=indicators,
            purposes=[Purpose.MOTOR_CLAIM],
            sensitivity=2,
        )
        # Like a plug-in written without labels: the gateway publishes none, and the portal
        # shows the codes, muted (tests/portal asserts that fallback).
        self.field_labels, self.indicator_labels = {}, {}


class VehicleRegistration(_SpecResource):
    spec = ResourceSpec(
        resource_id="vehicle.registration",
        subject_kind="person",
        fields=(
            "brand",
            "energy_type",
            "model",
            "owner_name",
            "plate_no",
            "registration_date",
            "status",
        ),
        indicators=("has_encumbrance", "vehicle_count"),
        title="机动车登记信息",
    )

    def __init__(self) -> None:
        encumbered = exists(lambda r: r["status"] in ENCUMBERED)
        super().__init__(
            _vehicles,
            [
                IndicatorDef("has_encumbrance", "抵押或查封", encumbered),
                IndicatorDef("vehicle_count", "机动车数量", count()),
            ],
        )


class DrivingLicence(_SpecResource):
    spec = ResourceSpec(
        resource_id="driving.licence",
        subject_kind="person",
        fields=("licence_class", "points", "status", "valid_until"),
        indicators=("licence_valid",),
        title="机动车驾驶证信息",
    )

    def __init__(self) -> None:
        valid = IndicatorDef("licence_valid", "驾驶证状态正常", _licence_valid)
        super().__init__(_licence, [valid], single=True)

    def rows(
        self, conn: sqlalchemy.Connection, subject_id: str, period: Period, params: Params
    ) -> tuple[Window, Sequence[Row]]:
        window, rows = super().rows(conn, subject_id, period, params)
        if not rows:
            raise SubjectNotFound(resource=self.spec.resource_id)
        return window, rows


class VehicleDepartment:
    provider = PROVIDER
    name = "济南市公安局交通警察支队车辆管理所（测试）"
    datagen_department = "vehicle"

    def __init__(self) -> None:
        self.handlers = (VehicleRegistration(), DrivingLicence())

    def subjects(self, conn: sqlalchemy.Connection) -> Iterable[tuple[str, str]]:
        ids = union(select(vehicle_registration.c.id_number), select(driving_licence.c.id_number))
        for (id_number,) in conn.execute(ids):
            yield ("resident_id", id_number)


def vehicle() -> VehicleDepartment:
    """The department factory named by ``QC_GW_DEPARTMENT=tests.gateway.department:vehicle``."""
    return VehicleDepartment()


class LeakyHandler(VehicleRegistration):
    """A broken handler that returns more than it was asked (the framework must refuse)."""

    spec = ResourceSpec(
        "vehicle.registration",
        "person",
        VehicleRegistration.spec.fields,
        VehicleRegistration.spec.indicators,
        "泄露测试",
    )

    def fetch(
        self,
        conn: sqlalchemy.Connection,
        *,
        subject_id: str,
        fields: tuple[str, ...],
        period: tuple[int, int],
        params: Params,
    ) -> dict[str, Any]:
        data = super().fetch(
            conn, subject_id=subject_id, fields=fields, period=period, params=params
        )
        data["owner_name"] = "泄露"
        return data
