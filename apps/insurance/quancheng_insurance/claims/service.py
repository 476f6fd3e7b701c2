"""The claims service: query the granted data, decide, keep the decision with its receipts."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from quancheng_appkit.decision import (
    ConsumerClientLike,
    Decision,
    Evidence,
    NoRecord,
)
from quancheng_appkit.store import Clock, DecisionService, Timer, utc_now
from quancheng_insurance.claims.life import LifeClaim, decide_life_claim
from quancheng_insurance.claims.medical import MedicalClaim, decide_medical_claim
from quancheng_insurance.claims.models import ClaimDecision, ClaimDecisionPublic
from quancheng_insurance.claims.motor import REGISTRATION, MotorClaim, decide_motor_claim
from quancheng_insurance.claims.templates import GRANT_TEMPLATES

#: Where decisions are kept unless told otherwise (PostgreSQL by giving its URL).
DEFAULT_DATABASE_URL = "sqlite:///quancheng_claims.sqlite3"


class ClaimsService(DecisionService):
    """Settles claims from authorized government data, in seconds, with an audit trail.

    Args:
        client: the insurer's consumer client (the SDK's ``ConsumerClient``).
        engine: the insurer's database, an engine or a URL (SQLite by default); its
            ``claim_decision`` table is created if missing.
        clock: when a decision is recorded (inject it in tests).
        timer: a monotonic clock in seconds, to time each decision.
    """

    table = ClaimDecision
    templates = GRANT_TEMPLATES

    def __init__(
        self,
        client: ConsumerClientLike,
        engine: Engine | str = DEFAULT_DATABASE_URL,
        *,
        clock: Clock = utc_now,
        timer: Timer = time.perf_counter,
    ) -> None:
        super().__init__(client, engine, clock=clock, timer=timer)

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
        where = [] if claim_no is None else [ClaimDecision.claim_no == claim_no]
        return [ClaimDecisionPublic.model_validate(row) for row in self._rows(*where)]

    def _settle(
        self,
        grant_id: str,
        kind: str,
        claim_no: str,
        decide: Callable[[Sequence[Evidence | NoRecord]], Decision],
        params: dict[str, dict[str, str | int]] | None = None,
    ) -> ClaimDecisionPublic:
        row = self._decide_and_store(
            grant_id, kind, decide, {"claim_no": claim_no, "claim_type": kind}, params
        )
        return ClaimDecisionPublic.model_validate(row)
