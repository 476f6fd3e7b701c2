"""A builder runs once per shape on symbols; one that cannot is built per query, as before."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from typing import Any

import pytest
from sqlalchemy import Engine, Select, create_engine, insert, select
from sqlalchemy.exc import OperationalError

from quancheng.protocol import Purpose
from quancheng_appkit.indicators import count
from quancheng_appkit.plugin import Params
from quancheng_appkit.resource import IndicatorDef, ParamDef, SelectRows, SqlResource, column
from quancheng_appkit.symbolic import WINDOW_TYPES
from quancheng_appkit.window import Window
from quancheng_datagen.schema import utility_bill as ub
from tests.appkit.support import EVENTS, PERIODS, ROWS, both_ways

UTILITIES = ("水", "电", "燃气")


def _bills(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return (
        select(ub)
        .where(ub.c.subject_id == subject_id, ub.c.period.between(w.first_month, w.last_month))
        .order_by(ub.c.period, ub.c.utility, ub.c.account_no)
    )


def _resource(
    build: SelectRows,
    *,
    prepare: bool = True,
    resource_id: str = "test.bills",
    fields: tuple[str, ...] = ("utility", "due_date"),
) -> SqlResource:
    return SqlResource(
        resource_id=resource_id,
        subject_kind="person",
        title="测试",
        select=build,
        fields=[column(name, name) for name in fields],
        indicators=[IndicatorDef("bills_count", "账单数", count())],
        params=[ParamDef("utility", "类别", choices=UTILITIES)],
        purposes=[Purpose.PERSONAL_CREDIT],
        sensitivity=2,
        prepare=prepare,
    )


class Counted:
    """A builder that counts its calls."""

    def __init__(self, build: SelectRows) -> None:
        self.build, self.calls = build, 0

    def __call__(self, subject_id: str, w: Window, params: Params) -> Select[Any]:
        self.calls += 1
        return self.build(subject_id, w, params)


@pytest.fixture(scope="module")
def households(world: Engine) -> list[str]:
    with world.connect() as conn:
        found = conn.scalars(
            select(ub.c.subject_id).where(ub.c.subject_type == "个人").distinct().limit(8)
        )
        return sorted(found)


def _ask_everything(world: Engine, resource: SqlResource, households: list[str]) -> None:
    """Every household, period and parameter: the answers are those through Core."""
    with world.connect() as conn:
        for subject in households:
            for period in PERIODS.values():
                for params in ({}, *({"utility": u} for u in UTILITIES)):
                    prepared, core = both_ways(conn, resource, subject, period, params)
                    assert prepared == core


def test_the_builder_runs_once_per_shape_and_once_more_to_check_it(
    world: Engine, households: list[str]
) -> None:
    build = Counted(_bills_of_one_utility)
    resource = _resource(build)
    _ask_everything(world, resource, households)
    assert resource.plans is not None
    assert resource.plans.shapes(world.dialect) == {(): True, ("utility",): True}
    # once on symbols and once with the first query's values, per shape; then never again
    # (the Core path of both_ways builds per query: subtract those calls)
    queries = len(households) * len(PERIODS) * (1 + len(UTILITIES))
    assert build.calls - 3 * queries == 2 * 2


def _bills_of_one_utility(subject_id: str, w: Window, params: Params) -> Select[Any]:
    stmt = _bills(subject_id, w, params)
    return stmt.where(ub.c.utility == params["utility"]) if "utility" in params else stmt


def _branch_on_value(subject_id: str, w: Window, params: Params) -> Select[Any]:
    stmt = _bills(subject_id, w, params)
    return stmt.where(ub.c.utility == "水") if params.get("utility") == "水" else stmt


def _window_months(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return select(ub).where(ub.c.subject_id == subject_id, ub.c.period.in_(w.months()))


def _date_arithmetic(subject_id: str, w: Window, params: Params) -> Select[Any]:
    month_before = w.last_day - timedelta(days=30)
    return _bills(subject_id, w, params).where(ub.c.due_date <= month_before)


def _in_list(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return _bills(subject_id, w, params).where(ub.c.utility.in_(["水", "电"]))


def _month_as_text(subject_id: str, w: Window, params: Params) -> Select[Any]:
    return _bills(subject_id, w, params).where(ub.c.period != f"{w.first_month}")


def _unseen_type_test(subject_id: str, w: Window, params: Params) -> Select[Any]:
    stmt = _bills(subject_id, w, params)
    utility = params.get("utility")
    return stmt.where(ub.c.utility == utility) if isinstance(utility, str) else stmt


@pytest.mark.parametrize(
    ("build", "shapes", "reason"),
    [
        (_branch_on_value, {(): True, ("utility",): False}, "computes with qc_param_0 (eq)"),
        (_window_months, {(): False, ("utility",): False}, "uses Window.months"),
        (_date_arithmetic, {(): False, ("utility",): False}, "computes with qc_window_last_day"),
        (_in_list, {(): False, ("utility",): False}, "an expanding IN list"),
        (_month_as_text, {(): False, ("utility",): False}, "turns qc_window_first_month into"),
        (
            _unseen_type_test,
            {(): True, ("utility",): False},
            "is not the symbolic SQL with them bound",
        ),
    ],
    ids=["value-branch", "window-months", "date-arithmetic", "in-list", "text", "unseen"],
)
def test_a_builder_that_computes_with_its_values_is_built_per_query(
    world: Engine,
    households: list[str],
    caplog: pytest.LogCaptureFixture,
    build: SelectRows,
    shapes: dict[tuple[str, ...], bool],
    reason: str,
) -> None:
    resource = _resource(build)
    with caplog.at_level(logging.WARNING, logger="quancheng_appkit.symbolic"):
        _ask_everything(world, resource, households)
    assert resource.plans is not None and resource.plans.shapes(world.dialect) == shapes
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == list(shapes.values()).count(False)
    assert all(w.startswith("test.bills: the SELECT is built per query") for w in warnings)
    assert any(reason in w for w in warnings), warnings


def test_a_resource_that_does_not_prepare_builds_every_query(
    world: Engine, households: list[str]
) -> None:
    build = Counted(_bills_of_one_utility)
    resource = _resource(build, prepare=False)
    assert resource.plans is None
    with world.connect() as conn:
        for subject in households:
            resource.fetch(
                conn,
                subject_id=subject,
                fields=("utility",),
                period=PERIODS["last year"],
                params={},
            )
    assert build.calls == len(households)


def test_the_prepared_statement_runs_in_the_connections_transaction(
    world: Engine, households: list[str]
) -> None:
    resource = _resource(_bills_of_one_utility)
    subject, period = households[0], PERIODS["24 whole months"]
    with world.connect() as conn:  # never committed: rolled back when the block ends
        before = resource.derive(
            conn, subject_id=subject, indicators=("bills_count",), period=period, params={}
        )
        inside = _bills(subject, Window.of(period), {})
        row = conn.execute(inside).mappings().first()
        assert row is not None
        conn.execute(insert(ub).values({**row, "account_no": "TEST-UNCOMMITTED"}))
        after = resource.derive(
            conn, subject_id=subject, indicators=("bills_count",), period=period, params={}
        )
    assert after == {"bills_count": before["bills_count"] + 1}
    assert resource.plans is not None and resource.plans.shapes(world.dialect) == {(): True}


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(tmp_path: Any) -> None:
    empty = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables at all
    resource = _resource(_bills_of_one_utility)
    errors = []
    with empty.connect() as conn:
        for r in (resource, resource.unprepared()):
            with pytest.raises(OperationalError) as raised:
                r.fetch(conn, subject_id="x", fields=("utility",), period=(0, 1), params={})
            errors.append((type(raised.value), type(raised.value.orig), str(raised.value.orig)))
    assert errors[0] == errors[1] == (OperationalError, errors[0][1], "no such table: utility_bill")
    assert resource.plans is not None and resource.plans.shapes(empty.dialect) == {(): True}
    empty.dispose()


def test_every_window_attribute_is_a_symbol_of_its_values_type() -> None:
    window = Window.of(PERIODS["cut through months and days"])
    attributes = [f.name for f in dataclasses.fields(Window)] + [
        name for name, value in vars(Window).items() if isinstance(value, cached_property)
    ]
    assert sorted(WINDOW_TYPES) == sorted(attributes)
    for name, sql_type in WINDOW_TYPES.items():
        assert type(getattr(window, name)) is sql_type.python_type, name
    methods: list[Callable[..., Any]] = [Window.months, Window.contains_day]
    assert not any(m.__name__ in WINDOW_TYPES for m in methods)


def test_a_column_type_that_converts_values_is_caught_by_the_first_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = create_engine("sqlite://")
    EVENTS.create(engine)
    with engine.begin() as conn:
        conn.execute(insert(EVENTS), ROWS)

    def by_code(subject_id: str, w: Window, params: Params) -> Select[Any]:
        # a str against a Shouted column: a literal would be Shouted, the symbol is String
        return select(EVENTS).where(EVENTS.c.code == subject_id, EVENTS.c.day <= w.last_day)

    resource = _resource(by_code, resource_id="test.events", fields=("code", "day"))
    everything = PERIODS["everything"]
    with (
        caplog.at_level(logging.WARNING, logger="quancheng_appkit.symbolic"),
        engine.connect() as conn,
    ):
        for code in ("a1", "b2", "zz"):
            prepared, core = both_ways(conn, resource, code, everything, {})
            assert prepared == core
        answer = resource.fetch(
            conn, subject_id="a1", fields=("day",), period=everything, params={}
        )
    assert answer == {"day": ["2026-01-31"]}
    assert resource.plans is not None and resource.plans.shapes(engine.dialect) == {(): False}
    assert "is not the symbolic SQL with them bound" in caplog.records[0].getMessage()
    engine.dispose()
