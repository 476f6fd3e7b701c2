"""Checks of a grant request against the data catalogue and :data:`~quancheng.limits.LIMITS`.

The same functions serve the bank's SDK (which raises the first problem before anything is
sent) and the owner portal (which shows every problem of a request written on chain by other
means, and will not let it be approved). They return the problems as typed errors and never
raise for odd input: a portal must be able to judge whatever a bank can put on chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from quancheng.limits import LIMITS, GrantLimits
from quancheng.schemas import ResourceSchema
from quancheng.scope_errors import (
    DataPeriodOutOfBounds,
    FieldModeMismatch,
    FieldNotInCatalogue,
    GrantScopeError,
    GrantTermsOutOfBounds,
    MaxUsesOutOfBounds,
    ResourceSubjectMismatch,
    TooManyFields,
    TooManyResources,
    ValidityOutOfBounds,
)

__all__ = ["ResourceFacts", "Terms", "count_problems", "scope_problems", "terms_problems"]


@dataclass(frozen=True)
class ResourceFacts:
    """What is known of one resource when a request names it.

    Attributes:
        resource: The resource code.
        names: The catalogue's names for it (raw fields and indicators together).
        schema: Its published schema, if one matching the catalogue's digest was found.
    """

    resource: str
    names: frozenset[str]
    schema: ResourceSchema | None = None


@dataclass(frozen=True)
class Terms:
    """The terms of a grant request, as integers and ISO dates.

    Attributes:
        max_uses: Uses allowed of each resource.
        not_before: Start of validity (Unix seconds).
        not_after: End of validity (Unix seconds).
        data_from: First day of the data period (``YYYY-MM-DD``).
        data_to: Last day of the data period.
        requested_at: When the request was made (Unix seconds).
    """

    max_uses: int
    not_before: int
    not_after: int
    data_from: str
    data_to: str
    requested_at: int


def count_problems(
    scope: Sequence[tuple[str, Sequence[str]]], limits: GrantLimits = LIMITS
) -> list[GrantTermsOutOfBounds]:
    """Too many resources, or too many fields from one resource."""
    found: list[GrantTermsOutOfBounds] = []
    if len(scope) > limits.max_resources:
        found.append(TooManyResources("resources", len(scope), f"at most {limits.max_resources}"))
    for resource, fields in scope:
        count = len(set(fields))
        if count > limits.max_fields_per_resource:
            found.append(
                TooManyFields(resource, count, f"at most {limits.max_fields_per_resource}")
            )
    return found


def scope_problems(
    scope: Iterable[tuple[str, Sequence[str]]],
    mode: str,
    facts: Mapping[str, ResourceFacts],
    owner_kind: str | None = None,
) -> list[GrantScopeError]:
    """Names the catalogue does not list, names in the wrong mode, and subjects of two kinds.

    Args:
        scope: ``(resource, fields)`` pairs, as the request names them.
        mode: ``"RAW"`` or ``"DERIVED"``.
        facts: What is known of each resource (a resource missing here is not judged).
        owner_kind: ``"person"`` or ``"business"`` when known; otherwise the first resource
            with a published schema sets the kind the others must share.
    """
    found: list[GrantScopeError] = []
    kind = owner_kind
    for resource, fields in scope:
        fact = facts.get(resource)
        if fact is None:
            continue
        schema = fact.schema
        for name in fields:
            if name not in fact.names:
                found.append(FieldNotInCatalogue(resource, name))
            elif schema is not None and name not in _servable(schema, mode):
                found.append(FieldModeMismatch(resource, name, mode))
        if schema is None:
            continue
        if kind is None:
            kind = schema.subject_kind
        elif schema.subject_kind != kind:
            found.append(ResourceSubjectMismatch(resource, schema.subject_kind, kind))
    return found


def _servable(schema: ResourceSchema, mode: str) -> frozenset[str]:
    return schema.fields if mode == "RAW" else schema.indicators


def terms_problems(terms: Terms, limits: GrantLimits = LIMITS) -> list[GrantTermsOutOfBounds]:
    """Every term outside ``limits`` (dates that are not calendar dates included)."""
    found: list[GrantTermsOutOfBounds] = []
    if not 1 <= terms.max_uses <= limits.max_uses:
        found.append(MaxUsesOutOfBounds("max_uses", terms.max_uses, f"1 to {limits.max_uses:,}"))
    if terms.not_after - terms.not_before > limits.max_validity_seconds:
        days = (terms.not_after - terms.not_before) // 86_400
        found.append(
            ValidityOutOfBounds("validity", f"{days} days", f"at most {limits.max_validity_days}")
        )
    if terms.not_after - terms.requested_at > limits.max_ahead_seconds:
        found.append(
            ValidityOutOfBounds(
                "not_after",
                terms.not_after,
                f"at most {limits.max_ahead_days} days after the request",
            )
        )
    found.extend(_period_problems(terms.data_from, terms.data_to, limits))
    return found


def _period_problems(
    data_from: str, data_to: str, limits: GrantLimits
) -> list[GrantTermsOutOfBounds]:
    try:
        start, end = date.fromisoformat(data_from), date.fromisoformat(data_to)
    except ValueError:
        return [DataPeriodOutOfBounds("data period", f"{data_from}..{data_to}", "calendar dates")]
    found: list[GrantTermsOutOfBounds] = []
    if start < limits.earliest_data_from:
        found.append(
            DataPeriodOutOfBounds(
                "data_from", data_from, f"not before {limits.earliest_data_from.isoformat()}"
            )
        )
    if (end - start).days > limits.max_data_period_days:
        found.append(
            DataPeriodOutOfBounds(
                "data period",
                f"{(end - start).days} days",
                f"at most {limits.max_data_period_days} days (30 years)",
            )
        )
    return found
