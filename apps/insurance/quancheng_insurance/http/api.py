"""``/v1/claims``: submit a claim, list claims, fetch one with its decision and receipts."""

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
from quancheng_insurance.claims import LifeClaim, MedicalClaim, MotorClaim

__all__ = ["ClaimSubmission", "router"]


class MotorClaimSubmission(SubmissionBase):
    """A motor claim (template ``motor_claim``)."""

    kind: Literal["motor_claim"]
    claim: MotorClaim


class LifeClaimSubmission(SubmissionBase):
    """A death claim on a life policy (template ``life_claim``)."""

    kind: Literal["life_claim"]
    claim: LifeClaim


class MedicalClaimSubmission(SubmissionBase):
    """A commercial medical claim (template ``medical_claim``)."""

    kind: Literal["medical_claim"]
    claim: MedicalClaim


ClaimSubmission = Annotated[
    MotorClaimSubmission | LifeClaimSubmission | MedicalClaimSubmission,
    Field(discriminator="kind"),
]

router = APIRouter(prefix="/v1/claims", tags=["claims"])


@router.post("", status_code=201, response_model=CasePublic, responses=SUBMIT_RESPONSES)
def submit_claim(
    body: Annotated[ClaimSubmission, Body()], officer: OfficerDep, _operator: OperatorDep
) -> JSONResponse:
    """Submit a claim: decided at once under an ACTIVE grant (201), else waits for it (202)."""
    return submitted(officer, body.kind, body.claim, body)


@router.get("", response_model=CasePage, responses=LIST_RESPONSES)
def list_claims(officer: OfficerDep, _operator: OperatorDep, page: PageDep) -> CasePage:
    """Past claims, newest first, with their decisions as recorded."""
    return officer.runner.page(offset=page.offset, limit=page.limit, state=page.state)


@router.get("/{claim_id}", response_model=CasePublic, responses=GET_RESPONSES)
def get_claim(claim_id: int, officer: OfficerDep, _operator: OperatorDep) -> CasePublic:
    """One claim now: decided if its grant became ACTIVE, its receipts' anchors checked."""
    return officer.runner.case(claim_id)
