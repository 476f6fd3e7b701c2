"""What the officer API answers and accepts, beside each service's own submission bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from quancheng_appkit.decision import Outcome, Reason
from quancheng_appkit.officer.models import AnchorState, CaseState

__all__ = [
    "AnchorPublic",
    "CasePage",
    "CasePublic",
    "DecisionPublic",
    "GrantHex",
    "OwnerRef",
    "ReceiptPublic",
]

#: A 32-byte id as ``0x`` hex (a grant id, a pseudonym).
GrantHex = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$", examples=["0x" + "ab" * 32])]


class OwnerRef(BaseModel):
    """The owner to ask for a grant: their keyed pseudonym (and, optionally, their key)."""

    model_config = ConfigDict(extra="forbid")

    pseudonym: GrantHex = Field(description="the owner's pseudonym (from the identity authority)")
    key: str | None = Field(
        default=None,
        pattern=r"^(0x)?04[0-9a-fA-F]{128}$",
        description="the owner's SM2 public key as they gave it (default: the attested key)",
    )


class AnchorPublic(BaseModel):
    """Whether the receipt is proven on chain, and by which anchor."""

    state: AnchorState
    label: str
    root: str | None = None
    batch_seq: int | None = None
    block: int | None = None
    anchored_at: datetime | None = None


class ReceiptPublic(BaseModel):
    """A receipt a decision rests on: verify it with ``ConsumerClient.receipt_proof``."""

    receipt_id: str
    resource: str
    provider: str
    endpoint: str
    request_hash: str = Field(description="SM3 of the signed request")
    data_digest: str = Field(description="SM3 of the data answered")
    served_at: datetime
    anchor: AnchorPublic


class DecisionPublic(BaseModel):
    """The decision: outcome, amount, reasons and the receipts of its evidence."""

    id: int
    outcome: Outcome
    outcome_label: str
    amount_fen: int = Field(description="payout (claims) or credit limit (credit), in fen")
    amount_label: str
    score: int | None = Field(default=None, description="0-1000, credit decisions only")
    reasons: list[Reason]
    receipts: list[ReceiptPublic]
    elapsed_ms: float = Field(description="first query to decision, milliseconds")
    decided_at: datetime


class CasePublic(BaseModel):
    """A case: what was submitted, under which grant, where it stands, and its decision."""

    id: int
    kind: str
    kind_label: str
    reference: str = Field(description="the claim number / application number")
    state: CaseState
    state_label: str
    grant_id: str = Field(description="the grant the case is decided under (or waits for)")
    application: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    decision: DecisionPublic | None = None
    error: dict[str, str] | None = Field(
        default=None, description="why a failed case has no decision: {code, message}"
    )


class CasePage(BaseModel):
    """One page of cases, newest first."""

    items: list[CasePublic]
    total: int
    offset: int
    limit: int
