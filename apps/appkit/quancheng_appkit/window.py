"""A grant's data period as the departments' records see it: CST days, months and instants.

Departments date their records in China Standard Time, without an offset: an instant
(``occurred_at``), a day (``settlement_date``), a month (``period`` ``YYYYMM``) or a span of
days (a tax period).  A record may be used only if it lies *entirely* inside the period:

- an instant, if ``start <= t <= end``;
- a day, if all of it (00:00:00 to 23:59:59) is inside;
- a month or a span, if all of its days are.

A grant's period always runs from 00:00:00 of its first day to 23:59:59 of its last, so for
grants the three rules agree with the calendar dates the owner approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from quancheng.protocol.documents import CST
from quancheng_appkit.errors import InvalidPeriod

_DAY = timedelta(days=1)


def month_key(year: int, month: int) -> str:
    """The ``YYYYMM`` key of a month, as the departments write it."""
    return f"{year:04d}{month:02d}"


def shift_month(key: str, months: int) -> str:
    """The ``YYYYMM`` key ``months`` months after (or before, if negative) ``key``."""
    index = int(key[:4]) * 12 + int(key[4:]) - 1 + months
    return month_key(index // 12, index % 12 + 1)


def month_label(key: str) -> str:
    """``202604`` as ``2026-04``, the form answers use."""
    return f"{key[:4]}-{key[4:]}"


def month_keys(first: str, last: str) -> list[str]:
    """Every ``YYYYMM`` key from ``first`` to ``last`` inclusive (empty if first > last)."""
    keys: list[str] = []
    key = first
    while key <= last:
        keys.append(key)
        key = shift_month(key, 1)
    return keys


@dataclass(frozen=True)
class Window:
    """A data period ``(start, end)`` in Unix seconds, both inclusive, read in CST."""

    start: int
    end: int

    @classmethod
    def of(cls, period: Any) -> Window:
        """Check a period as the framework passes it; raise :class:`InvalidPeriod` if bad."""
        try:
            start, end = period
        except (TypeError, ValueError):
            raise InvalidPeriod(period) from None
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise InvalidPeriod(period)
        if start > end or start < 0:
            raise InvalidPeriod(period)
        return cls(start, end)

    @cached_property
    def start_local(self) -> datetime:
        """The first instant, as a naive CST datetime (the departments' clock)."""
        return datetime.fromtimestamp(self.start, CST).replace(tzinfo=None)

    @cached_property
    def end_local(self) -> datetime:
        """The last instant, as a naive CST datetime."""
        return datetime.fromtimestamp(self.end, CST).replace(tzinfo=None)

    @cached_property
    def first_day(self) -> date:
        """The first day wholly inside the period."""
        day = self.start_local.date()
        return day if self.start_local == datetime.combine(day, datetime.min.time()) else day + _DAY

    @cached_property
    def last_day(self) -> date:
        """The last day wholly inside the period (may precede ``first_day``: no whole day)."""
        day = self.end_local.date()
        closes = self.end_local.time() >= datetime.max.time().replace(microsecond=0)
        return day if closes else day - _DAY

    @cached_property
    def first_month(self) -> str:
        """The first month wholly inside the period, ``YYYYMM``."""
        day = self.first_day
        key = month_key(day.year, day.month)
        return key if day.day == 1 else shift_month(key, 1)

    @cached_property
    def last_month(self) -> str:
        """The last month wholly inside the period, ``YYYYMM``."""
        day = self.last_day
        key = month_key(day.year, day.month)
        return key if (day + _DAY).month != day.month else shift_month(key, -1)

    def months(self) -> list[str]:
        """Every month wholly inside the period, oldest first."""
        return month_keys(self.first_month, self.last_month)

    def contains_day(self, day: date) -> bool:
        """Whether all of ``day`` is inside the period."""
        return self.first_day <= day <= self.last_day
