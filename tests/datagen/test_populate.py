"""Loading departments into SQLite and reading them back per subject."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, select

from quancheng_datagen import (
    DEPARTMENTS,
    UnknownDepartmentError,
    World,
    create_department_tables,
    generate_rows,
    metadata,
    populate,
)
from quancheng_datagen.populate import subjects_to_generate

SEED, PEOPLE, BUSINESSES = 3, 150, 20
REPO = Path(__file__).resolve().parents[2]


def _engine(tmp_path: Path, name: str) -> Engine:
    return create_engine(f"sqlite:///{tmp_path / name}")


def _table_rows(engine: Engine, table: str) -> list[dict[str, object]]:
    t = metadata.tables[table]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(*t.primary_key))]


def test_every_table_belongs_to_exactly_one_department() -> None:
    owned = [t for d in DEPARTMENTS.values() for t in d.tables]
    assert sorted(owned) == sorted(metadata.tables)
    assert DEPARTMENTS["vehicle"].tables == (
        "vehicle_registration", "driving_licence", "traffic_violation")


def test_every_table_indexes_its_subject_identifier(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "all.db")
    metadata.create_all(engine)
    inspector = inspect(engine)
    for name in metadata.tables:
        key = next(c for c in ("id_number", "uscc", "subject_id") if c in metadata.tables[name].c)
        indexed = {i["column_names"][0] for i in inspector.get_indexes(name)}
        leading_pk = inspector.get_pk_constraint(name)["constrained_columns"][0]
        assert key in indexed or key == leading_pk, name


def test_a_department_creates_only_its_own_tables(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "tax.db")
    create_department_tables(engine, "tax")
    assert set(inspect(engine).get_table_names()) == {"tax_payment", "tax_credit_rating"}


@pytest.mark.parametrize("department", list(DEPARTMENTS))
def test_populate_writes_exactly_the_generated_rows(tmp_path: Path, department: str) -> None:
    engine = _engine(tmp_path, f"{department}.db")
    done: list[int] = []
    counts = populate(engine, department, SEED, PEOPLE, BUSINESSES, chunk=40,
                      progress=done.append)
    assert sum(done) == subjects_to_generate(department, PEOPLE, BUSINESSES)
    world = World(SEED, PEOPLE, BUSINESSES)
    for table in DEPARTMENTS[department].tables:
        expected = list(generate_rows(world, table))
        assert counts[table] == len(expected) > 0
        pk = [c.name for c in metadata.tables[table].primary_key]
        expected.sort(key=lambda r: tuple(str(r[c]) for c in pk))
        assert _table_rows(engine, table) == expected


def test_database_content_does_not_depend_on_the_chunk_size(tmp_path: Path) -> None:
    a, b = _engine(tmp_path, "a.db"), _engine(tmp_path, "b.db")
    populate(a, "social_security", SEED, PEOPLE, BUSINESSES, chunk=1)
    populate(b, "social_security", SEED, PEOPLE, BUSINESSES, chunk=1000)
    assert _table_rows(a, "social_security_contribution") == _table_rows(
        b, "social_security_contribution")


def test_a_subject_is_queried_back_by_its_identifier(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "vehicle.db")
    populate(engine, "vehicle", SEED, PEOPLE, BUSINESSES)
    licences = metadata.tables["driving_licence"]
    violations = metadata.tables["traffic_violation"]
    with engine.connect() as conn:
        someone = conn.execute(select(violations.c.id_number).limit(1)).scalar_one()
        lic = conn.execute(select(licences).where(licences.c.id_number == someone)).one()
        mine = conn.execute(select(violations).where(violations.c.id_number == someone)).all()
    assert lic.licence_no == someone and all(v.licence_no == someone for v in mine)


def test_unknown_department_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "x.db")
    with pytest.raises(UnknownDepartmentError) as err:
        populate(engine, "weather", SEED, PEOPLE, BUSINESSES)
    assert err.value.code == "DATAGEN_UNKNOWN_DEPARTMENT" and err.value.name == "weather"
    assert inspect(engine).get_table_names() == []


def test_cli_fills_a_department_database(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    out = subprocess.run(
        [sys.executable, "-m", "quancheng_datagen", "--department", "market_regulation",
         "--people", "30", "--businesses", "4", "--db", f"sqlite:///{db}", "--cast"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    assert "business_registration" in out.stderr and "sme_good" in out.stderr
    assert len(_table_rows(create_engine(f"sqlite:///{db}"), "business_registration")) == 4


def test_cli_reports_an_unknown_department_as_an_error_line(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "quancheng_datagen", "--department", "weather",
         "--db", f"sqlite:///{tmp_path / 'x.db'}"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert out.returncode == 1
    assert out.stderr.startswith("error: DATAGEN_UNKNOWN_DEPARTMENT:")


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_bulk_insert_speaks_postgresql_paramstyle_with_native_dates(driver: str) -> None:
    from sqlalchemy.dialects import postgresql

    from quancheng_datagen.populate import _bulk_insert

    dialect = getattr(postgresql, driver).dialect()
    bulk = _bulk_insert(metadata.tables["driving_licence"], dialect)
    assert "%(id_number)s" in bulk.sql and not bulk.positional
    rows = list(generate_rows(World(SEED, PEOPLE, 0), "driving_licence"))
    assert bulk.parameters(rows) == rows  # dates go to the driver as dates
