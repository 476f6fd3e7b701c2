"""The bounds of a grant's terms: one place that the SDK, the portal and the contract cite.

A grant that asks for a hundred million uses, a validity of a century or data from before
the People's Republic is not a request an owner should ever be shown. The SDK refuses such a
request before anything is sent (:mod:`quancheng.scope_check`), the owner portal flags one
written on chain by other means, and ``GrantRegistry`` reverts with
``GrantRegistryTermsOutOfBounds`` on the same numbers.

Example:
    >>> from quancheng.limits import LIMITS
    >>> LIMITS.max_uses
    100000
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["LIMITS", "GrantLimits"]

_DAY = 86_400


@dataclass(frozen=True)
class GrantLimits:
    """The largest terms a grant may carry.

    Attributes:
        max_uses: Most queries one grant allows of each of its resources.
        max_validity_days: Longest validity, ``not_after - not_before`` (three years and a
            leap day: 1,096 days).
        max_ahead_days: Latest end of validity, counted from the time of the request.
        max_data_period_days: Longest data period, ``data_to - data_from`` in days: 30 years
            with the most leap days 30 years can hold (30 × 365 + 8).
        earliest_data_from: First day a data period may start (1949-10-01). The contract
            stores periods as unsigned Unix seconds, so on chain the effective floor is
            1970-01-01 CST; the SDK names the civil bound.
        max_resources: Most resources in one grant's scope.
        max_fields_per_resource: Most fields (or indicators) named from one resource.
    """

    max_uses: int = 100_000
    max_validity_days: int = 1_096
    max_ahead_days: int = 1_096
    max_data_period_days: int = 30 * 365 + 8
    earliest_data_from: date = date(1949, 10, 1)
    max_resources: int = 16
    max_fields_per_resource: int = 64

    @property
    def max_validity_seconds(self) -> int:
        """:attr:`max_validity_days` in seconds (``notAfter - notBefore`` on chain)."""
        return self.max_validity_days * _DAY

    @property
    def max_ahead_seconds(self) -> int:
        """:attr:`max_ahead_days` in seconds."""
        return self.max_ahead_days * _DAY

    @property
    def max_data_period_seconds(self) -> int:
        """The longest ``dataTo - dataFrom`` on chain (the last day ends at 23:59:59)."""
        return self.max_data_period_days * _DAY + _DAY - 1


#: The bounds in force.
LIMITS = GrantLimits()
