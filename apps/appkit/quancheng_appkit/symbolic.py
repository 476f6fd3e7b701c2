"""A department's SELECT builder, run once per shape on symbolic values.

A builder ``(subject_id, window, params) -> Select`` (:data:`~quancheng_appkit.resource.SelectRows`)
puts its arguments into SQL as values: the subject and the window's days, months or instants
in comparisons, each parameter in a comparison when it is present. Its SELECT is then the
same for every query of one *shape* (the dialect, and the names of the parameters present);
only the values change. :class:`SelectPlans` calls the builder once per shape with a
:class:`Symbol` (a typed bound parameter) for each value, compiles the statement once
(:class:`~quancheng_appkit.prepared.PreparedStatement`) and binds the real values per query.
A symbol has its value's type (``Date`` for a day, ``String`` for a month or a parameter),
the type a literal of that value takes against a column of the plain SQLAlchemy types.

A builder that does more cannot run on symbols: one that computes with a value in Python
(branches on a parameter's value, adds days to a date, lists months) meets a symbol that
refuses every operator, conversion and attribute, and a window that offers its attributes
only (not ``months()``). Such a shape is built per query, as it always was, and a warning
says why. So is a shape whose SQL for the first query's values, rendered with its literals,
is not the symbolic SQL with those values bound (a branch the symbols could not see, a
column type that converts a value otherwise): a check made once per shape, on that query's
values only. ``SqlResource(prepare=False)`` builds every query of a resource per query.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Date, DateTime, Dialect, Integer, Select, String
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import TypeEngine

from quancheng_appkit.errors import NotPreparable
from quancheng_appkit.plugin import Params
from quancheng_appkit.prepared import PreparedStatement, fetch_mappings
from quancheng_appkit.window import Window

if TYPE_CHECKING:
    from quancheng_appkit.resource import Row, SelectRows

__all__ = ["WINDOW_TYPES", "SelectPlans", "Symbol", "select_rows"]

_log = logging.getLogger(__name__)

#: The :class:`Window` attributes a builder may use, as the SQL types of their values.
WINDOW_TYPES: Mapping[str, TypeEngine[Any]] = {
    "start": Integer(),
    "end": Integer(),
    "start_local": DateTime(),
    "end_local": DateTime(),
    "first_day": Date(),
    "last_day": Date(),
    "first_month": String(),
    "last_month": String(),
}
_SUBJECT = "qc_subject"


class Symbol(BindParameter[Any]):
    """A typed bound parameter for a value that a builder may only put into SQL."""

    inherit_cache = True

    def operate(self, op: Any, *other: Any, **kwargs: Any) -> NoReturn:
        raise NotPreparable(f"the builder computes with {self.key} ({_name(op)})")

    def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> NoReturn:
        raise NotPreparable(f"the builder computes with {self.key} ({_name(op)})")

    def __str__(self) -> str:
        raise NotPreparable(f"the builder turns {self.key} into text")


def _name(op: Any) -> str:
    return str(getattr(op, "__name__", op))


class _SymbolicWindow:
    """Stands for a :class:`Window` while a builder runs once: its attributes are symbols."""

    def __init__(self) -> None:
        self.used: dict[str, Symbol] = {}

    def __getattr__(self, name: str) -> Symbol:
        if name.startswith("__"):
            raise AttributeError(name)
        sql_type = WINDOW_TYPES.get(name)
        if sql_type is None:
            raise NotPreparable(f"the builder uses Window.{name}, which is not a value")
        if name not in self.used:
            self.used[name] = Symbol(f"qc_window_{name}", type_=sql_type)
        return self.used[name]


@dataclass(frozen=True)
class _Plan:
    """One shape's statement and where each of its values comes from."""

    statement: PreparedStatement
    #: (Window attribute, bound parameter) for each attribute the builder used.
    window: tuple[tuple[str, str], ...]
    #: (query parameter, bound parameter) for each parameter present.
    params: tuple[tuple[str, str], ...]

    def values(self, subject_id: str, window: Window, params: Params) -> dict[str, Any]:
        values: dict[str, Any] = {_SUBJECT: subject_id}
        for attribute, name in self.window:
            values[name] = getattr(window, attribute)
        for param, name in self.params:
            values[name] = params[param]
        return values


class SelectPlans:
    """One builder's SELECT, compiled once per shape and run with each query's values.

    Args:
        select: the builder.
        resource_id: the resource it reads, for the warning when a shape is built per query.
    """

    def __init__(self, select: SelectRows, resource_id: str) -> None:
        self._select = select
        self._resource_id = resource_id
        #: dialect -> names of the parameters present -> plan (None: built per query).
        self._plans: WeakKeyDictionary[Dialect, dict[tuple[str, ...], _Plan | None]] = (
            WeakKeyDictionary()
        )

    def rows(
        self, conn: Connection, subject_id: str, window: Window, params: Params
    ) -> Sequence[Row]:
        """The builder's rows for these values, as ``conn.execute(...).mappings()`` gives them."""
        plans = self._plans.get(conn.dialect)
        if plans is None:
            plans = self._plans.setdefault(conn.dialect, {})
        names = tuple(sorted(params))
        if names in plans:
            plan = plans[names]
        else:
            plan = plans[names] = self._plan(conn.dialect, names, subject_id, window, params)
        if plan is None:
            return select_rows(conn, self._select, subject_id, window, params)
        return fetch_mappings(conn, plan.statement, plan.values(subject_id, window, params))

    def shapes(self, dialect: Dialect) -> dict[tuple[str, ...], bool]:
        """The shapes met on ``dialect`` (names of the parameters present): prepared or not."""
        return {names: plan is not None for names, plan in self._plans.get(dialect, {}).items()}

    def _plan(
        self,
        dialect: Dialect,
        names: tuple[str, ...],
        subject_id: str,
        window: Window,
        params: Params,
    ) -> _Plan | None:
        symbolic_window = _SymbolicWindow()
        symbols = {name: Symbol(f"qc_param_{i}", type_=String()) for i, name in enumerate(names)}
        try:
            statement = self._select(
                cast(str, Symbol(_SUBJECT, type_=String())),
                cast(Window, symbolic_window),
                cast(Params, symbols),
            )
            plan = _Plan(
                PreparedStatement(statement, dialect),
                tuple((a, s.key) for a, s in symbolic_window.used.items()),
                tuple((n, s.key) for n, s in symbols.items()),
            )
            values = plan.values(subject_id, window, params)
            _check_same_sql(dialect, statement, values, self._select(subject_id, window, params))
        except Exception as exc:  # whatever the reason, the per-query path answers as before
            _log.warning(
                "%s: the SELECT is built per query (parameters: %s): %s",
                self._resource_id,
                ", ".join(names) or "none",
                exc,
            )
            return None
        return plan


def _check_same_sql(
    dialect: Dialect, symbolic: Select[Any], values: Mapping[str, Any], real: Select[Any]
) -> None:
    """The builder's SELECT for real values must be the symbolic one with them bound."""
    if _literal_sql(symbolic.params(values), dialect) != _literal_sql(real, dialect):
        raise NotPreparable(
            "its SQL for the first query's values is not the symbolic SQL with them bound "
            "(a branch on a value, or a column type that converts values)"
        )


def _literal_sql(statement: Select[Any], dialect: Dialect) -> str:
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def select_rows(
    conn: Connection, select: SelectRows, subject_id: str, window: Window, params: Params
) -> Sequence[Row]:
    """The builder's SELECT built and executed through SQLAlchemy, as for every query before."""
    return list(conn.execute(select(subject_id, window, params)).mappings())
