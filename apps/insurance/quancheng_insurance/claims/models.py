"""The insurer's own record of its claim decisions (SQLModel)."""

from __future__ import annotations

from sqlmodel import Field

from quancheng_appkit.store import DecisionRecordBase


class ClaimDecisionBase(DecisionRecordBase):
    """A claim decision: which claim, which kind, and the decision's record."""

    claim_no: str = Field(max_length=64, index=True)
    claim_type: str = Field(max_length=16, description="motor_claim / life_claim / medical_claim")


class ClaimDecision(ClaimDecisionBase, table=True):
    """Table ``claim_decision``: one row per decision taken (a claim may be decided again)."""

    __tablename__ = "claim_decision"

    id: int | None = Field(default=None, primary_key=True)


class ClaimDecisionPublic(ClaimDecisionBase):
    """A stored claim decision as the service returns it."""

    id: int
