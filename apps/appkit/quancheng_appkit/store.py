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

from sqlalchemy import JSON, BigInteger, DateTime, Engine, String, create_engine
from sqlmodel import Field, Session, SQLModel, col, select

from quancheng.protocol.refusals import SubjectNotFound
from quancheng_appkit.decision import (
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


class DecisionService:
    """What a claims or credit service shares: its database, clock and timer, and the
    query → decide → store step. Subclasses name their table (``table``) and their templates.

    Args:
        client: the consumer's client (the SDK's ``ConsumerClient``).
        engine: the consumer's database, an engine or a URL; the table is created if missing.
        clock: when a decision is recorded (inject it in tests).
        timer: a monotonic clock in seconds, to time each decision.
    """

    #: The SQLModel table the decisions go to.
    table: Any
    #: Grant templates by key.
    templates: Mapping[str, GrantTemplate]

    def __init__(
        self,
        client: ConsumerClientLike,
        engine: Engine | str,
        *,
        clock: Clock = utc_now,
        timer: Timer = time.perf_counter,
    ) -> None:
        if isinstance(engine, str):
            engine = create_engine(engine)
        self._client, self._engine, self._clock, self._timer = client, engine, clock, timer
        SQLModel.metadata.create_all(engine, tables=[self.table.__table__])

    def _decide_and_store(
        self,
        grant_id: str,
        template: str,
        decide: Callable[[Sequence[Evidence | NoRecord]], Decision],
        row: Mapping[str, Any],
        params: Mapping[str, Mapping[str, str | int]] | None = None,
    ) -> Any:
        """Query the template's fields, decide, store the decision with ``row``'s columns."""
        decision, elapsed_ms = query_and_decide(
            self._client, grant_id, self.templates[template], decide, params=params,
            timer=self._timer,
        )  # fmt: skip
        record = self.table(
            **row,
            **record_fields(
                decision, grant_id=grant_id, elapsed_ms=elapsed_ms, created_at=self._clock()
            ),
        )
        with Session(self._engine) as session:
            session.add(record)
            session.commit()
            session.refresh(record)
            return record

    def _rows(self, *where: Any) -> list[Any]:
        """Stored decisions, oldest first, filtered by ``where``."""
        stmt = select(self.table).order_by(col(self.table.id))
        for clause in where:
            stmt = stmt.where(clause)
        with Session(self._engine) as session:
            return list(session.exec(stmt))
