"""The claims service: query the granted data, decide, keep the decision with its receipts."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from sqlalchemy import Engine, create_engine
from sqlmodel import Session, SQLModel, col, select

from quancheng_insurance.claims.life import LifeClaim, decide_life_claim
from quancheng_insurance.claims.medical import MedicalClaim, decide_medical_claim
from quancheng_insurance.claims.models import ClaimDecision, ClaimDecisionPublic
from quancheng_insurance.claims.motor import REGISTRATION, MotorClaim, decide_motor_claim
from quancheng_insurance.claims.templates import GRANT_TEMPLATES
from quancheng_insurance.common.decision import (
    ConsumerClientLike,
    Decision,
    Evidence,
    NoRecord,
)
from quancheng_insurance.common.store import (
    Clock,
    Timer,
    query_and_decide,
    record_fields,
    utc_now,
)

#: Where decisions are kept unless told otherwise (PostgreSQL by giving its URL).
DEFAULT_DATABASE_URL = "sqlite:///quancheng_claims.sqlite3"


class ClaimsService:
    """Settles claims from authorized government data, in seconds, with an audit trail.

    Args:
        client: the insurer's consumer client (the SDK's ``ConsumerClient``).
        engine: the insurer's database, an engine or a URL (SQLite by default); its
            ``claim_decision`` table is created if missing.
        clock: when a decision is recorded (inject it in tests).
        timer: a monotonic clock in seconds, to time each decision.
    """

    def __init__(
        self,
        client: ConsumerClientLike,
        engine: Engine | str = DEFAULT_DATABASE_URL,
        *,
        clock: Clock = utc_now,
        timer: Timer = time.perf_counter,
    ) -> None:
        if isinstance(engine, str):
            engine = create_engine(engine)
        self._client, self._engine, self._clock, self._timer = client, engine, clock, timer
        SQLModel.metadata.create_all(engine, tables=[ClaimDecision.__table__])  # type: ignore[attr-defined]

    def settle_motor_claim(self, grant_id: str, claim: MotorClaim) -> ClaimDecisionPublic:
        """Decide a motor claim under ``grant_id`` (template ``motor_claim``) and record it."""
        return self._settle(
            grant_id,
            "motor_claim",
            claim.claim_no,
            lambda answers: decide_motor_claim(claim, answers),
            {REGISTRATION: {"plate_no": claim.plate_no}},
        )

    def settle_life_claim(self, grant_id: str, claim: LifeClaim) -> ClaimDecisionPublic:
        """Decide a death claim under ``grant_id`` (template ``life_claim``) and record it."""
        return self._settle(
            grant_id,
            "life_claim",
            claim.claim_no,
            lambda answers: decide_life_claim(claim, answers),
        )

    def settle_medical_claim(self, grant_id: str, claim: MedicalClaim) -> ClaimDecisionPublic:
        """Decide a medical claim under ``grant_id`` (template ``medical_claim``) and record it."""
        return self._settle(
            grant_id,
            "medical_claim",
            claim.claim_no,
            lambda answers: decide_medical_claim(claim, answers),
        )

    def decisions(self, *, claim_no: str | None = None) -> list[ClaimDecisionPublic]:
        """Recorded decisions, oldest first (of one claim if ``claim_no`` is given)."""
        stmt = select(ClaimDecision).order_by(col(ClaimDecision.id))
        if claim_no is not None:
            stmt = stmt.where(ClaimDecision.claim_no == claim_no)
        with Session(self._engine) as session:
            return [ClaimDecisionPublic.model_validate(row) for row in session.exec(stmt)]

    def _settle(
        self,
        grant_id: str,
        kind: str,
        claim_no: str,
        decide: Callable[[Sequence[Evidence | NoRecord]], Decision],
        params: dict[str, dict[str, str | int]] | None = None,
    ) -> ClaimDecisionPublic:
        decision, elapsed_ms = query_and_decide(
            self._client, grant_id, GRANT_TEMPLATES[kind], decide, params=params, timer=self._timer
        )
        row = ClaimDecision(
            claim_no=claim_no,
            claim_type=kind,
            **record_fields(
                decision, grant_id=grant_id, elapsed_ms=elapsed_ms, created_at=self._clock()
            ),
        )
        with Session(self._engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            return ClaimDecisionPublic.model_validate(row)
