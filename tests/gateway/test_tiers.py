"""Tiered grants (依场景 / 分领域 / 综合授权) at the gateway on the real node, queried by the SDK.

A bank holds a one-year DERIVED credit-domain grant and names the scenario of each query; the
receipt states the query's scenario and the tier of the grant it named. The catalogue allows
``vehicle.registration`` for MOTOR_CLAIM, UNDERWRITING, SME_CREDIT and PERSONAL_CREDIT (not
POST_LOAN); ``driving.licence`` for MOTOR_CLAIM and UNDERWRITING.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quancheng.client import ConsumerClient
from quancheng.client_errors import ScenarioPurposeRequired
from quancheng.gateway_client import GatewayClient
from quancheng.protocol import GrantDocument, GrantMode, Purpose
from quancheng.protocol.refusals import PurposeNotAllowed, PurposeNotGranted
from tests.gateway.conftest import InProcessGateway
from tests.gateway.support import log_state
from tests.utils.scenario import Scenario, active_grant, chain_now, signed_request
from tests.utils.sdk_factories import InProcessRoute, institution_of

VR, DL = "vehicle.registration", "driving.licence"
YEAR = 365 * 86_400
COUNT = ("vehicle_count",)


@pytest.fixture(scope="module")
def bank(scenario: Scenario, gw: InProcessGateway) -> Iterator[ConsumerClient]:
    """The scenario's consumer, through the SDK, to the in-process gateway."""
    transport = GatewayClient(transport=InProcessRoute(gw.client))
    me = institution_of(scenario.consumer)
    with ConsumerClient(
        me, scenario.net.manifest, scenario.rpc_url, gateway=transport, evidence=False
    ) as client:
        yield client


def _standing_grant(
    sc: Scenario, gw: InProcessGateway, subject: int, purpose: Purpose, **kw: object
) -> GrantDocument:
    """A one-year DERIVED grant of ``purpose`` on the vehicle registration, approved."""
    now = chain_now(sc)
    doc = active_grant(
        sc, sc.subjects[subject], {VR: COUNT}, purpose=purpose, mode=GrantMode.DERIVED,
        max_uses=100, not_before=now - 60, not_after=now + YEAR, **kw,
    )  # fmt: skip
    gw.sync()
    return doc


@pytest.fixture(scope="module")
def credit(scenario: Scenario, gw: InProcessGateway) -> GrantDocument:
    return _standing_grant(scenario, gw, 20, Purpose.CREDIT_DOMAIN)


def test_a_credit_domain_grant_serves_each_credit_scenario_and_the_receipt_says_so(
    bank: ConsumerClient, credit: GrantDocument
) -> None:
    answers = {
        p: bank.query(credit.grant_id, VR, COUNT, purpose=p)
        for p in (Purpose.SME_CREDIT, Purpose.PERSONAL_CREDIT)
    }

    for purpose, answer in answers.items():
        receipt = answer.receipt.receipt
        assert (receipt.purpose, receipt.tier, receipt.grant_id) == (
            purpose, "DOMAIN", credit.grant_id,
        )  # fmt: skip
        assert receipt.type == "quancheng.receipt/4"
        assert answer.data["vehicle_count"] >= 1


def test_a_credit_domain_grant_refuses_an_insurance_scenario(
    bank: ConsumerClient, gw: InProcessGateway, credit: GrantDocument
) -> None:
    before = log_state(gw.gateway)

    with pytest.raises(PurposeNotGranted) as caught:
        bank.query(credit.grant_id, VR, COUNT, purpose=Purpose.MOTOR_CLAIM)

    assert (caught.value.code, caught.value.status) == ("PURPOSE_NOT_GRANTED", 403)
    assert caught.value.details["purpose"] == int(Purpose.MOTOR_CLAIM)
    assert log_state(gw.gateway) == before


def test_a_covered_scenario_the_resource_does_not_allow_is_refused(
    bank: ConsumerClient, credit: GrantDocument
) -> None:
    with pytest.raises(PurposeNotAllowed) as caught:
        bank.query(credit.grant_id, VR, COUNT, purpose=Purpose.POST_LOAN)

    assert (caught.value.code, caught.value.details["purpose"]) == ("PURPOSE_NOT_ALLOWED", 7)


@pytest.mark.parametrize("purpose", [None, Purpose.CREDIT_DOMAIN, Purpose.COMPREHENSIVE])
def test_a_query_under_a_domain_grant_must_name_one_scenario(
    bank: ConsumerClient, gw: InProcessGateway, credit: GrantDocument, purpose: Purpose | None
) -> None:
    before = log_state(gw.gateway)

    with pytest.raises(ScenarioPurposeRequired) as caught:
        bank.query(credit.grant_id, VR, COUNT, purpose=purpose)

    assert (caught.value.grant_purpose, caught.value.purpose) == (
        101, None if purpose is None else int(purpose),
    )  # fmt: skip
    assert log_state(gw.gateway) == before  # nothing was sent


def test_a_request_naming_a_domain_code_past_the_sdk_is_malformed(
    scenario: Scenario, gw: InProcessGateway, credit: GrantDocument
) -> None:
    signed = signed_request(scenario.consumer, credit, VR, COUNT, purpose=Purpose.SME_CREDIT)
    body = signed.model_dump(mode="json")
    body["request"]["purpose"] = int(Purpose.CREDIT_DOMAIN)  # a domain is never a query's purpose

    resp = gw.client.post("/v1/query", json=body)

    assert (resp.status_code, resp.json()["error"]["code"]) == (400, "MALFORMED_REQUEST")


def test_a_scenario_grant_still_refuses_every_other_purpose(
    scenario: Scenario, bank: ConsumerClient, gw: InProcessGateway
) -> None:
    doc = _standing_grant(scenario, gw, 21, Purpose.PERSONAL_CREDIT)

    answer = bank.query(doc.grant_id, VR, COUNT)  # the grant's own scenario by default

    assert (answer.receipt.receipt.purpose, answer.receipt.receipt.tier) == (6, "SCENARIO")
    for other in (Purpose.SME_CREDIT, Purpose.MOTOR_CLAIM):
        with pytest.raises(PurposeNotGranted):
            bank.query(doc.grant_id, VR, COUNT, purpose=other)


def test_a_comprehensive_grant_covers_every_scenario_the_resource_allows(
    scenario: Scenario, bank: ConsumerClient, gw: InProcessGateway
) -> None:
    doc = _standing_grant(scenario, gw, 22, Purpose.COMPREHENSIVE)
    allowed = (
        Purpose.MOTOR_CLAIM,
        Purpose.UNDERWRITING,
        Purpose.SME_CREDIT,
        Purpose.PERSONAL_CREDIT,
    )

    receipts = [bank.query(doc.grant_id, VR, COUNT, purpose=p).receipt.receipt for p in allowed]

    assert [(r.purpose, r.tier) for r in receipts] == [(p, "COMPREHENSIVE") for p in allowed]
    with pytest.raises(PurposeNotAllowed):  # covered, but not a purpose of this resource
        bank.query(doc.grant_id, VR, COUNT, purpose=Purpose.LIFE_CLAIM)


def test_a_consumer_holding_two_grants_is_served_under_the_one_it_names(
    scenario: Scenario, bank: ConsumerClient, gw: InProcessGateway
) -> None:
    scenario_grant = _standing_grant(scenario, gw, 23, Purpose.SME_CREDIT)
    domain_grant = _standing_grant(scenario, gw, 23, Purpose.CREDIT_DOMAIN)

    tiers = [
        bank.query(g.grant_id, VR, COUNT, purpose=Purpose.SME_CREDIT).receipt.receipt.tier
        for g in (scenario_grant, domain_grant)
    ]

    assert tiers == ["SCENARIO", "DOMAIN"]
