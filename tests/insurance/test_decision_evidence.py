"""A decision takes exactly the answers it relies on, each complete, or refuses clearly."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine

from quancheng_appkit.decision import EvidenceItem, NoRecord, yuan
from quancheng_appkit.errors import (
    DuplicateEvidence,
    IncompleteEvidence,
    MissingEvidence,
    UnexpectedEvidence,
)
from quancheng_datagen import DemoCast
from quancheng_insurance.claims import (
    LifeClaim,
    MedicalClaim,
    MotorClaim,
    decide_life_claim,
    decide_medical_claim,
    decide_motor_claim,
)
from tests.insurance.claims_support import evidence

LIFE = LifeClaim(
    claim_no="L1",
    policy_start=date(2020, 1, 1),
    policy_end=date(2030, 1, 1),
    sum_insured_fen=1_000_000,
)


def _motor(plate: str) -> MotorClaim:
    return MotorClaim(
        claim_no="M1",
        plate_no=plate,
        accident_date=date(2026, 10, 1),
        assessed_loss_fen=100,
        policy_limit_fen=1_000,
    )


def test_a_missing_resource_is_refused(engine: Engine, cast: DemoCast) -> None:
    claimant = cast.people["motor_claimant"]
    answers = evidence(engine, "motor_claim", claimant.id_number)
    with pytest.raises(MissingEvidence) as caught:
        decide_motor_claim(_motor(claimant.plates[0]), answers[:2])
    assert caught.value.resource == "traffic.violation"


def test_an_unused_or_repeated_answer_is_refused(engine: Engine, cast: DemoCast) -> None:
    claimant = cast.people["motor_claimant"]
    motor = evidence(engine, "motor_claim", claimant.id_number)
    life = evidence(engine, "life_claim", claimant.id_number)
    with pytest.raises(UnexpectedEvidence) as unexpected:
        decide_life_claim(LIFE, [*life, motor[0]])
    assert unexpected.value.resource == "vehicle.registration"
    with pytest.raises(DuplicateEvidence):
        decide_motor_claim(_motor(claimant.plates[0]), [*motor, motor[2]])


def test_an_answer_without_a_needed_field_is_refused(engine: Engine, cast: DemoCast) -> None:
    (death,) = evidence(engine, "life_claim", cast.people["deceased_insured"].id_number)
    partial = replace(death, data={k: v for k, v in death.data.items() if k != "death_date"})
    with pytest.raises(IncompleteEvidence) as caught:
        decide_life_claim(LIFE, [partial])
    assert caught.value.names == ("death_date",)


def test_record_columns_of_unequal_length_are_refused(engine: Engine, cast: DemoCast) -> None:
    claimant = cast.people["drunk_driver"]
    answers = evidence(engine, "motor_claim", claimant.id_number)
    bad = replace(answers[2], data={**answers[2].data, "category": []})
    with pytest.raises(IncompleteEvidence):
        decide_motor_claim(_motor(claimant.plates[0]), [*answers[:2], bad])


def test_evidence_items_satisfy_the_evidence_protocol() -> None:
    item = EvidenceItem("death.registration", {"deceased": False}, "r-1", "jinan.civil")
    assert (item.resource, item.receipt_id, dict(item.data)) == (
        "death.registration",
        "r-1",
        {"deceased": False},
    )


@pytest.mark.parametrize(
    ("fen", "text"), [(497_750, "4,977.50 元"), (5, "0.05 元"), (-100, "-1.00 元")]
)
def test_amounts_are_shown_in_yuan(fen: int, text: str) -> None:
    assert yuan(fen) == text


def test_a_department_without_any_record_reads_as_no_records_and_no_receipt() -> None:
    claim = MedicalClaim(
        claim_no="M2",
        policy_start=date(2026, 1, 1),
        policy_end=date(2026, 12, 31),
        deductible_fen=0,
        reimbursement_bp=10_000,
        limit_fen=1,
    )
    decision = decide_medical_claim(claim, [NoRecord("medical.settlement", "jinan.hsa")])
    assert [r.code for r in decision.reasons] == ["NO_RECORD", "NO_COVERED_SETTLEMENT"]
    assert decision.receipt_ids == () and decision.amount_fen == 0
