"""Tiered grants through the SDK on a real node: the helpers are the contract's, a standing
domain grant is requested and queried under a named scenario, and the receipt's tier is checked.

The world's resource allows MOTOR_CLAIM and SME_CREDIT; its gateway double is honest unless told.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from quancheng.chain.errors import GrantRegistryPurposeNotAllowed
from quancheng.client import ConsumerClient
from quancheng.client_errors import ScenarioPurposeRequired
from quancheng.protocol import Purpose, tier_of
from quancheng.protocol.purposes import purposes_of
from quancheng.verify_errors import ReceiptFieldMismatch
from quancheng.wallet import OwnerWallet
from tests.sdk.client.conftest import World
from tests.sdk.client.gateway_double import GatewayDouble
from tests.utils.sdk_factories import approved_grant, register_sdk_resource, request_for

FIELDS = ["plate", "status"]


def test_purposes_of_and_tier_of_are_the_contracts_for_every_code(world: World) -> None:
    grants = world.net.grants.functions
    contract = [(grants.purposesOf(code).call(), grants.tierOf(code).call()) for code in range(256)]

    assert contract == [(purposes_of(code), int(tier_of(code))) for code in range(256)]
    assert (grants.DOMAIN_INSURANCE().call(), grants.DOMAIN_CREDIT().call()) == (100, 101)
    assert grants.COMPREHENSIVE().call() == int(Purpose.COMPREHENSIVE)


def test_a_year_long_credit_domain_grant_is_requested_and_recorded_as_asked(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = request_for(
        client, wallet, {world.resource: FIELDS}, purpose=Purpose.CREDIT_DOMAIN,
        valid_for=timedelta(days=365), max_uses=1000,
    )  # fmt: skip

    record = client.grant(handle.grant_id)
    assert (record.purpose, handle.document.purpose) == (101, Purpose.CREDIT_DOMAIN)
    assert record.not_after - record.not_before == 365 * 86_400


def test_a_domain_grant_on_a_resource_allowing_none_of_its_scenarios_is_refused_on_chain(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    credit_only = register_sdk_resource(
        world.net, world.provider, endpoint=world.server.url, purposes=(Purpose.SME_CREDIT,)
    )

    with pytest.raises(GrantRegistryPurposeNotAllowed) as caught:
        request_for(client, wallet, {credit_only: FIELDS}, purpose=Purpose.INSURANCE_DOMAIN)

    assert caught.value.purpose == 100
    request_for(client, wallet, {credit_only: FIELDS}, purpose=Purpose.COMPREHENSIVE)


def test_a_query_under_a_domain_grant_names_its_scenario_and_the_receipt_its_tier(
    world: World, client: ConsumerClient, wallet: OwnerWallet, gateway: GatewayDouble
) -> None:
    handle = approved_grant(
        client, wallet, world.authority, {world.resource: FIELDS}, purpose=Purpose.CREDIT_DOMAIN
    )
    sent = len(gateway.bodies)

    with pytest.raises(ScenarioPurposeRequired) as caught:
        client.query(handle.grant_id, world.resource, FIELDS)
    answer = client.query(handle.grant_id, world.resource, FIELDS, purpose=Purpose.SME_CREDIT)

    assert (caught.value.code, caught.value.grant_purpose) == ("SCENARIO_PURPOSE_REQUIRED", 101)
    assert len(gateway.bodies) == sent + 1  # the refused query was never sent
    receipt = answer.receipt.receipt
    assert (receipt.purpose, receipt.tier) == (Purpose.SME_CREDIT, "DOMAIN")


def test_a_receipt_claiming_another_tier_than_the_grants_does_not_verify(
    world: World, client: ConsumerClient, wallet: OwnerWallet, gateway: GatewayDouble
) -> None:
    handle = approved_grant(client, wallet, world.authority, {world.resource: FIELDS})
    gateway.behaviour = "receipt_wrong_tier"  # says DOMAIN under a MOTOR_CLAIM grant

    with pytest.raises(ReceiptFieldMismatch) as caught:
        client.query(handle.grant_id, world.resource, FIELDS)

    assert (caught.value.field, caught.value.expected, caught.value.actual) == (
        "tier", "SCENARIO", "DOMAIN",
    )  # fmt: skip
