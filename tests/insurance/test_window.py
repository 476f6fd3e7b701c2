"""Data periods read in CST: whole days, whole months, instants."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from quancheng.protocol.documents import CST, data_period_seconds
from quancheng_appkit.errors import InvalidPeriod
from quancheng_appkit.window import Window, month_keys, shift_month


def _at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=CST).timestamp())


def test_a_grant_period_covers_its_calendar_dates_exactly() -> None:
    w = Window.of(data_period_seconds("2025-01-01", "2025-12-31"))
    assert (w.first_day, w.last_day) == (date(2025, 1, 1), date(2025, 12, 31))
    assert w.months() == month_keys("202501", "202512")
    assert w.start_local == datetime(2025, 1, 1) and w.end_local == datetime(
        2025, 12, 31, 23, 59, 59
    )


def test_a_day_or_month_only_partly_inside_is_left_out() -> None:
    w = Window(_at("2025-01-15T08:00:00"), _at("2025-03-31T12:00:00"))
    assert (w.first_day, w.last_day) == (date(2025, 1, 16), date(2025, 3, 30))
    assert w.months() == ["202502"]
    assert not w.contains_day(date(2025, 1, 15)) and w.contains_day(date(2025, 1, 16))


def test_a_period_shorter_than_a_day_holds_no_day_and_no_month() -> None:
    w = Window(_at("2025-05-05T10:00:00"), _at("2025-05-05T11:00:00"))
    assert w.first_day > w.last_day
    assert w.months() == []


@pytest.mark.parametrize("period", [(5, 4), "x", (1.0, 2.0), (True, 5), (1, 2, 3), (-1, 5)])
def test_a_malformed_period_is_refused(period: object) -> None:
    with pytest.raises(InvalidPeriod) as caught:
        Window.of(period)
    assert isinstance(caught.value, ValueError) and caught.value.code == "INVALID_PERIOD"


def test_months_shift_across_years() -> None:
    assert shift_month("202601", -1) == "202512"
    assert shift_month("202512", 13) == "202701"
    assert month_keys("202511", "202602") == ["202511", "202512", "202601", "202602"]
