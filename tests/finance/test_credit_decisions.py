"""Credit decisions from the demo cast's real records, read through the handlers."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from quancheng_appkit.decision import Decision
from quancheng_datagen import DemoCast
from quancheng_datagen.schema import business_registration as br
from quancheng_datagen.schema import tax_payment as tp
from quancheng_finance.credit import (
    Outcome,
    PersonalApplication,
    SmeApplication,
    decide_personal_credit,
    decide_sme_credit,
)
from quancheng_finance.credit.sme import LIMIT_CAP_FEN
from tests.finance.credit_support import evidence

SME = SmeApplication(application_no="SME-1", requested_fen=500_000_000)  # 500万元
PERSONAL = PersonalApplication(application_no="P-1", requested_fen=20_000_000)  # 20万元


def _codes(decision: Decision) -> list[str]:
    return [r.code for r in decision.reasons]


def _tax_paid_12m(engine: Engine, uscc: str) -> int:
    with engine.connect() as conn:
        total = conn.scalar(
            select(func.sum(tp.c.tax_amount_fen)).where(
                tp.c.uscc == uscc,
                tp.c.status.in_(("已缴", "逾期缴纳")),
                tp.c.period_end.between(date(2025, 11, 1), date(2026, 10, 31)),
            )
        )
    return int(total or 0)


def test_the_good_sme_is_approved_with_a_limit_from_its_tax(engine: Engine, cast: DemoCast) -> None:
    firm = cast.businesses["sme_good"].uscc
    answers = evidence(engine, "sme_credit", firm)
    decision = decide_sme_credit(SME, answers)
    expected = min(_tax_paid_12m(engine, firm) * 10, LIMIT_CAP_FEN) // 100_000 * 100_000
    assert decision.outcome is Outcome.APPROVE and decision.amount_fen == expected > 0
    assert decision.score is not None and decision.score >= 900
    assert _codes(decision)[-1] == "APPROVED"
    assert decision.receipt_ids == tuple(a.receipt_id for a in answers) and len(answers) == 6


def test_the_limit_never_exceeds_the_amount_applied_for(engine: Engine, cast: DemoCast) -> None:
    answers = evidence(engine, "sme_credit", cast.businesses["sme_good"].uscc)
    small = SmeApplication(application_no="SME-2", requested_fen=12_345_678)
    assert decide_sme_credit(small, answers).amount_fen == 12_300_000


def test_the_bad_sme_is_rejected_for_its_rating_and_arrears(engine: Engine, cast: DemoCast) -> None:
    decision = decide_sme_credit(
        SME, evidence(engine, "sme_credit", cast.businesses["sme_bad"].uscc)
    )
    assert (decision.outcome, decision.amount_fen) == (Outcome.REJECT, 0)
    assert {"TAX_RATING_D", "TAX_ARREARS"} <= set(_codes(decision))
    assert decision.score is not None and decision.score < 500


def test_every_business_of_the_world_gets_a_consistent_decision(engine: Engine) -> None:
    with engine.connect() as conn:
        firms = conn.scalars(select(br.c.uscc)).all()
    outcomes = set()
    for firm in firms:
        d = decide_sme_credit(SME, evidence(engine, "sme_credit", firm))
        assert d.score is not None and 0 <= d.score <= 1000
        assert d.amount_fen % 100_000 == 0 and d.amount_fen <= LIMIT_CAP_FEN
        if d.outcome is Outcome.REJECT:
            assert d.amount_fen == 0
        if d.outcome is Outcome.APPROVE:
            assert d.score >= 700 and d.amount_fen > 0
        outcomes.add(d.outcome)
    assert Outcome.APPROVE in outcomes and Outcome.REJECT in outcomes


def test_the_sme_owner_gets_personal_credit_from_steady_contributions(
    engine: Engine, cast: DemoCast
) -> None:
    answers = evidence(engine, "personal_credit", cast.people["sme_owner"].id_number)
    decision = decide_personal_credit(PERSONAL, answers)
    # 24 months of social security and housing fund on a 15,000-yuan base, bills on time
    assert (decision.outcome, decision.score, decision.amount_fen) == (
        Outcome.APPROVE,
        1000,
        15_000_00 * 12,
    )
    assert decision.receipt_ids == tuple(a.receipt_id for a in answers)


def test_the_person_in_arrears_is_rejected(engine: Engine, cast: DemoCast) -> None:
    decision = decide_personal_credit(
        PERSONAL, evidence(engine, "personal_credit", cast.people["arrears"].id_number)
    )
    assert (decision.outcome, decision.amount_fen) == (Outcome.REJECT, 0)
    assert {"SOCIAL_SECURITY_ARREARS", "UTILITY_ARREARS"} <= set(_codes(decision))


@pytest.mark.parametrize("role", ["employee_1", "employee_2", "motor_claimant"])
def test_steady_employees_of_the_good_sme_are_approved(
    engine: Engine, cast: DemoCast, role: str
) -> None:
    decision = decide_personal_credit(
        PERSONAL, evidence(engine, "personal_credit", cast.people[role].id_number)
    )
    assert decision.outcome is Outcome.APPROVE and decision.amount_fen > 0
