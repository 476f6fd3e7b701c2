"""The world's parameters and calendar."""

from __future__ import annotations

from datetime import date

import pytest

from quancheng_datagen import DatagenError, World
from quancheng_datagen.world import HISTORY_MONTHS, months_before


def test_histories_end_with_the_last_complete_month() -> None:
    closed = months_before(date(2026, 10, 31), HISTORY_MONTHS)
    assert (closed[0].period, closed[-1].period) == ("202411", "202610")
    open_month = months_before(date(2026, 10, 15), 3)
    assert [m.period for m in open_month] == ["202607", "202608", "202609"]
    january = months_before(date(2026, 1, 31), 2)
    assert [(m.first, m.last) for m in january] == [
        (date(2025, 12, 1), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 1, 31))]


def test_a_world_with_businesses_but_no_people_is_refused() -> None:
    with pytest.raises(DatagenError):
        World(1, 0, 5)
    with pytest.raises(DatagenError):
        World(1, -1, 0)
