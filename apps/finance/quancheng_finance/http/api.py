"""``/v1/applications``: submit an application, list them, fetch one with its decision."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import Field

from quancheng_appkit.officer.api import (
    GET_RESPONSES,
    LIST_RESPONSES,
    SUBMIT_RESPONSES,
    PageDep,
    SubmissionBase,
    submitted,
)
from quancheng_appkit.officer.auth import OfficerDep, OperatorDep
from quancheng_appkit.officer.schemas import CasePage, CasePublic
from quancheng_finance.credit import PersonalApplication, SmeApplication

__all__ = ["ApplicationSubmission", "router"]


class SmeSubmission(SubmissionBase):
    """A small business's application (template ``sme_credit``)."""

    kind: Literal["sme_credit"]
    application: SmeApplication


class PersonalSubmission(SubmissionBase):
    """A person's application (template ``personal_credit``)."""

    kind: Literal["personal_credit"]
    application: PersonalApplication


ApplicationSubmission = Annotated[SmeSubmission | PersonalSubmission, Field(discriminator="kind")]

router = APIRouter(prefix="/v1/applications", tags=["applications"])


@router.post("", status_code=201, response_model=CasePublic, responses=SUBMIT_RESPONSES)
def submit_application(
    body: Annotated[ApplicationSubmission, Body()], officer: OfficerDep, _operator: OperatorDep
) -> JSONResponse:
    """Submit an application: decided at once under an ACTIVE grant (201), else waits (202)."""
    return submitted(officer, body.kind, body.application, body)


@router.get("", response_model=CasePage, responses=LIST_RESPONSES)
def list_applications(officer: OfficerDep, _operator: OperatorDep, page: PageDep) -> CasePage:
    """Past applications, newest first, with their decisions as recorded."""
    return officer.runner.page(offset=page.offset, limit=page.limit, state=page.state)


@router.get("/{application_id}", response_model=CasePublic, responses=GET_RESPONSES)
def get_application(application_id: int, officer: OfficerDep, _operator: OperatorDep) -> CasePublic:
    """One application now: decided if its grant became ACTIVE, its anchors checked."""
    return officer.runner.case(application_id)
