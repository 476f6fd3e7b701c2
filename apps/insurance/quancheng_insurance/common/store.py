"""Running a decision against a consumer client and keeping it in the consumer's database.

The insurer's and the bank's own records (SQLModel; SQLite by default, PostgreSQL by
configuration): each decision with its reasons, the receipt ids of the answers it used,
and how long it took from the first query to the decision.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, String
from sqlmodel import Field, SQLModel

from quancheng.protocol.refusals import SubjectNotFound
from quancheng_insurance.common.decision import (
    ConsumerClientLike,
    Decision,
    Evidence,
    GrantTemplate,
    NoRecord,
    Outcome,
    Reason,
)

Timer = Callable[[], float]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the default clock of the services)."""
    return datetime.now(UTC)


class DecisionRecordBase(SQLModel):
    """The columns every stored decision has."""

    grant_id: str = Field(max_length=66, index=True)
    outcome: Outcome = Field(sa_type=String(8))
    amount_fen: int = Field(sa_type=BigInteger, ge=0)
    score: int | None = Field(default=None)
    reasons: list[dict[str, str]] = Field(sa_type=JSON)
    receipt_ids: list[str] = Field(sa_type=JSON)
    elapsed_ms: float = Field(ge=0, description="first query to decision, milliseconds")
    created_at: datetime = Field(sa_type=DateTime(timezone=True))

    def to_decision(self, kind: str) -> Decision:
        """The stored decision as the decision function returned it."""
        return Decision(
            kind=kind,
            outcome=self.outcome,
            amount_fen=self.amount_fen,
            score=self.score,
            reasons=tuple(Reason(**r) for r in self.reasons),
            receipt_ids=tuple(self.receipt_ids),
        )


def record_fields(
    decision: Decision, *, grant_id: str, elapsed_ms: float, created_at: datetime
) -> dict[str, Any]:
    """The :class:`DecisionRecordBase` columns of a decision."""
    return {
        "grant_id": grant_id,
        "outcome": decision.outcome,
        "amount_fen": decision.amount_fen,
        "score": decision.score,
        "reasons": [r.model_dump() for r in decision.reasons],
        "receipt_ids": list(decision.receipt_ids),
        "elapsed_ms": elapsed_ms,
        "created_at": created_at,
    }


def query_and_decide(
    client: ConsumerClientLike,
    grant_id: str,
    template: GrantTemplate,
    decide: Callable[[Sequence[Evidence | NoRecord]], Decision],
    *,
    params: Mapping[str, Mapping[str, str | int]] | None = None,
    timer: Timer = time.perf_counter,
) -> tuple[Decision, float]:
    """Query every resource of the template (its fields only), decide; ms it all took.

    A gateway's ``SUBJECT_NOT_FOUND`` refusal becomes a :class:`NoRecord`: the department
    holds nothing about the subject, which the decision reads as "no records".  Every
    other refusal or failure propagates, and nothing is decided.
    """
    started = timer()
    answers: list[Evidence | NoRecord] = []
    for item in template.scope:
        try:
            answers.append(
                client.query(
                    grant_id, item.resource, item.fields, params=(params or {}).get(item.resource)
                )
            )
        except SubjectNotFound:
            answers.append(NoRecord(item.resource))
    decision = decide(answers)
    return decision, (timer() - started) * 1000.0
