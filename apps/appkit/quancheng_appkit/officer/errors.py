"""Every refusal of an officer service: an HTTP status, a stable code, a message naming the fix.

The body is the one every service of the project answers: ``{"error": {"code", "message",
"details"}}``. Codes are part of the API: never renumber or reuse one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from quancheng.errors import QuanchengError

__all__ = [
    "CaseNotFound",
    "ChainUnavailable",
    "DataRefused",
    "DecisionFailed",
    "ErrorBody",
    "ErrorDetail",
    "GatewayUnavailable",
    "GrantMismatch",
    "GrantNotFound",
    "GrantNotUsable",
    "GrantRequestRefused",
    "InvalidInput",
    "OfficerError",
    "OwnerNotAttested",
    "Unauthenticated",
    "error_responses",
]


class OfficerError(QuanchengError):
    """Base of the officer services' refusals; ``template`` is formatted with the details."""

    code = "OFFICER_ERROR"
    status = 400
    template = "the request could not be completed"

    def __init__(self, **details: Any) -> None:
        self.details = details
        super().__init__(self.template.format(**details))

    def to_body(self) -> dict[str, Any]:
        """The JSON body of this refusal."""
        return {"error": {"code": self.code, "message": str(self), "details": self.details}}


class Unauthenticated(OfficerError):
    code, status = "UNAUTHENTICATED", 401
    template = (
        "the officer API needs the operator token: send 'Authorization: Bearer <token>' "
        "with the value of {prefix}OPERATOR_TOKEN"
    )


class InvalidInput(OfficerError):
    code, status = "INVALID_INPUT", 422
    template = "the request is not valid: {summary}; correct the fields listed in details.errors"


class CaseNotFound(OfficerError):
    code, status = "CASE_NOT_FOUND", 404
    template = "no {noun} with id {case_id}: list them with GET {collection}"


class GrantNotFound(OfficerError):
    code, status = "GRANT_NOT_FOUND", 422
    template = (
        "grant {grant_id} is not on chain: give the id of a grant this institution requested, "
        "or give 'owner' instead and the service asks the owner for one"
    )


class GrantMismatch(OfficerError):
    code, status = "GRANT_MISMATCH", 422
    template = (
        "grant {grant_id} cannot serve a {kind}: {problem}; request a grant of template "
        "{kind} (or give 'owner' and the service requests it)"
    )


class GrantNotUsable(OfficerError):
    code, status = "GRANT_NOT_USABLE", 409
    template = (
        "grant {grant_id} is {grant_status}: no decision can be taken under it; ask the owner "
        "for a new grant (give 'owner' instead of 'grant_id')"
    )


class OwnerNotAttested(OfficerError):
    code, status = "OWNER_NOT_ATTESTED", 422
    template = (
        "owner {pseudonym}: {reason}; the owner must be real-name checked by the identity "
        "authority first, and 'key' (if given) must be the key attested on chain"
    )


class DecisionFailed(OfficerError):
    """A decision was attempted and could not be taken; the case is kept as ``failed``."""

    code, status = "DECISION_FAILED", 500
    template = "{noun} {case_id}: no decision: {reason}"


class DataRefused(DecisionFailed):
    code, status = "DATA_REFUSED", 409
    template = (
        "{noun} {case_id}: a gateway refused the data ({cause}: {reason}); nothing was "
        "decided; check the grant (GET the case) and submit again under a usable grant"
    )


class GatewayUnavailable(DecisionFailed):
    code, status = "GATEWAY_UNAVAILABLE", 502
    template = (
        "{noun} {case_id}: a department's gateway could not be reached ({reason}); nothing "
        "was decided; submit again when it is back"
    )


class ChainUnavailable(OfficerError):
    code, status = "CHAIN_UNAVAILABLE", 503
    template = "the chain could not be reached ({reason}); try again when it answers"


class ErrorDetail(BaseModel):
    """One refusal: a stable code, a message and the facts it was judged on."""

    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    """Every refusal's body: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorDetail


def error_responses(*errors: type[OfficerError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting the refusals a route can answer."""
    by_status: dict[int, list[str]] = {}
    for cls in errors:
        by_status.setdefault(cls.status, []).append(cls.code)
    return {
        status: {"model": ErrorBody, "description": "Refused: " + ", ".join(sorted(codes))}
        for status, codes in sorted(by_status.items())
    }


class GrantRequestRefused(OfficerError):
    code, status = "GRANT_REQUEST_REFUSED", 409
    template = "the grant request for a {kind} was refused: {reason}"
