"""Department reads run prepared: the same rows, answers and Python types as through Core.

Every resource of every department in apps/finance and apps/insurance is asked about many
subjects of the test world (the demo's scripted ones among them, and one it does not hold),
for periods that cut through months and days or hold nothing, with no parameter and with each
value of each parameter. The prepared read (the builder run once per shape, the statement on
the DB-API cursor) must give what building and executing the SELECT through SQLAlchemy gives:
the rows, every field and every indicator, value for value and type for type. Every shape met
must have run prepared, or the test would compare Core with Core.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine

from quancheng_appkit.resource import SqlDepartment, SqlResource
from quancheng_datagen import DemoCast, populate
from quancheng_finance.departments import DEPARTMENTS as FINANCE
from quancheng_insurance.departments import DEPARTMENTS as INSURANCE
from tests.appkit.support import PERIODS, both_ways, param_variants, periods_on_the_edge
from tests.insurance.helpers import BUSINESSES, PEOPLE, SEED
from tests.utils.postgres import postgres_server

DEPARTMENTS = (*FINANCE, *INSURANCE)
RESOURCES = [(d, h) for d in DEPARTMENTS for h in d.handlers]
#: Well-formed identifiers that no department of the world holds.
NOBODY = {"person": "11010519491231002X", "business": "91370100MA3C0000X1"}


def _subjects(
    conn: Connection, department: SqlDepartment, resource: SqlResource, cast: DemoCast, every: int
) -> list[str]:
    """Every firm or every ``every``-th person the department holds, the scripted ones, nobody."""
    kind = resource.spec.subject_kind
    id_kind = "resident_id" if kind == "person" else "uscc"
    held = sorted(i for k, i in department.subjects(conn) if k == id_kind)
    sample = held[::every] if kind == "person" else held
    scripted = (
        [p.id_number for p in cast.people.values()]
        if kind == "person"
        else [b.uscc for b in cast.businesses.values()]
    )
    return [*sorted({*sample, *(s for s in scripted if s in held)}), NOBODY[kind]]


def _compare(
    engine: Engine,
    department: SqlDepartment,
    resource: SqlResource,
    cast: DemoCast,
    *,
    every: int,
    periods: dict[str, tuple[int, int]],
) -> tuple[int, set[type[Exception]]]:
    """Assert both paths agree on everything.

    Returns how many comparisons held rows, and what the answers that raised raised.
    """
    with_rows, raised = 0, set()
    with engine.connect() as conn:
        for subject in _subjects(conn, department, resource, cast, every):
            for params in param_variants(conn, resource, subject):
                for name, period in periods.items():
                    prepared, core = both_ways(conn, resource, subject, period, params)
                    assert prepared == core, (subject, name, params)
                    with_rows += isinstance(prepared[0], list) and bool(prepared[0])
                    raised |= {o[1] for o in prepared if isinstance(o, tuple)}
    assert resource.plans is not None
    shapes = resource.plans.shapes(engine.dialect)
    assert shapes == {(): True, **{(p.name,): True for p in resource.params}}
    return with_rows, raised


@pytest.mark.parametrize(
    ("department", "resource"), RESOURCES, ids=[h.spec.resource_id for _, h in RESOURCES]
)
def test_a_prepared_read_answers_exactly_what_core_answers(
    world: Engine, cast: DemoCast, department: SqlDepartment, resource: SqlResource
) -> None:
    with world.connect() as conn:
        periods = {**PERIODS, **periods_on_the_edge(conn)}
    with_rows, raised = _compare(world, department, resource, cast, every=1, periods=periods)
    assert with_rows > 0  # some subjects have records in these periods: rows were compared
    assert not raised


@pytest.fixture(scope="module")
def postgres_world() -> Iterator[Engine]:
    """The same world on PostgreSQL (psycopg: dates and instants travel as such)."""
    with postgres_server() as server:
        engine = create_engine(server.create_database())
        for d in DEPARTMENTS:
            populate(engine, d.datagen_department, seed=SEED, people=PEOPLE, businesses=BUSINESSES)
        try:
            yield engine
        finally:
            engine.dispose()


def test_a_prepared_read_on_postgresql_answers_exactly_what_core_answers(
    postgres_world: Engine, cast: DemoCast
) -> None:
    with postgres_world.connect() as conn:
        periods = {n: PERIODS[n] for n in ("24 whole months", "cut through months and days")}
        periods.update(periods_on_the_edge(conn))
    for department, resource in RESOURCES:
        with_rows, raised = _compare(
            postgres_world, department, resource, cast, every=20, periods=periods
        )
        assert with_rows > 0, resource.spec.resource_id
        assert not raised, resource.spec.resource_id  # e.g. a Decimal from SUM on PostgreSQL
