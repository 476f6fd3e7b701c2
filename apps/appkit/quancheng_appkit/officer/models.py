"""The service's own records of its cases and of the receipts its decisions rest on (SQLModel).

A *case* is one submission (a claim, an application): its inputs, the grant it is decided
under, its state, and — once decided — the decision row of the Python API's table
(``claim_decision`` / ``credit_decision``). The receipts of the answers the decision read are
kept beside it with their digests and, once checked, the anchor that proves them. Each
service declares its two tables from these bases (``claim_case``, ``claim_receipt``, ...).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, String
from sqlmodel import Field, SQLModel

__all__ = ["AnchorState", "CaseRecordBase", "CaseState", "ReceiptRecordBase"]


class CaseState(StrEnum):
    """Where a case stands."""

    WAITING_FOR_GRANT = "waiting_for_grant"  # the owner has not approved (or paused) the grant
    DECIDING = "deciding"  # the service is querying the departments
    DECIDED = "decided"  # the decision is recorded, with its receipts
    FAILED = "failed"  # no decision can be taken: ``error_code`` says why

    @property
    def label(self) -> str:
        """The state as an officer reads it."""
        return {
            "waiting_for_grant": "等待数据主体授权",
            "deciding": "正在查询数据",
            "decided": "已决定",
            "failed": "未能决定",
        }[self.value]


class AnchorState(StrEnum):
    """Whether a receipt is proven in a batch anchored on chain."""

    ANCHORED = "anchored"  # the inclusion proof verified against the chain's anchor
    PENDING = "pending"  # the gateway has not anchored its batch yet
    UNKNOWN = "unknown"  # not checked yet, or the gateway could not be asked
    INVALID = "invalid"  # the proof did NOT verify: report to the auditor

    @property
    def label(self) -> str:
        """The state as an officer reads it."""
        return {
            "anchored": "已上链存证",
            "pending": "等待上链",
            "unknown": "未核验",
            "invalid": "证明无效",
        }[self.value]


class CaseRecordBase(SQLModel):
    """The columns of a case."""

    kind: str = Field(max_length=32, index=True)
    reference: str = Field(max_length=64, index=True, description="claim_no / application_no")
    application: dict[str, Any] = Field(sa_type=JSON, description="the inputs as submitted")
    grant_id: str = Field(max_length=66, index=True)
    state: CaseState = Field(sa_type=String(24), index=True)
    decision_id: int | None = Field(default=None)
    error_code: str | None = Field(default=None, max_length=48)
    error_message: str | None = Field(default=None)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))


class ReceiptRecordBase(SQLModel):
    """A receipt a decision rests on: the gateway's signed word that it answered."""

    case_id: int = Field(index=True)
    position: int = Field(ge=0, description="order in which the decision read the answers")
    receipt_id: str = Field(max_length=80, index=True)
    resource: str = Field(max_length=64)
    provider: str = Field(max_length=64)
    endpoint: str = Field(max_length=512)
    request_hash: str = Field(max_length=80)
    data_digest: str = Field(max_length=80)
    served_at: datetime = Field(sa_type=DateTime(timezone=True))
    anchor_state: AnchorState = Field(default=AnchorState.UNKNOWN, sa_type=String(12))
    anchor_root: str | None = Field(default=None, max_length=80)
    anchor_seq: int | None = Field(default=None)
    anchor_block: int | None = Field(default=None)
    anchored_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
