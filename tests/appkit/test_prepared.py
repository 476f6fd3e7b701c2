"""A statement compiled once converts values as SQLAlchemy does, both ways, for any type."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Date, bindparam, create_engine, insert, select

from quancheng_appkit.errors import NotPreparable
from quancheng_appkit.prepared import PreparedStatement, fetch_mappings
from tests.appkit.support import EVENTS, ROWS, typed


def test_bound_values_and_columns_are_converted_as_sqlalchemy_converts_them() -> None:
    engine = create_engine("sqlite://")
    EVENTS.create(engine)
    stmt = (
        select(EVENTS)
        .where(
            (EVENTS.c.day >= bindparam("since", type_=Date())) | (EVENTS.c.code == bindparam("c"))
        )
        .order_by(EVENTS.c.id)
    )
    prepared = PreparedStatement(stmt, engine.dialect)
    with engine.begin() as conn:
        conn.execute(insert(EVENTS), ROWS)
    with engine.connect() as conn:
        for values in (
            {"since": date(2026, 2, 1), "c": "a1"},
            {"since": date(2027, 1, 1), "c": "x"},
        ):
            core = list(conn.execute(stmt, values).mappings())
            rows = fetch_mappings(conn, prepared, values)
            assert typed(rows) == typed(core)
        everything = fetch_mappings(conn, prepared, {"since": date(2000, 1, 1), "c": "a1"})
    assert everything == ROWS[:2]  # dates, instants, booleans and the decorated codes back
    engine.dispose()


def test_an_expanding_in_list_is_not_preparable() -> None:
    engine = create_engine("sqlite://")
    with pytest.raises(NotPreparable, match="expanding IN list"):
        PreparedStatement(select(EVENTS).where(EVENTS.c.id.in_([1, 2])), engine.dialect)
