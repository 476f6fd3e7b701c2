"""Building blocks of DERIVED indicators: counts, sums and monthly continuity over rows.

Each helper returns a function ``(rows, window) -> value`` for an :class:`IndicatorDef`.
Rows arrive oldest first, already limited to the data period (and to the query's
parameters).  Values are ints, bools, strings or ``None``: never floats.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from quancheng_appkit.resource import Compute, Row
from quancheng_appkit.window import Window

Predicate = Callable[[Row], bool]


def _everything(row: Row) -> bool:
    return True


def count(where: Predicate = _everything) -> Compute:
    """How many rows satisfy ``where``."""
    return lambda rows, window: sum(1 for r in rows if where(r))


def total(column: str, where: Predicate = _everything) -> Compute:
    """The sum of an integer column over the rows that satisfy ``where`` (0 if none)."""
    return lambda rows, window: sum(int(r[column]) for r in rows if where(r))


def exists(where: Predicate) -> Compute:
    """Whether any row satisfies ``where``."""
    return lambda rows, window: any(where(r) for r in rows)


def latest(column: str) -> Compute:
    """The column's value in the latest row, or ``None`` when there is no row."""
    return lambda rows, window: rows[-1][column] if rows else None


def status_in(statuses: Collection[str], column: str = "status") -> Predicate:
    """A predicate: the row's status is one of ``statuses``."""
    return lambda row: row[column] in statuses


def ratio_pm(part: int, whole: int) -> int | None:
    """``part / whole`` in per-mille, rounded down; ``None`` when ``whole`` is 0."""
    return part * 1000 // whole if whole else None


def paid_months(rows: Sequence[Row], paid: Collection[str]) -> set[str]:
    """The ``YYYYMM`` months whose contribution was paid (on time or late)."""
    return {str(r["period"]) for r in rows if r["status"] in paid}


def months_contributed(paid: Collection[str]) -> Compute:
    """Months in the period with a paid contribution."""
    return lambda rows, window: len(paid_months(rows, paid))


def continuous_months(paid: Collection[str]) -> Compute:
    """Consecutive paid months counted back from the period's last whole month.

    0 when that month itself is unpaid or missing: continuity is about *now*.
    """

    def compute(rows: Sequence[Row], window: Window) -> int:
        done = paid_months(rows, paid)
        run = 0
        for key in reversed(window.months()):
            if key not in done:
                break
            run += 1
        return run

    return compute


def gap_months(paid: Collection[str]) -> Compute:
    """Whole months of the period without a paid contribution (missing or owed)."""
    return lambda rows, window: len(set(window.months()) - paid_months(rows, paid))


def per_month(
    values: Callable[[Sequence[Row], Window], dict[str, int]], pick: Callable[[list[int]], Any]
) -> Compute:
    """``pick`` over one value per whole month of the period (0 for a month without rows)."""

    def compute(rows: Sequence[Row], window: Window) -> Any:
        by_month = values(rows, window)
        return pick([by_month.get(key, 0) for key in window.months()])

    return compute
