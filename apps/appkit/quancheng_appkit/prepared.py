"""Core statements compiled once for a dialect and run on the DB-API cursor.

A statement that runs on every query stays a SQLAlchemy Core expression where it is written;
:class:`PreparedStatement` compiles it once, binds values by name, and the driver runs its SQL
text (sqlite3 keeps a prepared statement per connection and text, psycopg prepares one
server-side after a few runs). What SQLAlchemy does per execution (cache key, compiled-cache
lookup, execution context, result objects: ~0.1 ms a statement) is skipped; what it converts
is kept: every bound value passes through its type's bind processor and every selected column
through its type's result processor, both as the dialect implements the type (SQLite stores a
``Date`` as text and hands back a ``date``), so :func:`fetch_mappings` returns the values
``Connection.execute(statement).mappings()`` returns. A driver error is raised as the
``sqlalchemy.exc`` class SQLAlchemy would raise (:func:`driver_error`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

from quancheng_appkit.errors import NotPreparable

__all__ = ["PreparedStatement", "driver_error", "fetch_mappings"]

Processor = Callable[[Any], Any]


class PreparedStatement:
    """A Core statement compiled once for ``dialect``; values bound by name."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise NotPreparable("its SQL is completed per run (an expanding IN list)")
        self.sql = compiled.string
        self.dialect = dialect
        self._processors: dict[str, Processor] = {}
        for bind, name in compiled.bind_names.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self._processors[name] = process
        #: Bound values the statement carries itself (literals), by name, processed.
        self._defaults = self._processed(compiled.construct_params(_check=False))
        positions = compiled.positiontup
        self._positions = tuple(positions) if positions is not None else None
        selected = getattr(statement, "selected_columns", None)
        self._column_types: tuple[TypeEngine[Any], ...] = (
            tuple(c.type for c in selected) if selected is not None else ()
        )
        self._layout: tuple[tuple[str, ...], tuple[tuple[int, Processor], ...]] | None = None

    def args(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters: positional (sqlite3's ``?``) or named (psycopg's)."""
        # Most hot statements carry no literal and no typed value: no copy for them.
        given = self._processed(values) if self._processors else values
        merged = {**self._defaults, **given} if self._defaults else given
        if self._positions is not None:
            return tuple(merged[name] for name in self._positions)
        return dict(merged)

    def mappings(
        self, description: Sequence[Sequence[Any]], rows: Sequence[Sequence[Any]]
    ) -> list[dict[str, Any]]:
        """Rows the statement returned, by column name, each value as SQLAlchemy types it."""
        layout = self._layout
        if layout is None:  # the driver's column type codes are known from the first run
            layout = self._layout = self._result_layout(description)
        keys, processors = layout
        if not processors:
            return [dict(zip(keys, row, strict=True)) for row in rows]
        typed = []
        for row in rows:
            values = list(row)
            for i, process in processors:
                values[i] = process(values[i])
            typed.append(dict(zip(keys, values, strict=True)))
        return typed

    def _processed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        processors = self._processors
        return {
            name: processors[name](value) if name in processors else value
            for name, value in values.items()
        }

    def _result_layout(
        self, description: Sequence[Sequence[Any]]
    ) -> tuple[tuple[str, ...], tuple[tuple[int, Processor], ...]]:
        if len(description) != len(self._column_types):
            raise NotPreparable(
                f"the driver describes {len(description)} columns, "
                f"the statement selects {len(self._column_types)}"
            )
        processors = []
        for i, (column_type, described) in enumerate(
            zip(self._column_types, description, strict=True)
        ):
            impl = column_type.dialect_impl(self.dialect)
            process = impl.result_processor(self.dialect, described[1])
            if process is not None:
                processors.append((i, process))
        return tuple(str(d[0]) for d in description), tuple(processors)


def fetch_mappings(
    conn: Connection, statement: PreparedStatement, values: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Run a prepared SELECT on ``conn``'s DB-API connection: its rows by column name.

    The connection's transaction, if any, is the driver's: the statement sees what ``conn``
    sees, and closing ``conn`` rolls back what the driver began.
    """
    raw = conn.connection
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(statement.sql, statement.args(values))
            return statement.mappings(cursor.description, cursor.fetchall())
        finally:
            cursor.close()
    except statement.dialect.loaded_dbapi.Error as exc:
        raise driver_error(statement.dialect, exc, raw.driver_connection, conn.invalidate) from exc


def driver_error(
    dialect: Dialect,
    exc: Exception,
    driver_connection: Any,
    invalidate: Callable[[BaseException], None] | None,
) -> StatementError:
    """The ``sqlalchemy.exc`` error SQLAlchemy would raise for the driver's ``exc``.

    A lost connection is invalidated (``invalidate``) so that the pool does not hand it out
    again, and the error says so (``connection_invalidated``).
    """
    disconnect = dialect.is_disconnect(cast(Any, exc), driver_connection, None)
    if disconnect and invalidate is not None:
        invalidate(exc)
    return DBAPIError.instance(
        None,
        None,
        exc,
        dialect.loaded_dbapi.Error,
        connection_invalidated=disconnect,
        dialect=dialect,
    )
