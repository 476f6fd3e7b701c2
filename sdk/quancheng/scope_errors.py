"""Errors of a grant request that the catalogue or the term bounds refuse before it is sent.

Each names what is wrong, so a bank sees at request time what a gateway would otherwise
refuse only when the grant is used: a field the resource does not have, a raw field under a
DERIVED grant (or an indicator under RAW), a business resource asked of a person, or terms
outside :data:`quancheng.limits.LIMITS`.
"""

from __future__ import annotations

from quancheng.errors import GrantError

__all__ = [
    "DataPeriodOutOfBounds",
    "FieldModeMismatch",
    "FieldNotInCatalogue",
    "GrantScopeError",
    "GrantTermsOutOfBounds",
    "MaxUsesOutOfBounds",
    "ResourceSubjectMismatch",
    "TooManyFields",
    "TooManyResources",
    "ValidityOutOfBounds",
]


class GrantScopeError(GrantError):
    """The scope names something the data catalogue says the resource does not offer."""

    code = "GRANT_SCOPE_INVALID"


class FieldNotInCatalogue(GrantScopeError):
    """A field (or indicator) is not in the resource's catalogue entry.

    Attributes:
        resource: The resource code.
        field: The unknown name.
    """

    code = "FIELD_UNKNOWN"

    def __init__(self, resource: str, field: str) -> None:
        self.resource, self.field = resource, field
        super().__init__(f"resource {resource!r} has no field or indicator {field!r}")


class FieldModeMismatch(GrantScopeError):
    """A raw field named under a DERIVED grant, or an indicator under a RAW one.

    Attributes:
        resource: The resource code.
        field: The name in the wrong mode.
        mode: The grant's mode (``"RAW"`` or ``"DERIVED"``).
    """

    code = "MODE_MISMATCH"

    def __init__(self, resource: str, field: str, mode: str) -> None:
        self.resource, self.field, self.mode = resource, field, mode
        kind = "raw field" if mode == "DERIVED" else "indicator"
        super().__init__(f"{kind} {field!r} of {resource!r} cannot be named in a {mode} grant")


class ResourceSubjectMismatch(GrantScopeError):
    """A resource about businesses asked of a person, or one about people of a business.

    Attributes:
        resource: The resource code.
        subject_kind: What the resource is about (``"person"`` or ``"business"``).
        owner_kind: What the owner is (or what the scope's other resources are about).
    """

    code = "SUBJECT_KIND_MISMATCH"

    def __init__(self, resource: str, subject_kind: str, owner_kind: str) -> None:
        self.resource, self.subject_kind, self.owner_kind = resource, subject_kind, owner_kind
        super().__init__(
            f"resource {resource!r} is about a {subject_kind}; the grant's owner is a {owner_kind}"
        )


class GrantTermsOutOfBounds(GrantError):
    """A term of the grant is outside :data:`quancheng.limits.LIMITS`.

    Attributes:
        term: The term's name (``"max_uses"``, ``"validity"``, …).
        value: Its value as given.
        limit: The bound it breaks, in words.
    """

    code = "GRANT_TERMS_OUT_OF_BOUNDS"

    def __init__(self, term: str, value: object, limit: str) -> None:
        self.term, self.value, self.limit = term, value, limit
        super().__init__(f"grant term {term} = {value!r} is out of bounds: {limit}")


class MaxUsesOutOfBounds(GrantTermsOutOfBounds):
    """``max_uses`` is below 1 or above ``LIMITS.max_uses``."""

    code = "MAX_USES_OUT_OF_BOUNDS"


class ValidityOutOfBounds(GrantTermsOutOfBounds):
    """The validity is too long, or ends too far after the request."""

    code = "VALIDITY_OUT_OF_BOUNDS"


class DataPeriodOutOfBounds(GrantTermsOutOfBounds):
    """The data period is too long or starts before ``LIMITS.earliest_data_from``."""

    code = "DATA_PERIOD_OUT_OF_BOUNDS"


class TooManyResources(GrantTermsOutOfBounds):
    """The scope names more than ``LIMITS.max_resources`` resources."""

    code = "TOO_MANY_RESOURCES"


class TooManyFields(GrantTermsOutOfBounds):
    """One resource of the scope names more than ``LIMITS.max_fields_per_resource`` fields.

    Attributes:
        resource: The resource code.
    """

    code = "TOO_MANY_FIELDS"

    def __init__(self, resource: str, value: int, limit: str) -> None:
        self.resource = resource
        super().__init__(f"fields of {resource}", value, limit)
