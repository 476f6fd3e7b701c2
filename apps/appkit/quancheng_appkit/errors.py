"""Errors of the department plug-ins and of the decision services.

A query a plug-in cannot answer as asked (an unknown field, indicator or parameter) is a
malformed query: its errors are the protocol refusal :class:`MalformedRequest` (HTTP 400,
code ``MALFORMED_REQUEST``), so the gateway framework sends them to the consumer as they
are, with the offending name in the details.  They are also ``ValueError``.  A
bad data period comes from the gateway itself, not from the consumer: it is not a refusal.
"""

from __future__ import annotations

from collections.abc import Sequence

from quancheng.errors import GatewayError, QuanchengError
from quancheng.protocol.refusals import MalformedRequest


class ResourceError(MalformedRequest, ValueError):
    """A department plug-in cannot answer a query as it was asked."""


class UnknownField(ResourceError):
    """A RAW query asked for a field the resource does not offer."""

    def __init__(self, resource: str, name: str, offered: Sequence[str]) -> None:
        self.resource, self.name, self.offered = resource, name, tuple(offered)
        super().__init__(
            f"{resource} has no field {name!r}; it offers {', '.join(offered)}",
            resource=resource,
            field=name,
        )


class UnknownIndicator(ResourceError):
    """A DERIVED query asked for an indicator the resource does not compute."""

    def __init__(self, resource: str, name: str, offered: Sequence[str]) -> None:
        self.resource, self.name, self.offered = resource, name, tuple(offered)
        super().__init__(
            f"{resource} has no indicator {name!r}; it computes {', '.join(offered)}",
            resource=resource,
            indicator=name,
        )


class NothingRequested(ResourceError):
    """A query named no field or indicator at all."""

    def __init__(self, resource: str) -> None:
        self.resource = resource
        super().__init__(
            f"a query of {resource} must name at least one field or indicator", resource=resource
        )


class InvalidParameter(ResourceError):
    """A query parameter is unknown to the resource, or its value is not acceptable."""

    def __init__(self, resource: str, name: str, problem: str) -> None:
        self.resource, self.name, self.problem = resource, name, problem
        super().__init__(
            f"{resource}: parameter {name!r} {problem}", resource=resource, parameter=name
        )


class InvalidPeriod(GatewayError, ValueError):
    """The data period handed to a plug-in is not ``(start, end)`` Unix seconds, start <= end."""

    code = "INVALID_PERIOD"

    def __init__(self, period: object) -> None:
        self.period = period
        super().__init__(
            f"the data period must be (start, end) Unix seconds with start <= end, not {period!r}"
        )


class NotPreparable(QuanchengError):
    """A statement cannot be compiled once and run with its values bound by name.

    Raised while a department's SELECT builder runs on symbolic values (it computes with a
    value in Python, or its SQL depends on the values and not only on which parameters are
    present) or while its statement compiles (an expanding ``IN`` list is rendered per run).
    :class:`~quancheng_appkit.resource.SqlResource` then builds that query per run instead.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"not preparable: {reason}")


class DecisionError(QuanchengError):
    """A decision cannot be taken from the answers it was given."""

    code = "DECISION_ERROR"


class MissingEvidence(DecisionError):
    """A resource the decision needs was not among the answers."""

    code = "MISSING_EVIDENCE"

    def __init__(self, decision: str, resource: str) -> None:
        self.decision, self.resource = decision, resource
        super().__init__(f"{decision} needs an answer from {resource}")


class UnexpectedEvidence(DecisionError):
    """An answer was given that the decision does not use (it would not be audited)."""

    code = "UNEXPECTED_EVIDENCE"

    def __init__(self, decision: str, resource: str) -> None:
        self.decision, self.resource = decision, resource
        super().__init__(f"{decision} does not use {resource}; pass only the answers it relies on")


class DuplicateEvidence(DecisionError):
    """Two answers were given for the same resource."""

    code = "DUPLICATE_EVIDENCE"

    def __init__(self, decision: str, resource: str) -> None:
        self.decision, self.resource = decision, resource
        super().__init__(f"{decision} was given two answers from {resource}")


class IncompleteEvidence(DecisionError):
    """An answer lacks fields the decision reads, or they do not have the expected shape."""

    code = "INCOMPLETE_EVIDENCE"

    def __init__(self, resource: str, names: Sequence[str], problem: str = "missing") -> None:
        self.resource, self.names, self.problem = resource, tuple(names), problem
        super().__init__(f"answer from {resource}: {problem}: {', '.join(names)}")
