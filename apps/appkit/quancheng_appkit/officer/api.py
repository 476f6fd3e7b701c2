"""What the services' API routes share: the submission's grant part, answers and refusals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from quancheng_appkit.officer.errors import (
    CaseNotFound,
    ChainUnavailable,
    DataRefused,
    DecisionFailed,
    GatewayUnavailable,
    GrantMismatch,
    GrantNotFound,
    GrantNotUsable,
    GrantRequestRefused,
    OwnerNotAttested,
    Unauthenticated,
    error_responses,
)
from quancheng_appkit.officer.models import CaseState
from quancheng_appkit.officer.schemas import CasePublic, GrantHex, OwnerRef
from quancheng_appkit.officer.state import Officer

__all__ = [
    "GET_RESPONSES",
    "LIST_RESPONSES",
    "SUBMIT_RESPONSES",
    "PageDep",
    "PageParams",
    "SubmissionBase",
    "submitted",
]


class SubmissionBase(BaseModel):
    """Under which grant to decide: an existing one, or one the service asks the owner for."""

    model_config = ConfigDict(extra="forbid")

    grant_id: GrantHex | None = Field(
        default=None, description="a grant the owner gave (or is asked for) of the kind's template"
    )
    owner: OwnerRef | None = Field(
        default=None, description="ask this owner for the kind's grant (instead of grant_id)"
    )

    @model_validator(mode="after")
    def _one_grant_source(self) -> SubmissionBase:
        if (self.grant_id is None) == (self.owner is None):
            raise ValueError("give exactly one of grant_id or owner")
        return self


def submitted(officer: Officer, kind: str, inputs: BaseModel, body: SubmissionBase) -> JSONResponse:
    """Submit; 201 with the decided case, 202 while it waits for the owner's grant."""
    case = officer.runner.submit(kind, inputs, grant_id=body.grant_id, owner=body.owner)
    status = 202 if case.state is CaseState.WAITING_FOR_GRANT else 201
    return JSONResponse(case.model_dump(mode="json"), status_code=status)


class PageParams(BaseModel):
    """Which page of cases."""

    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=20, ge=1, le=100)
    state: CaseState | None = None


def page_params(
    offset: Annotated[int, Query(ge=0, description="cases to skip (newest first)")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="cases per page")] = 20,
    state: Annotated[CaseState | None, Query(description="only cases in this state")] = None,
) -> PageParams:
    return PageParams(offset=offset, limit=limit, state=state)


SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **error_responses(
        Unauthenticated,
        GrantNotFound,
        GrantMismatch,
        OwnerNotAttested,
        GrantNotUsable,
        GrantRequestRefused,
        DataRefused,
        DecisionFailed,
        GatewayUnavailable,
        ChainUnavailable,
    ),
    202: {
        "model": CasePublic,
        "description": "Accepted: the owner has not granted yet (state waiting_for_grant, "
        "grant_id the grant request to approve); GET the case later for its decision",
    },
}
LIST_RESPONSES = error_responses(Unauthenticated)
GET_RESPONSES = error_responses(Unauthenticated, CaseNotFound)


PageDep = Annotated[PageParams, Depends(page_params)]
