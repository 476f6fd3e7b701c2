"""The credit service: query the granted indicators, decide, keep the decision and receipts."""

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
from quancheng_finance.credit.models import CreditDecision, CreditDecisionPublic
from quancheng_finance.credit.personal import PersonalApplication, decide_personal_credit
from quancheng_finance.credit.sme import SmeApplication, decide_sme_credit
from quancheng_finance.credit.templates import GRANT_TEMPLATES

#: Where decisions are kept unless told otherwise (PostgreSQL by giving its URL).
DEFAULT_DATABASE_URL = "sqlite:///quancheng_credit.sqlite3"


class CreditService(DecisionService):
    """Grants credit from authorized government data, with an audit trail.

    Args:
        client: the bank's consumer client (the SDK's ``ConsumerClient``).
        engine: the bank's database, an engine or a URL (SQLite by default); its
            ``credit_decision`` table is created if missing.
        clock: when a decision is recorded (inject it in tests).
        timer: a monotonic clock in seconds, to time each decision.
    """

    table = CreditDecision
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
        where = [] if application_no is None else [CreditDecision.application_no == application_no]
        return [CreditDecisionPublic.model_validate(row) for row in self._rows(*where)]

    def _assess(
        self,
        grant_id: str,
        product: str,
        application_no: str,
        decide: Callable[[Sequence[Evidence | NoRecord]], Decision],
    ) -> CreditDecisionPublic:
        row = self._decide_and_store(
            grant_id, product, decide, {"application_no": application_no, "product": product}
        )
        return CreditDecisionPublic.model_validate(row)
