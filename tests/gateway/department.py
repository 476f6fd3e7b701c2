"""A small test department over the datagen ``vehicle`` tables (the real ones live in apps/).

Two resources: ``vehicle.registration`` (RAW fields as lists over the person's vehicles;
DERIVED counts) and ``driving.licence`` (RAW fields of the licence; DERIVED validity).
Values are JSON-safe (str, int, lists); dates are ISO strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy
from sqlalchemy import select, union

from quancheng.protocol.refusals import SubjectNotFound
from quancheng_datagen.schema import driving_licence, vehicle_registration
from quancheng_gateway.resources import ResourceSpec

PROVIDER = "jinan.vmo"


def _date(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


class VehicleRegistration:
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

    def _rows(
        self, conn: sqlalchemy.Connection, subject_id: str, period: tuple[int, int]
    ) -> list[Any]:
        end = datetime.fromtimestamp(period[1], UTC).date()
        rows = conn.execute(
            select(vehicle_registration)
            .where(
                vehicle_registration.c.id_number == subject_id,
                vehicle_registration.c.registration_date <= end,
            )
            .order_by(vehicle_registration.c.vin)
        ).all()
        return list(rows)

    def fetch(
        self,
        conn: sqlalchemy.Connection,
        *,
        subject_id: str,
        fields: tuple[str, ...],
        period: tuple[int, int],
        params: Mapping[str, str | int],
    ) -> dict[str, Any]:
        rows = self._rows(conn, subject_id, period)
        return {f: [_date(getattr(r, f)) for r in rows] for f in fields}

    def derive(
        self,
        conn: sqlalchemy.Connection,
        *,
        subject_id: str,
        indicators: tuple[str, ...],
        period: tuple[int, int],
        params: Mapping[str, str | int],
    ) -> dict[str, Any]:
        rows = self._rows(conn, subject_id, period)
        values = {
            "vehicle_count": len(rows),
            "has_encumbrance": any(r.status in ("抵押", "查封") for r in rows),
        }
        return {i: values[i] for i in indicators}


class DrivingLicence:
    spec = ResourceSpec(
        resource_id="driving.licence",
        subject_kind="person",
        fields=("licence_class", "points", "status", "valid_until"),
        indicators=("licence_valid",),
        title="机动车驾驶证信息",
    )

    def _row(self, conn: sqlalchemy.Connection, subject_id: str) -> Any:
        row = conn.execute(
            select(driving_licence).where(driving_licence.c.id_number == subject_id)
        ).first()
        if row is None:
            raise SubjectNotFound(resource=self.spec.resource_id)
        return row

    def fetch(
        self,
        conn: sqlalchemy.Connection,
        *,
        subject_id: str,
        fields: tuple[str, ...],
        period: tuple[int, int],
        params: Mapping[str, str | int],
    ) -> dict[str, Any]:
        row = self._row(conn, subject_id)
        return {f: _date(getattr(row, f)) for f in fields}

    def derive(
        self,
        conn: sqlalchemy.Connection,
        *,
        subject_id: str,
        indicators: tuple[str, ...],
        period: tuple[int, int],
        params: Mapping[str, str | int],
    ) -> dict[str, Any]:
        row = self._row(conn, subject_id)
        return {"licence_valid": row.status == "正常"}


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
        params: Mapping[str, str | int],
    ) -> dict[str, Any]:
        data = super().fetch(
            conn, subject_id=subject_id, fields=fields, period=period, params=params
        )
        data["owner_name"] = "泄露"
        return data
