"""The test department (车管所) with one more resource, about businesses (a fleet register).

Its subjects are people only, so a grant of a person that names ``vehicle.fleet`` is the
"enterprise resource asked of a person" attack; no query ever reaches the handler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy

from quancheng.protocol.refusals import SubjectNotFound
from quancheng_gateway.resources import ResourceSpec
from tests.gateway.department import VehicleDepartment

FLEET = "vehicle.fleet"


class Fleet:
    spec = ResourceSpec(
        resource_id=FLEET,
        subject_kind="business",
        fields=("fleet_size",),
        indicators=("has_fleet",),
        title="企业车队登记（测试）",
    )

    def fetch(
        self, conn: sqlalchemy.Connection, *, subject_id: str, fields: tuple[str, ...],
        period: tuple[int, int], params: Mapping[str, str | int],
    ) -> dict[str, Any]:  # fmt: skip
        raise SubjectNotFound(resource=FLEET)

    def derive(
        self, conn: sqlalchemy.Connection, *, subject_id: str, indicators: tuple[str, ...],
        period: tuple[int, int], params: Mapping[str, str | int],
    ) -> dict[str, Any]:  # fmt: skip
        raise SubjectNotFound(resource=FLEET)


class ScopeDepartment(VehicleDepartment):
    def __init__(self) -> None:
        super().__init__()
        self.handlers = (*self.handlers, Fleet())

    def subjects(self, conn: sqlalchemy.Connection) -> Iterable[tuple[str, str]]:
        return super().subjects(conn)


def department() -> ScopeDepartment:
    """``QC_GW_DEPARTMENT=tests.attacks.scope_department:department``."""
    return ScopeDepartment()
