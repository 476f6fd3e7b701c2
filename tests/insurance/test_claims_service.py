"""The claims service: granted fields only, decisions stored with their receipts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from quancheng.protocol import GrantMode, Purpose
from quancheng_datagen import DemoCast
from quancheng_insurance.claims import (
    GRANT_TEMPLATES,
    ClaimsService,
    LifeClaim,
    MedicalClaim,
    MotorClaim,
    Outcome,
)
from quancheng_insurance.departments import DEPARTMENTS
from tests.insurance.helpers import FieldNotGrantedError, HandlerClient, StubGrant

NOW = datetime(2026, 10, 31, 9, 30, tzinfo=UTC)
GRANT_MOTOR, GRANT_LIFE, GRANT_MEDICAL = ("0x" + c * 64 for c in "abc")


class StepTimer:
    """A monotonic clock that advances a quarter of a second per reading."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


@pytest.fixture
def client(engine: Engine, cast: DemoCast) -> HandlerClient:
    grants = {
        GRANT_MOTOR: StubGrant.of(
            GRANT_TEMPLATES["motor_claim"], cast.people["motor_claimant"].id_number
        ),
        GRANT_LIFE: StubGrant.of(
            GRANT_TEMPLATES["life_claim"], cast.people["deceased_insured"].id_number
        ),
        GRANT_MEDICAL: StubGrant.of(
            GRANT_TEMPLATES["medical_claim"], cast.people["inpatient"].id_number
        ),
    }
    return HandlerClient(engine, DEPARTMENTS, grants)


def _service(client: HandlerClient, path: Path) -> ClaimsService:
    return ClaimsService(
        client, create_engine(f"sqlite:///{path}"), clock=lambda: NOW, timer=StepTimer()
    )


def test_motor_claim_is_decided_from_the_granted_fields_and_stored(
    client: HandlerClient, cast: DemoCast, tmp_path: Path
) -> None:
    claimant = cast.people["motor_claimant"]
    claim = MotorClaim(
        claim_no="CL-2026-0001",
        plate_no=claimant.plates[0],
        accident_date=date(2026, 10, 20),
        assessed_loss_fen=860_000,
        policy_limit_fen=50_000_000,
    )
    stored = _service(client, tmp_path / "insurer.db").settle_motor_claim(GRANT_MOTOR, claim)
    assert (stored.outcome, stored.amount_fen, stored.claim_type) == (
        Outcome.APPROVE,
        860_000,
        "motor_claim",
    )
    assert stored.receipt_ids == [a.receipt_id for a in client.served]
    template = GRANT_TEMPLATES["motor_claim"]
    assert [(a.resource, tuple(a.data)) for a in client.served] == [
        (item.resource, item.fields) for item in template.scope
    ]
    assert client.served[0].data["plate_no"] == [claimant.plates[0]]
    assert stored.elapsed_ms == 250.0 and stored.grant_id == GRANT_MOTOR


def test_stored_decisions_read_back_from_a_fresh_connection(
    client: HandlerClient, cast: DemoCast, tmp_path: Path
) -> None:
    path = tmp_path / "insurer.db"
    service = _service(client, path)
    life = service.settle_life_claim(
        GRANT_LIFE,
        LifeClaim(
            claim_no="CL-LIFE-7",
            policy_start=date(2021, 3, 1),
            policy_end=date(2031, 2, 28),
            sum_insured_fen=30_000_000,
        ),
    )
    medical = service.settle_medical_claim(
        GRANT_MEDICAL,
        MedicalClaim(
            claim_no="CL-MED-9",
            policy_start=date(2026, 1, 1),
            policy_end=date(2026, 12, 31),
            deductible_fen=0,
            reimbursement_bp=10_000,
            limit_fen=100_000_000,
        ),
    )
    again = ClaimsService(client, create_engine(f"sqlite:///{path}"))
    (life_back,) = again.decisions(claim_no="CL-LIFE-7")
    assert life_back == life and life_back.outcome == Outcome.APPROVE
    assert life_back.to_decision("life_claim").receipt_ids == (client.served[0].receipt_id,)
    assert [d.claim_no for d in again.decisions()] == ["CL-LIFE-7", "CL-MED-9"]
    assert medical.receipt_ids == [client.served[1].receipt_id]
    assert life_back.created_at.replace(tzinfo=UTC) == NOW
    assert life_back.reasons[0]["code"] == "DEATH_CONFIRMED"


def test_a_grant_narrower_than_the_template_fails_and_stores_nothing(
    client: HandlerClient, cast: DemoCast, tmp_path: Path
) -> None:
    narrow = "0x" + "d" * 64
    client.grants[narrow] = StubGrant(
        "370000", (0, 1), GrantMode.RAW, {"death.registration": ("deceased",)}
    )
    service = _service(client, tmp_path / "insurer.db")
    with pytest.raises(FieldNotGrantedError):
        service.settle_life_claim(
            narrow,
            LifeClaim(
                claim_no="CL-X",
                policy_start=date(2020, 1, 1),
                policy_end=date(2030, 1, 1),
                sum_insured_fen=1,
            ),
        )
    assert service.decisions() == []


def test_grant_templates_name_the_purpose_mode_and_offered_fields() -> None:
    assert {k: (t.purpose, t.mode, t.resources) for k, t in GRANT_TEMPLATES.items()} == {
        "motor_claim": (
            Purpose.MOTOR_CLAIM,
            GrantMode.RAW,
            ("vehicle.registration", "driving.licence", "traffic.violation"),
        ),
        "life_claim": (Purpose.LIFE_CLAIM, GrantMode.RAW, ("death.registration",)),
        "medical_claim": (Purpose.MEDICAL_CLAIM, GrantMode.RAW, ("medical.settlement",)),
    }
    handlers = {h.spec.resource_id: h for d in DEPARTMENTS for h in d.handlers}
    for template in GRANT_TEMPLATES.values():
        for item in template.scope:
            assert set(item.fields) <= set(handlers[item.resource].spec.fields)
            assert template.purpose in handlers[item.resource].purposes


def test_a_living_person_is_unknown_to_the_death_registry_and_the_claim_is_rejected(
    client: HandlerClient, cast: DemoCast, tmp_path: Path
) -> None:
    alive = "0x" + "e" * 64
    client.grants[alive] = StubGrant.of(
        GRANT_TEMPLATES["life_claim"], cast.people["motor_claimant"].id_number
    )
    stored = _service(client, tmp_path / "insurer.db").settle_life_claim(
        alive,
        LifeClaim(
            claim_no="CL-LIFE-8",
            policy_start=date(2020, 1, 1),
            policy_end=date(2030, 1, 1),
            sum_insured_fen=1_000_000,
        ),
    )
    assert (stored.outcome, stored.amount_fen, stored.receipt_ids) == (Outcome.REJECT, 0, [])
    assert [r["code"] for r in stored.reasons] == ["NO_RECORD", "NO_DEATH_RECORD"]
    assert client.served == []
