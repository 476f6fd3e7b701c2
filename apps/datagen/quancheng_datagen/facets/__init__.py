"""Row generators, one module per department: each turns a subject into its rows.

A facet draws only from its own stream (``ctx.stream(kind, facet)(index)``) plus the
subject's core traits, so its rows do not depend on which other tables were generated.
"""

from __future__ import annotations

from datetime import date, timedelta

Row = dict[str, object]


def month_end(year: int, month: int) -> date:
    """Last day of a month."""
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)
