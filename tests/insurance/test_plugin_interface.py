"""The insurance departments as the gateway framework loads them."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import Engine, Executable, select, union

from quancheng_appkit.resource import SqlDepartment
from quancheng_datagen.schema import (
    death_registration,
    driving_licence,
    medical_settlement,
    traffic_violation,
    vehicle_registration,
)
from quancheng_insurance.departments import DEPARTMENTS, civil_affairs, medical_insurance, vehicle
from tests.insurance.helpers import check_every_answer, check_plugin_shape


@pytest.mark.parametrize("department", DEPARTMENTS, ids=lambda d: d.provider)
def test_department_has_the_framework_plugin_shape(department: SqlDepartment) -> None:
    check_plugin_shape(department)


@pytest.mark.parametrize("name", ["vehicle", "civil_affairs", "medical_insurance"])
def test_departments_load_by_module_and_attribute_name(name: str) -> None:
    module = importlib.import_module("quancheng_insurance.departments")
    assert getattr(module, name) in DEPARTMENTS


def test_providers_and_resources_are_the_catalogue_codes() -> None:
    assert {d.provider: [h.spec.resource_id for h in d.handlers] for d in DEPARTMENTS} == {
        "jinan.vmo": ["vehicle.registration", "driving.licence", "traffic.violation"],
        "jinan.civil": ["death.registration"],
        "jinan.hsa": ["medical.settlement"],
    }


@pytest.mark.parametrize("department", DEPARTMENTS, ids=lambda d: d.provider)
def test_every_answer_about_every_subject_is_clean_json_without_the_id_number(
    engine: Engine, department: SqlDepartment
) -> None:
    assert check_every_answer(engine, department) > 0


def test_subjects_are_every_distinct_id_number_of_the_tables(engine: Engine) -> None:
    expected: dict[SqlDepartment, Executable] = {
        vehicle: union(
            select(vehicle_registration.c.id_number),
            select(driving_licence.c.id_number),
            select(traffic_violation.c.id_number),
        ),
        civil_affairs: select(death_registration.c.id_number).distinct(),
        medical_insurance: select(medical_settlement.c.id_number).distinct(),
    }
    with engine.connect() as conn:
        for department, stmt in expected.items():
            subjects = list(department.subjects(conn))
            assert len(subjects) == len(set(subjects))
            assert {kind for kind, _ in subjects} == {"resident_id"}
            assert {s for _, s in subjects} == set(conn.scalars(stmt))


@pytest.mark.parametrize("name", ["vehicle", "civil_affairs", "medical_insurance"])
def test_the_gateway_framework_loads_the_department(name: str) -> None:
    resources = pytest.importorskip("quancheng_gateway.resources")
    department = resources.load_department(f"quancheng_insurance.departments:{name}")
    assert isinstance(department, resources.Department)
    assert all(isinstance(h.spec, resources.ResourceSpec) for h in department.handlers)
