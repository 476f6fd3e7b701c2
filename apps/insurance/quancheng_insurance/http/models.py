"""The claims service's cases and receipts (its decisions are ``claim_decision``'s rows)."""

from __future__ import annotations

from sqlmodel import Field

from quancheng_appkit.officer.models import CaseRecordBase, ReceiptRecordBase

__all__ = ["ClaimCase", "ClaimReceipt"]


class ClaimCase(CaseRecordBase, table=True):
    """Table ``claim_case``: one row per claim submitted."""

    __tablename__ = "claim_case"

    id: int | None = Field(default=None, primary_key=True)


class ClaimReceipt(ReceiptRecordBase, table=True):
    """Table ``claim_receipt``: the receipts each claim's decision rests on."""

    __tablename__ = "claim_receipt"

    id: int | None = Field(default=None, primary_key=True)
