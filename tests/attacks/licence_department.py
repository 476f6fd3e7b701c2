"""A second provider beside the test department: a licence office serving one resource.

With it a grant can name resources of two providers, each behind its own gateway, as the
attack on use budgets needs. Its data is the test department's driving licences.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy
from sqlalchemy import select

from quancheng_datagen.schema import driving_licence
from quancheng_gateway.resources import ResourceSpec
from tests.gateway.department import DrivingLicence

PROVIDER = "jinan.dlo"
LICENCE = "licence.record"


class LicenceRecord(DrivingLicence):
    spec = ResourceSpec(
        resource_id=LICENCE,
        subject_kind="person",
        fields=DrivingLicence.spec.fields,
        indicators=DrivingLicence.spec.indicators,
        title="驾驶人记录（测试）",
    )


class LicenceOffice:
    provider = PROVIDER
    name = "济南市驾驶人管理所（测试）"
    datagen_department = "vehicle"

    def __init__(self) -> None:
        self.handlers = (LicenceRecord(),)

    def subjects(self, conn: sqlalchemy.Connection) -> Iterable[tuple[str, str]]:
        for (id_number,) in conn.execute(select(driving_licence.c.id_number)):
            yield ("resident_id", id_number)


def department() -> LicenceOffice:
    """``QC_GW_DEPARTMENT=tests.attacks.licence_department:department``."""
    return LicenceOffice()
