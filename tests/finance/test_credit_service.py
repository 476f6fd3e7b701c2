"""The credit service: granted indicators only, decisions stored with their receipts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine

from quancheng.protocol import GrantMode, Purpose
from quancheng_datagen import DemoCast
from quancheng_finance.credit import (
    GRANT_TEMPLATES,
    CreditService,
    Outcome,
    PersonalApplication,
    SmeApplication,
)
from quancheng_finance.departments import DEPARTMENTS
from tests.insurance.helpers import HandlerClient, StubGrant

NOW = datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
GRANT_SME, GRANT_PERSON = "0x" + "5" * 64, "0x" + "6" * 64
GRANTED = {item.resource: item.fields for t in GRANT_TEMPLATES.values() for item in t.scope}


def _ticks() -> Callable[[], float]:
    values = iter([10.0, 10.042])
    return lambda: next(values)


def test_sme_and_personal_decisions_are_stored_with_their_receipts(
    engine: Engine, cast: DemoCast, tmp_path: Path
) -> None:
    client = HandlerClient(
        engine,
        DEPARTMENTS,
        {
            GRANT_SME: StubGrant.of(
                GRANT_TEMPLATES["sme_credit"], cast.businesses["sme_good"].uscc
            ),
            GRANT_PERSON: StubGrant.of(
                GRANT_TEMPLATES["personal_credit"], cast.people["arrears"].id_number
            ),
        },
    )
    bank = create_engine(f"sqlite:///{tmp_path / 'bank.db'}")
    service = CreditService(client, bank, clock=lambda: NOW)
    sme = service.assess_sme(
        GRANT_SME, SmeApplication(application_no="SME-2026-01", requested_fen=100_000_000)
    )
    assert len(client.served) == 6
    person = service.assess_personal(
        GRANT_PERSON, PersonalApplication(application_no="P-2026-07", requested_fen=5_000_000)
    )
    assert (sme.outcome, sme.product, sme.amount_fen) == (
        Outcome.APPROVE,
        "sme_credit",
        100_000_000,
    )
    assert (person.outcome, person.product) == (Outcome.REJECT, "personal_credit")
    assert sme.receipt_ids == [a.receipt_id for a in client.served[:6]]
    # the arrears person has no housing-fund account: that gateway refuses, no receipt
    assert [a.resource for a in client.served[6:]] == ["social.contribution", "utility.payment"]
    assert person.receipt_ids == [a.receipt_id for a in client.served[6:]]
    assert person.reasons[0] == {"code": "NO_RECORD", "text": person.reasons[0]["text"]}
    assert "housing.fund" in person.reasons[0]["text"]
    for served in client.served:  # DERIVED: indicators only, exactly the template's
        assert tuple(served.data) == GRANTED[served.resource]
    reread = CreditService(client, create_engine(f"sqlite:///{tmp_path / 'bank.db'}"))
    assert reread.decisions() == [sme, person]
    assert (
        reread.decisions(application_no="P-2026-07")[0].to_decision("personal_credit").reasons
        == person.to_decision("personal_credit").reasons
    )


def test_decision_time_is_measured_with_the_injected_timer(
    engine: Engine, cast: DemoCast, tmp_path: Path
) -> None:
    client = HandlerClient(
        engine,
        DEPARTMENTS,
        {GRANT_SME: StubGrant.of(GRANT_TEMPLATES["sme_credit"], cast.businesses["sme_bad"].uscc)},
    )
    service = CreditService(
        client, create_engine(f"sqlite:///{tmp_path / 'b.db'}"), clock=lambda: NOW, timer=_ticks()
    )
    stored = service.assess_sme(GRANT_SME, SmeApplication(application_no="S", requested_fen=1))
    assert round(stored.elapsed_ms, 6) == 42.0 and stored.score is not None


def test_grant_templates_ask_for_derived_indicators_only() -> None:
    assert {
        k: (t.purpose, t.mode, t.resources, t.period_days) for k, t in GRANT_TEMPLATES.items()
    } == {
        "sme_credit": (
            Purpose.SME_CREDIT,
            GrantMode.DERIVED,
            (
                "business.registration",
                "business.penalty",
                "tax.credit_rating",
                "tax.payment",
                "social.employer",
                "utility.business",
            ),
            731,
        ),
        "personal_credit": (
            Purpose.PERSONAL_CREDIT,
            GrantMode.DERIVED,
            ("social.contribution", "housing.fund", "utility.payment"),
            731,
        ),
    }
    handlers = {h.spec.resource_id: h for d in DEPARTMENTS for h in d.handlers}
    for template in GRANT_TEMPLATES.values():
        for item in template.scope:
            assert set(item.fields) <= set(handlers[item.resource].spec.indicators)
            assert template.purpose in handlers[item.resource].purposes
