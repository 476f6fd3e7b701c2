"""The credit service's cases and receipts (its decisions are ``credit_decision``'s rows)."""

from __future__ import annotations

from sqlmodel import Field

from quancheng_appkit.officer.models import CaseRecordBase, ReceiptRecordBase

__all__ = ["CreditCase", "CreditReceipt"]


class CreditCase(CaseRecordBase, table=True):
    """Table ``credit_case``: one row per application submitted."""

    __tablename__ = "credit_case"

    id: int | None = Field(default=None, primary_key=True)


class CreditReceipt(ReceiptRecordBase, table=True):
    """Table ``credit_receipt``: the receipts each application's decision rests on."""

    __tablename__ = "credit_receipt"

    id: int | None = Field(default=None, primary_key=True)
