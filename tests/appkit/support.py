"""Asking a resource by both paths: prepared (the default) and through SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    select,
)

from quancheng.protocol.documents import CST, data_period_seconds
from quancheng_appkit.plugin import Period
from quancheng_appkit.resource import ParamDef, SqlResource
from quancheng_datagen.schema import traffic_violation as tv
from quancheng_datagen.schema import vehicle_registration as vr
from tests.insurance.helpers import LAST_YEAR, PERIOD


def at(text: str) -> int:
    """Unix seconds of a CST wall-clock time."""
    return int(datetime.fromisoformat(text).replace(tzinfo=CST).timestamp())


#: The world is generated as of 2026-10-31; its records go back years.
PERIODS: dict[str, Period] = {
    "24 whole months": PERIOD,
    "last year": LAST_YEAR,
    "everything": (0, at("2030-12-31T23:59:59")),
    "cut through months and days": (at("2025-03-14T13:30:05"), at("2026-02-10T08:00:00")),
    "one month": data_period_seconds("2026-02-01", "2026-02-28"),
    "one day": data_period_seconds("2026-03-02", "2026-03-02"),
    "no whole day": (at("2026-05-06T09:00:00"), at("2026-05-06T18:00:00")),
    "before any record": data_period_seconds("1990-01-01", "1990-12-31"),
}


def periods_on_the_edge(conn: Connection) -> dict[str, Period]:
    """Periods that end, or start, at the very second a few records occurred (both count)."""
    periods: dict[str, Period] = {}
    for occurred in conn.scalars(select(tv.c.occurred_at).order_by(tv.c.record_no).limit(3)):
        t = int(occurred.replace(tzinfo=CST).timestamp())
        periods[f"ends at {occurred}"] = (t - 3600, t)
        periods[f"starts at {occurred}"] = (t, t + 3600)
    return periods


#: Plates nobody holds: one plain, one that would match everything if it were interpolated.
STRANGER_PLATES = ("鲁A00000", "' OR 1=1--")


class Shouted(TypeDecorator[str]):
    """Stored upper case, read lower case: a type whose conversions only SQLAlchemy knows."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else value.upper()

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else value.lower()


EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("day", Date),
    Column("at", DateTime),
    Column("done", Boolean),
    Column("code", Shouted),
)
ROWS: list[dict[str, Any]] = [
    {"id": 1, "day": date(2026, 1, 31), "at": datetime(2026, 1, 31, 23, 59, 59), "done": True,
     "code": "a1"},
    {"id": 2, "day": date(2026, 2, 1), "at": datetime(2026, 2, 1, 0, 0, 0, 5), "done": False,
     "code": "b2"},
    {"id": 3, "day": None, "at": None, "done": None, "code": None},
]  # fmt: skip


def typed(value: Any) -> Any:
    """``value`` with every element's type beside it (``True == 1`` and ``1 == 1.0`` in Python)."""
    if isinstance(value, Mapping):
        return [(key, typed(v)) for key, v in value.items()]
    if isinstance(value, list | tuple):
        return [typed(v) for v in value]
    return (type(value), value)


def param_variants(
    conn: Connection, resource: SqlResource, subject: str
) -> Iterator[dict[str, str]]:
    """No parameter, then each parameter alone with each value it can take."""
    yield {}
    for p in resource.params:
        for value in _values(conn, p, subject):
            yield {p.name: value}


def _values(conn: Connection, p: ParamDef, subject: str) -> tuple[str, ...]:
    if p.choices:
        return p.choices
    assert p.name == "plate_no", f"no values to try for {p.name}"
    own = conn.scalars(select(vr.c.plate_no).where(vr.c.id_number == subject)).all()
    someone_elses = conn.scalar(select(vr.c.plate_no).where(vr.c.id_number != subject))
    return (*own, str(someone_elses), *STRANGER_PLATES)


def both_ways(
    conn: Connection,
    resource: SqlResource,
    subject: str,
    period: Period,
    params: dict[str, str],
) -> tuple[list[Any], list[Any]]:
    """Rows, every field and every indicator, prepared and through Core, with their types.

    An answer that raises is compared by its exception's type and message.
    """
    prepared = _answers(conn, resource, subject, period, params)
    return prepared, _answers(conn, resource.unprepared(), subject, period, params)


def _answers(
    conn: Connection, r: SqlResource, subject: str, period: Period, params: dict[str, str]
) -> list[Any]:
    asked: dict[str, Any] = {"subject_id": subject, "period": period, "params": params}
    return [
        _outcome(lambda: list(r.rows(conn, subject, period, params)[1])),
        _outcome(lambda: r.fetch(conn, fields=r.spec.fields, **asked)),
        _outcome(lambda: r.derive(conn, indicators=r.spec.indicators, **asked)),
    ]


def _outcome(answer: Callable[[], Any]) -> Any:
    try:
        return typed(answer())
    except Exception as exc:
        return ("raises", type(exc), str(exc))
