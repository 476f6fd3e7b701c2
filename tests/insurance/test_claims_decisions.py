"""Claim decisions from the demo cast's real records, read through the handlers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select

from quancheng_appkit.decision import Decision
from quancheng_datagen import DemoCast
from quancheng_datagen.schema import death_registration as dr
from quancheng_datagen.schema import driving_licence as dl
from quancheng_datagen.schema import medical_settlement as ms
from quancheng_datagen.schema import traffic_violation as tv
from quancheng_datagen.schema import vehicle_registration as vr
from quancheng_insurance.claims import (
    LifeClaim,
    MedicalClaim,
    MotorClaim,
    Outcome,
    decide_life_claim,
    decide_medical_claim,
    decide_motor_claim,
)
from tests.insurance.claims_support import evidence, receipts

ACCIDENT = date(2026, 10, 20)


def _codes(decision: Decision) -> list[str]:
    return [r.code for r in decision.reasons]


def _motor(plate: str, loss: int = 1_234_500, limit: int = 100_000_000) -> MotorClaim:
    return MotorClaim(
        claim_no="CL-MOTOR-1",
        plate_no=plate,
        accident_date=ACCIDENT,
        assessed_loss_fen=loss,
        policy_limit_fen=limit,
    )


def _decide_motor(engine: Engine, owner: str, claim: MotorClaim) -> tuple[Decision, list[str]]:
    answers = evidence(
        engine, "motor_claim", owner, params={"vehicle.registration": {"plate_no": claim.plate_no}}
    )
    return decide_motor_claim(claim, answers), list(receipts(answers))


def _owner_of(
    engine: Engine, status: str, licence_class: str, energy: str | None = None
) -> tuple[str, str]:
    """(owner, plate) of a vehicle in ``status`` inspected and driven on a 正常 licence of
    ``licence_class`` by an owner without a drink-driving record."""
    drinks = select(tv.c.id_number).where(tv.c.category.in_(("饮酒驾驶", "醉酒驾驶")))
    stmt = (
        select(vr.c.id_number, vr.c.plate_no)
        .join(dl, dl.c.id_number == vr.c.id_number)
        .where(
            vr.c.status == status,
            dl.c.licence_class == licence_class,
            dl.c.status == "正常",
            vr.c.inspection_valid_until >= ACCIDENT,
            vr.c.id_number.not_in(drinks),
        )
        .order_by(vr.c.plate_no)
    )
    if energy is not None:
        stmt = stmt.where(vr.c.energy_type == energy)
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    assert row is not None, f"the test world should hold a {status} vehicle of a {licence_class}"
    return row[0], row[1]


def test_motor_claimant_is_approved_for_the_assessed_loss(engine: Engine, cast: DemoCast) -> None:
    claimant = cast.people["motor_claimant"]
    decision, used = _decide_motor(engine, claimant.id_number, _motor(claimant.plates[0]))
    assert (decision.outcome, decision.amount_fen) == (Outcome.APPROVE, 1_234_500)
    assert _codes(decision) == ["CHECKS_PASSED"]
    assert decision.receipt_ids == tuple(used) and len(used) == 3


def test_a_loss_above_the_limit_is_paid_up_to_the_limit(engine: Engine, cast: DemoCast) -> None:
    claimant = cast.people["motor_claimant"]
    decision, _ = _decide_motor(
        engine, claimant.id_number, _motor(claimant.plates[0], loss=9_000_000, limit=5_000_000)
    )
    assert (decision.outcome, decision.amount_fen) == (Outcome.APPROVE, 5_000_000)
    assert _codes(decision) == ["CHECKS_PASSED", "LIMIT_APPLIED"]


def test_drunk_driver_is_rejected_for_drunk_driving(engine: Engine, cast: DemoCast) -> None:
    driver = cast.people["drunk_driver"]
    decision, used = _decide_motor(engine, driver.id_number, _motor(driver.plates[0]))
    assert (decision.outcome, decision.amount_fen) == (Outcome.REJECT, 0)
    assert set(_codes(decision)) == {"LICENCE_REVOKED", "DRINK_DRIVING"}
    drink = next(r for r in decision.reasons if r.code == "DRINK_DRIVING")
    assert "醉酒驾驶" in drink.text and "法定免责" in drink.text
    assert decision.receipt_ids == tuple(used)


def test_a_plate_not_registered_to_the_claimant_is_rejected(engine: Engine, cast: DemoCast) -> None:
    claimant, other = cast.people["motor_claimant"], cast.people["sme_owner"]
    decision, _ = _decide_motor(engine, claimant.id_number, _motor(other.plates[0]))
    assert decision.outcome is Outcome.REJECT
    assert _codes(decision) == ["VEHICLE_NOT_REGISTERED_TO_CLAIMANT"]


@pytest.mark.parametrize(
    ("status", "code"), [("抵押", "VEHICLE_MORTGAGED"), ("盗抢", "VEHICLE_REPORTED_STOLEN")]
)
def test_a_mortgaged_or_stolen_vehicle_is_referred(engine: Engine, status: str, code: str) -> None:
    owner, plate = _owner_of(engine, status, "C1")
    decision, _ = _decide_motor(engine, owner, _motor(plate))
    assert (decision.outcome, decision.amount_fen) == (Outcome.REFER, 1_234_500)
    assert _codes(decision) == [code]


def test_an_automatic_only_licence_is_enough_for_a_new_energy_car(engine: Engine) -> None:
    owner, plate = _owner_of(engine, "正常", "C2", "插电式混合动力")
    decision, _ = _decide_motor(engine, owner, _motor(plate))
    assert (decision.outcome, _codes(decision)) == (Outcome.APPROVE, ["CHECKS_PASSED"])


def test_an_automatic_only_licence_with_a_petrol_car_is_referred(engine: Engine) -> None:
    owner, plate = _owner_of(engine, "正常", "C2", "汽油")
    decision, _ = _decide_motor(engine, owner, _motor(plate))
    assert (decision.outcome, _codes(decision)) == (Outcome.REFER, ["LICENCE_CLASS_UNVERIFIED"])


def _death_date(engine: Engine, subject: str) -> date:
    with engine.connect() as conn:
        died = conn.scalar(select(dr.c.death_date).where(dr.c.id_number == subject))
    assert isinstance(died, date)
    return died


def _life(start: date, end: date, **extra: object) -> LifeClaim:
    return LifeClaim.model_validate(
        {
            "claim_no": "CL-LIFE-1",
            "policy_start": start,
            "policy_end": end,
            "sum_insured_fen": 50_000_000,
            **extra,
        }
    )


def test_deceased_insured_life_claim_is_approved_for_the_sum_insured(
    engine: Engine, cast: DemoCast
) -> None:
    insured = cast.people["deceased_insured"].id_number
    answers = evidence(engine, "life_claim", insured)
    decision = decide_life_claim(_life(date(2020, 1, 1), date(2030, 12, 31)), answers)
    assert (decision.outcome, decision.amount_fen) == (Outcome.APPROVE, 50_000_000)
    assert _codes(decision) == ["DEATH_CONFIRMED"]
    assert _death_date(engine, insured).isoformat() in decision.reasons[0].text
    assert decision.receipt_ids == receipts(answers)


def test_life_claim_without_a_death_record_is_rejected(engine: Engine, cast: DemoCast) -> None:
    alive = cast.people["motor_claimant"].id_number
    decision = decide_life_claim(
        _life(date(2020, 1, 1), date(2030, 12, 31)), evidence(engine, "life_claim", alive)
    )
    assert (decision.outcome, _codes(decision)) == (Outcome.REJECT, ["NO_DEATH_RECORD"])


def test_death_after_the_policy_ended_is_rejected(engine: Engine, cast: DemoCast) -> None:
    insured = cast.people["deceased_insured"].id_number
    ended = _death_date(engine, insured) - timedelta(days=1)
    decision = decide_life_claim(
        _life(date(2020, 1, 1), ended), evidence(engine, "life_claim", insured)
    )
    assert (decision.outcome, _codes(decision)) == (Outcome.REJECT, ["DEATH_OUTSIDE_POLICY_TERM"])


def test_excluded_cause_or_waiting_period_is_referred(engine: Engine, cast: DemoCast) -> None:
    insured = cast.people["deceased_insured"].id_number
    answers = evidence(engine, "life_claim", insured)
    excluded = decide_life_claim(
        _life(date(2020, 1, 1), date(2030, 12, 31), excluded_icd10=("C34",)), answers
    )
    assert (excluded.outcome, _codes(excluded)) == (Outcome.REFER, ["CAUSE_EXCLUDED"])
    recent = _death_date(engine, insured) - timedelta(days=30)
    waiting = decide_life_claim(_life(recent, date(2030, 12, 31)), answers)
    assert (waiting.outcome, _codes(waiting)) == (Outcome.REFER, ["WAITING_PERIOD"])
    assert waiting.amount_fen == 50_000_000  # what the officer would confirm


def _medical(**extra: object) -> MedicalClaim:
    return MedicalClaim.model_validate(
        {
            "claim_no": "CL-MED-1",
            "policy_start": date(2026, 1, 1),
            "policy_end": date(2026, 12, 31),
            "deductible_fen": 100_000,
            "reimbursement_bp": 8_000,
            "limit_fen": 100_000_000,
            **extra,
        }
    )


def test_inpatient_medical_claim_pays_the_remainder_after_basic_insurance(
    engine: Engine, cast: DemoCast
) -> None:
    patient = cast.people["inpatient"].id_number
    with engine.connect() as conn:
        personal = conn.scalars(
            select(ms.c.personal_paid_fen).where(
                ms.c.id_number == patient,
                ms.c.visit_type == "住院",
                ms.c.settlement_date.between(date(2026, 1, 1), date(2026, 12, 31)),
            )
        ).all()
    assert personal, "the inpatient's stay should be settled in 2026"
    answers = evidence(engine, "medical_claim", patient)
    decision = decide_medical_claim(_medical(), answers)
    expected = (sum(personal) - 100_000) * 8_000 // 10_000
    assert (decision.outcome, decision.amount_fen) == (Outcome.APPROVE, expected)
    assert _codes(decision) == ["MEDICAL_PAYABLE"]
    assert decision.receipt_ids == receipts(answers)


def test_medical_claim_caps_and_deductible(engine: Engine, cast: DemoCast) -> None:
    answers = evidence(engine, "medical_claim", cast.people["inpatient"].id_number)
    capped = decide_medical_claim(_medical(limit_fen=10_000), answers)
    assert (capped.outcome, capped.amount_fen) == (Outcome.APPROVE, 10_000)
    assert _codes(capped) == ["MEDICAL_PAYABLE", "LIMIT_APPLIED"]
    under = decide_medical_claim(_medical(deductible_fen=100_000_000), answers)
    assert (under.outcome, under.amount_fen, _codes(under)) == (
        Outcome.REJECT,
        0,
        ["BELOW_DEDUCTIBLE"],
    )


def test_medical_claim_without_covered_settlements_is_rejected(
    engine: Engine, cast: DemoCast
) -> None:
    answers = evidence(engine, "medical_claim", cast.people["inpatient"].id_number)
    excluded = decide_medical_claim(_medical(excluded_icd10=("K35",)), answers)
    assert excluded.outcome is Outcome.REJECT
    assert _codes(excluded)[-1] == "NO_COVERED_SETTLEMENT"
    assert "SETTLEMENT_EXCLUDED" in _codes(excluded)
    too_early = decide_medical_claim(
        _medical(policy_start=date(2024, 11, 1), policy_end=date(2024, 11, 2)), answers
    )
    assert _codes(too_early) == ["NO_COVERED_SETTLEMENT"]
