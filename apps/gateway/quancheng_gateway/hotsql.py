"""Prepared statements for what every query reads and writes: DB-API, no ORM on the way.

The tables stay defined once (SQLModel, :mod:`quancheng_gateway.models`) and every statement
stays a SQLAlchemy Core expression where it is written; :class:`Prepared` compiles it once
for the engine's dialect (:class:`quancheng_appkit.prepared.PreparedStatement`, which the
department reads use too), and :class:`HotSql` runs the compiled text on the pool's DB-API
connection. The driver keeps it prepared: sqlite3 caches a prepared statement per
connection and SQL text, psycopg prepares a statement server-side once it has run a few
times on a connection. What SQLAlchemy does per execution (cache keys, execution contexts,
result objects: ~0.1 ms a statement) is skipped; its pool and its error translation are
kept, so a driver error surfaces as the same ``sqlalchemy.exc`` class it did before
(:mod:`quancheng_gateway.storage` tells outages apart by those) and a dropped connection is
invalidated, not handed out again.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import StatementError
from sqlalchemy.sql import ClauseElement

from quancheng_appkit.prepared import PreparedStatement, driver_error

__all__ = ["HotCursor", "HotSql", "Prepared"]


class Prepared(PreparedStatement):
    """A Core statement compiled once for ``engine``'s dialect; values bound by name.

    Rows come back as the driver gives them (:meth:`named` names their columns).
    """

    def __init__(self, engine: Engine, statement: ClauseElement) -> None:
        super().__init__(statement, engine.dialect)
        names = getattr(statement, "selected_columns", None)
        self._row_type: Callable[[Sequence[Any]], Any] = (
            namedtuple("Row", names.keys())._make  # type: ignore[attr-defined]
            if names is not None
            else tuple
        )

    def named(self, row: Sequence[Any]) -> Any:
        """A row the statement returned, its columns as attributes (``row.grant_id``)."""
        return self._row_type(row)


class HotCursor:
    """One DB-API connection from the pool, for a few prepared statements."""

    def __init__(self, raw: Any) -> None:
        self._cursor = raw.cursor()

    def execute(self, stmt: Prepared, values: Mapping[str, Any] | None = None) -> list[Any]:
        """Run ``stmt``; every row it returns (tuples, in the statement's column order)."""
        cur = self._cursor
        cur.execute(stmt.sql, stmt.args(values or {}))
        return cur.fetchall() if cur.description is not None else []

    def first(self, stmt: Prepared, values: Mapping[str, Any] | None = None) -> Any | None:
        """The first row ``stmt`` returns, or None."""
        cur = self._cursor
        cur.execute(stmt.sql, stmt.args(values or {}))
        return cur.fetchone()

    def execute_many(self, stmt: Prepared, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run ``stmt`` once per row of values (one driver call)."""
        self._cursor.executemany(stmt.sql, [stmt.args(row) for row in rows])


class HotSql:
    """Runs :class:`Prepared` statements on ``engine``'s pooled DB-API connections."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error

    def prepare(self, statement: ClauseElement) -> Prepared:
        return Prepared(self.engine, statement)

    @contextmanager
    def reading(self) -> Iterator[HotCursor]:
        """A connection for reads (the pool rolls back whatever it began when it takes it)."""
        with self._connection(commit=False) as cur:
            yield cur

    @contextmanager
    def transaction(self) -> Iterator[HotCursor]:
        """A connection whose statements commit together when the block ends without error."""
        with self._connection(commit=True) as cur:
            yield cur

    @contextmanager
    def _connection(self, *, commit: bool) -> Iterator[HotCursor]:
        try:
            raw = self.engine.raw_connection()
        except self._dbapi_error as exc:  # the server refused a new connection
            raise self._translated(exc, None) from exc
        try:
            cur = HotCursor(raw)
            yield cur
            if commit:
                raw.commit()
        except self._dbapi_error as exc:
            raise self._translated(exc, raw) from exc
        finally:
            raw.close()  # back to the pool, which rolls back an open transaction

    def _translated(self, exc: Exception, raw: Any) -> StatementError:
        """The ``sqlalchemy.exc`` error SQLAlchemy would have raised (see :func:`driver_error`)."""
        if raw is None:
            return driver_error(self._dialect, exc, None, None)
        return driver_error(self._dialect, exc, raw.driver_connection, raw.invalidate)
