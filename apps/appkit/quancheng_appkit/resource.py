"""Resources read from a department's SQL tables, and the department that serves them.

A :class:`SqlResource` selects one subject's rows inside the data period (one SQL query,
on the subject's indexed column), then

- ``fetch`` returns the requested RAW fields.  A *record* resource (violations, bills,
  settlements…) answers column-wise: each requested field maps to the list of its values,
  one per record, oldest first, all lists of the same length.  A *single* resource (a
  licence, a death registration, a business registration) maps each field to its value,
  or to its "absent" value (``None``, or ``False`` for a presence flag) when the subject
  has no record in the period.
- ``derive`` computes the requested DERIVED indicators from the same rows.

Either way the answer holds only the names that were asked for, and only JSON values:
``int`` (money in fen, ratios in per-mille), ``str`` (days ``YYYY-MM-DD``, instants with
``+08:00``), ``bool`` and ``None``.  Subjects' ID numbers are never offered as fields.

The SELECT builder runs once per shape (dialect and parameters present) on symbolic values,
and each query runs the compiled statement on the connection's DB-API cursor
(:mod:`quancheng_appkit.symbolic`): rows are plain mappings by column name, with the values
SQLAlchemy would return.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy
from sqlalchemy import Select, union

from quancheng.protocol import Purpose
from quancheng_appkit.errors import (
    InvalidParameter,
    NothingRequested,
    UnknownField,
    UnknownIndicator,
)
from quancheng_appkit.plugin import (
    LocalResourceSpec,
    Params,
    Period,
    ResourceSpec,
    SubjectKind,
)
from quancheng_appkit.symbolic import SelectPlans, select_rows
from quancheng_appkit.window import Window

Row = Mapping[Any, Any]  # a result row by column name (read ``row["column"]``)
#: Builds the SELECT of one subject's rows inside a window, given the checked parameters.
#: It puts the subject, the window's attributes and the parameters present into SQL as
#: values, and computes nothing from them in Python (see :mod:`quancheng_appkit.symbolic`).
SelectRows = Callable[[str, Window, Params], Select[Any]]
Compute = Callable[[Sequence[Row], Window], Any]


def to_json(value: Any) -> Any:
    """A column value as it goes into an answer (dates ISO, instants in CST, no floats)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):  # before date: a datetime is a date
        return value.isoformat(timespec="seconds") + "+08:00"
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} values do not go into answers: {value!r}")


@dataclass(frozen=True)
class FieldDef:
    """A RAW field: its name on chain, its label for owners, and how to read it from a row."""

    name: str
    label: str
    read: Callable[[Row], Any]
    absent: Any = None  # a single resource's value when the subject has no record


def column(name: str, label: str, source: str | None = None) -> FieldDef:
    """A field that is a column of the row (``source`` if it is named differently)."""
    key = source or name
    return FieldDef(name, label, lambda row: row[key])


@dataclass(frozen=True)
class IndicatorDef:
    """A DERIVED indicator: name, label, and its computation over the period's rows."""

    name: str
    label: str
    compute: Compute


@dataclass(frozen=True)
class ParamDef:
    """An optional query parameter that narrows the records (a plate, a category…)."""

    name: str
    label: str
    choices: tuple[str, ...] = ()
    max_length: int = 32


class SqlResource:
    """One resource of a department, answered from its SQL tables.

    Args:
        resource_id: catalogue code (``vehicle.registration``).
        subject_kind: ``person`` (ID number) or ``business`` (USCC).
        title: 中文名称, as owners see it in the portal.
        select: builds the SELECT of a subject's rows inside the period.
        fields, indicators: what RAW and DERIVED queries may ask for.
        single: at most one record per subject (answers are not column lists).
        params: optional parameters that narrow the records.
        purposes: the purposes the department allows for this resource (catalogue).
        sensitivity: 1 (public) to 4 (most sensitive), for the catalogue.
        prepare: run ``select`` once per shape and each query on the DB-API cursor; False
            builds and executes every query through SQLAlchemy (a builder whose SQL depends
            on a parameter's value in a way the symbols cannot see).
    """

    def __init__(
        self,
        *,
        resource_id: str,
        subject_kind: SubjectKind,
        title: str,
        select: SelectRows,
        fields: Sequence[FieldDef],
        indicators: Sequence[IndicatorDef],
        single: bool = False,
        params: Sequence[ParamDef] = (),
        purposes: Sequence[Purpose],
        sensitivity: int,
        prepare: bool = True,
    ) -> None:
        self.spec: LocalResourceSpec = ResourceSpec(
            resource_id,
            subject_kind,
            tuple(f.name for f in fields),
            tuple(i.name for i in indicators),
            title,
        )
        self.single = single
        self.purposes = tuple(purposes)
        self.sensitivity = sensitivity
        self.params = tuple(params)
        #: 中文 labels of the fields and indicators, for the catalogue and the portal.
        self.field_labels = {f.name: f.label for f in fields}
        self.indicator_labels = {i.name: i.label for i in indicators}
        self._select = select
        #: The builder's statements compiled once per shape (None: built per query).
        self.plans: SelectPlans | None = SelectPlans(select, resource_id) if prepare else None
        self._fields = {f.name: f for f in fields}
        self._indicators = {i.name: i for i in indicators}

    def __repr__(self) -> str:
        return f"<SqlResource {self.spec.resource_id}>"

    def fetch(
        self,
        conn: sqlalchemy.Connection,
        *,
        subject_id: str,
        fields: tuple[str, ...],
        period: Period,
        params: Params,
    ) -> dict[str, Any]:
        """The requested RAW fields of the subject's records inside the period."""
        chosen = [self._field(name) for name in self._names(fields)]
        rows = self.rows(conn, subject_id, period, params)[1]
        if self.single:
            row = rows[-1] if rows else None
            return {f.name: to_json(f.read(row)) if row is not None else f.absent for f in chosen}
        return {f.name: [to_json(f.read(row)) for row in rows] for f in chosen}

    def derive(
        self,
        conn: sqlalchemy.Connection,
        *,
        subject_id: str,
        indicators: tuple[str, ...],
        period: Period,
        params: Params,
    ) -> dict[str, Any]:
        """The requested DERIVED indicators, computed from the records inside the period."""
        chosen = [self._indicator(name) for name in self._names(indicators)]
        window, rows = self.rows(conn, subject_id, period, params)
        return {i.name: to_json(i.compute(rows, window)) for i in chosen}

    def _names(self, names: tuple[str, ...]) -> tuple[str, ...]:
        if not names:
            raise NothingRequested(self.spec.resource_id)
        return tuple(dict.fromkeys(names))

    def _field(self, name: str) -> FieldDef:
        try:
            return self._fields[name]
        except KeyError:
            raise UnknownField(self.spec.resource_id, name, self.spec.fields) from None

    def _indicator(self, name: str) -> IndicatorDef:
        try:
            return self._indicators[name]
        except KeyError:
            raise UnknownIndicator(self.spec.resource_id, name, self.spec.indicators) from None

    def rows(
        self, conn: sqlalchemy.Connection, subject_id: str, period: Period, params: Params
    ) -> tuple[Window, Sequence[Row]]:
        """The period's window and the subject's rows inside it, in the builder's order."""
        window = Window.of(period)
        checked = self._checked(params)
        if self.plans is None:
            return window, select_rows(conn, self._select, subject_id, window, checked)
        return window, self.plans.rows(conn, subject_id, window, checked)

    def unprepared(self) -> SqlResource:
        """This resource building and executing every query through SQLAlchemy."""
        twin = copy.copy(self)
        twin.plans = None
        return twin

    def _checked(self, params: Params) -> Params:
        known = {p.name: p for p in self.params}
        rid = self.spec.resource_id
        for name, value in params.items():
            p = known.get(name)
            if p is None:
                raise InvalidParameter(rid, name, f"is not known; known: {', '.join(known)}")
            if not isinstance(value, str) or not 0 < len(value) <= p.max_length:
                raise InvalidParameter(rid, name, f"must be text of 1-{p.max_length} characters")
            if p.choices and value not in p.choices:
                raise InvalidParameter(rid, name, f"must be one of {', '.join(p.choices)}")
        return params


@dataclass(frozen=True)
class SubjectSource:
    """Where a department's tables name their subjects: one column and its id kind.

    ``kind`` is a fixed id kind, or a SQL expression choosing it per row.
    """

    column: sqlalchemy.ColumnElement[str]
    kind: str | sqlalchemy.ColumnElement[str]


class SqlDepartment:
    """A data provider's plug-in: its resources and the subjects its tables hold."""

    def __init__(
        self,
        *,
        provider: str,
        name: str,
        datagen_department: str,
        handlers: Sequence[SqlResource],
        subject_sources: Sequence[SubjectSource],
    ) -> None:
        self.provider = provider
        self.name = name
        self.datagen_department = datagen_department
        self.handlers: tuple[SqlResource, ...] = tuple(handlers)
        self._sources = tuple(subject_sources)

    def __repr__(self) -> str:
        return f"<SqlDepartment {self.provider}>"

    def handler(self, resource_id: str) -> SqlResource:
        """The handler of ``resource_id`` (``KeyError`` if this department has none)."""
        for h in self.handlers:
            if h.spec.resource_id == resource_id:
                return h
        raise KeyError(resource_id)

    def subjects(self, conn: sqlalchemy.Connection) -> Iterator[tuple[str, str]]:
        """Every subject of the department's tables once: ``(id kind, identifier)``."""
        selects = []
        for s in self._sources:
            kind = sqlalchemy.literal(s.kind) if isinstance(s.kind, str) else s.kind
            selects.append(
                sqlalchemy.select(kind.label("id_kind"), s.column.label("identifier")).where(
                    s.column.is_not(None)
                )
            )
        stmt = union(*selects) if len(selects) > 1 else selects[0].distinct()
        for id_kind, identifier in conn.execute(stmt):
            yield str(id_kind), str(identifier)
