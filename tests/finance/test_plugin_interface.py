"""The finance departments as the gateway framework loads them."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import Engine, Executable, case, literal, select, union

from quancheng_appkit.resource import SqlDepartment
from quancheng_datagen.schema import (
    administrative_penalty,
    business_registration,
    housing_fund_contribution,
    social_security_contribution,
    tax_credit_rating,
    tax_payment,
    utility_bill,
)
from quancheng_finance.departments import (
    DEPARTMENTS,
    housing_fund,
    market_regulation,
    social_security,
    tax,
    utilities,
)
from tests.insurance.helpers import check_every_answer, check_plugin_shape


@pytest.mark.parametrize("department", DEPARTMENTS, ids=lambda d: d.provider)
def test_department_has_the_framework_plugin_shape(department: SqlDepartment) -> None:
    check_plugin_shape(department)


@pytest.mark.parametrize(
    "name", ["tax", "social_security", "housing_fund", "utilities", "market_regulation"]
)
def test_departments_load_by_module_and_attribute_name(name: str) -> None:
    assert getattr(importlib.import_module("quancheng_finance.departments"), name) in DEPARTMENTS


def test_providers_resources_and_subject_kinds_are_the_catalogue_codes() -> None:
    assert {
        d.provider: [(h.spec.resource_id, h.spec.subject_kind) for h in d.handlers]
        for d in DEPARTMENTS
    } == {
        "jinan.tax": [("tax.payment", "business"), ("tax.credit_rating", "business")],
        "jinan.hrss": [("social.contribution", "person"), ("social.employer", "business")],
        "jinan.hpf": [("housing.fund", "person")],
        "jinan.utilities": [("utility.payment", "person"), ("utility.business", "business")],
        "jinan.amr": [("business.registration", "business"), ("business.penalty", "business")],
    }


@pytest.mark.parametrize("department", DEPARTMENTS, ids=lambda d: d.provider)
def test_every_answer_about_every_subject_is_clean_json_without_the_identifier(
    engine: Engine, department: SqlDepartment
) -> None:
    assert check_every_answer(engine, department) > 0


def test_subjects_are_every_distinct_identifier_with_its_kind(engine: Engine) -> None:
    ssc, ub = social_security_contribution, utility_bill
    person, business = literal("resident_id"), literal("uscc")
    expected: dict[SqlDepartment, Executable] = {
        tax: union(
            select(business, tax_payment.c.uscc), select(business, tax_credit_rating.c.uscc)
        ),
        social_security: union(
            select(person, ssc.c.id_number),
            select(business, ssc.c.employer_uscc).where(ssc.c.employer_uscc.is_not(None)),
        ),
        housing_fund: select(person, housing_fund_contribution.c.id_number).distinct(),
        utilities: select(
            case((ub.c.subject_type == "个人", "resident_id"), else_="uscc"), ub.c.subject_id
        ).distinct(),
        market_regulation: union(
            select(business, business_registration.c.uscc),
            select(business, administrative_penalty.c.uscc),
        ),
    }
    with engine.connect() as conn:
        for department, stmt in expected.items():
            subjects = list(department.subjects(conn))
            assert len(subjects) == len(set(subjects)), department.provider
            assert set(subjects) == {tuple(r) for r in conn.execute(stmt)}, department.provider
        kinds = {kind for kind, _ in utilities.subjects(conn)}
    assert kinds == {"resident_id", "uscc"}


@pytest.mark.parametrize(
    "name", ["tax", "social_security", "housing_fund", "utilities", "market_regulation"]
)
def test_the_gateway_framework_loads_the_department(name: str) -> None:
    resources = pytest.importorskip("quancheng_gateway.resources")
    department = resources.load_department(f"quancheng_finance.departments:{name}")
    assert isinstance(department, resources.Department)
    assert all(isinstance(h.spec, resources.ResourceSpec) for h in department.handlers)
