"""The bank's own record of its credit decisions (SQLModel)."""

from __future__ import annotations

from sqlmodel import Field

from quancheng_appkit.store import DecisionRecordBase


class CreditDecisionBase(DecisionRecordBase):
    """A credit decision: which application, which product, and the decision's record."""

    application_no: str = Field(max_length=64, index=True)
    product: str = Field(max_length=16, description="sme_credit / personal_credit")


class CreditDecision(CreditDecisionBase, table=True):
    """Table ``credit_decision``: one row per decision taken."""

    __tablename__ = "credit_decision"

    id: int | None = Field(default=None, primary_key=True)


class CreditDecisionPublic(CreditDecisionBase):
    """A stored credit decision as the service returns it."""

    id: int
