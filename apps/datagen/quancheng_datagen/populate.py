"""Bulk loading of a department's tables: chunked, one transaction per chunk, executemany."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Dialect, Engine, Table

from quancheng_datagen.context import Context, context
from quancheng_datagen.facets import Row
from quancheng_datagen.rows import table_spec
from quancheng_datagen.schema import department_tables, metadata
from quancheng_datagen.world import DEFAULT_AS_OF, World

S = TypeVar("S")

#: Subjects (people or businesses) generated and inserted per transaction.
DEFAULT_CHUNK = 2000


def subjects_to_generate(department: str, people: int, businesses: int) -> int:
    """How many subjects :func:`populate` walks for a department (for progress bars)."""
    specs = [table_spec(t.name) for t in department_tables(department)]
    return (people if any(s.person_rows for s in specs) else 0) + (
        businesses if any(s.business_rows for s in specs) else 0)


def populate(engine: Engine, department: str, seed: int, people: int, businesses: int, *,
             chunk: int = DEFAULT_CHUNK, as_of: date = DEFAULT_AS_OF, create: bool = True,
             progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Generate a department's records and insert them; returns rows written per table.

    Args:
        engine: any SQLAlchemy engine (SQLite, PostgreSQL); tables are created if missing.
        department: a key of ``DEPARTMENTS`` (``"vehicle"``, ``"tax"``, …).
        seed, people, businesses, as_of: the world (see :class:`World`).
        chunk: subjects per transaction; the output does not depend on it.
        create: create the department's tables first.
        progress: called with the number of subjects done after each chunk.

    Rows are inserted, not merged: load into empty tables (primary keys refuse a rerun).
    """
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    world = World(seed, people, businesses, as_of)
    ctx = context(world)
    tables = department_tables(department)
    if create:
        metadata.create_all(engine, tables=tables)
    specs = [table_spec(t.name) for t in tables]
    counts = dict.fromkeys((t.name for t in tables), 0)
    person_fns = [(s.name, s.person_rows) for s in specs if s.person_rows is not None]
    business_fns = [(s.name, s.business_rows) for s in specs if s.business_rows is not None]
    if person_fns:
        _load(engine, people, ctx.person, person_fns, ctx, chunk, counts, progress)
    if business_fns:
        _load(engine, businesses, ctx.business, business_fns, ctx, chunk, counts, progress)
    return counts


def _load(engine: Engine, total: int, make: Callable[[int], S],
          fns: list[tuple[str, Callable[[Context, S], list[Row]]]], ctx: Context, chunk: int,
          counts: dict[str, int], progress: Callable[[int], None] | None) -> None:
    """Subjects ``0 .. total-1`` in chunks: generate every table's rows, insert, commit."""
    for start in range(0, total, chunk):
        buffers: dict[str, list[Row]] = {name: [] for name, _ in fns}
        stop = min(total, start + chunk)
        for index in range(start, stop):
            subject = make(index)
            for name, fn in fns:
                buffers[name] += fn(ctx, subject)
        _insert(engine, buffers, counts)
        if progress is not None:
            progress(stop - start)


class _BulkInsert:
    """One table's INSERT compiled once for a dialect, fed pre-processed parameter rows.

    ``Connection.execute(table.insert(), dicts)`` spends most of its time converting each
    row's parameters; here the column types' own bind processors (e.g. SQLite's date to
    string) are applied once per value and the driver's ``executemany`` does the rest.
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        compiled = table.insert().compile(dialect=dialect)
        self.sql = compiled.string
        self.names = [c.key for c in table.columns]
        self.positional = compiled.positional
        if self.positional and list(compiled.positiontup or ()) != self.names:
            raise AssertionError(f"unexpected parameter order for {table.name}")
        self.processors = [
            (i, proc) for i, c in enumerate(table.columns)
            if (proc := c.type.bind_processor(dialect)) is not None
        ]

    def parameters(self, rows: list[Row]) -> list[tuple[Any, ...]] | list[dict[str, Any]]:
        names, processors = self.names, self.processors
        out: list[tuple[Any, ...]] = []
        for row in rows:
            values = [row[n] for n in names]
            for i, proc in processors:
                if values[i] is not None:
                    values[i] = proc(values[i])
            out.append(tuple(values))
        if self.positional:
            return out
        return [dict(zip(names, values, strict=True)) for values in out]


def _insert(engine: Engine, buffers: dict[str, list[Row]], counts: dict[str, int]) -> None:
    with engine.begin() as conn:
        for name, rows in buffers.items():
            if rows:
                bulk = _bulk_insert(metadata.tables[name], engine.dialect)
                conn.exec_driver_sql(bulk.sql, bulk.parameters(rows))
                counts[name] += len(rows)


_BULK: dict[tuple[str, str, str], _BulkInsert] = {}


def _bulk_insert(table: Table, dialect: Dialect) -> _BulkInsert:
    key = (table.name, dialect.name, dialect.paramstyle)
    bulk = _BULK.get(key)
    if bulk is None:
        bulk = _BULK[key] = _BulkInsert(table, dialect)
    return bulk
