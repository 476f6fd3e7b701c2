"""The credit service: query the granted indicators, decide, keep the decision and receipts."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from sqlalchemy import Engine, create_engine
from sqlmodel import Session, SQLModel, col, select

from quancheng_finance.credit.models import CreditDecision, CreditDecisionPublic
from quancheng_finance.credit.personal import PersonalApplication, decide_personal_credit
from quancheng_finance.credit.sme import SmeApplication, decide_sme_credit
from quancheng_finance.credit.templates import GRANT_TEMPLATES
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
DEFAULT_DATABASE_URL = "sqlite:///quancheng_credit.sqlite3"


class CreditService:
    """Grants credit from authorized government data, with an audit trail.

    Args:
        client: the bank's consumer client (the SDK's ``ConsumerClient``).
        engine: the bank's database, an engine or a URL (SQLite by default); its
            ``credit_decision`` table is created if missing.
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
        SQLModel.metadata.create_all(engine, tables=[CreditDecision.__table__])  # type: ignore[attr-defined]

    def assess_sme(self, grant_id: str, application: SmeApplication) -> CreditDecisionPublic:
        """Decide an SME application under ``grant_id`` (template ``sme_credit``), record it."""
        return self._assess(
            grant_id,
            "sme_credit",
            application.application_no,
            lambda answers: decide_sme_credit(application, answers),
        )

    def assess_personal(
        self, grant_id: str, application: PersonalApplication
    ) -> CreditDecisionPublic:
        """Decide a personal application (template ``personal_credit``), record it."""
        return self._assess(
            grant_id,
            "personal_credit",
            application.application_no,
            lambda answers: decide_personal_credit(application, answers),
        )

    def decisions(self, *, application_no: str | None = None) -> list[CreditDecisionPublic]:
        """Recorded decisions, oldest first (of one application if given)."""
        stmt = select(CreditDecision).order_by(col(CreditDecision.id))
        if application_no is not None:
            stmt = stmt.where(CreditDecision.application_no == application_no)
        with Session(self._engine) as session:
            return [CreditDecisionPublic.model_validate(row) for row in session.exec(stmt)]

    def _assess(
        self,
        grant_id: str,
        product: str,
        application_no: str,
        decide: Callable[[Sequence[Evidence | NoRecord]], Decision],
    ) -> CreditDecisionPublic:
        decision, elapsed_ms = query_and_decide(
            self._client, grant_id, GRANT_TEMPLATES[product], decide, timer=self._timer
        )
        row = CreditDecision(
            application_no=application_no,
            product=product,
            **record_fields(
                decision, grant_id=grant_id, elapsed_ms=elapsed_ms, created_at=self._clock()
            ),
        )
        with Session(self._engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            return CreditDecisionPublic.model_validate(row)
