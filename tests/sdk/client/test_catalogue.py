"""The catalogue as the client reads it: cached endpoints, unknown resources, bad arguments."""

from __future__ import annotations

from datetime import timedelta

import pytest

from quancheng._util import ArgumentError
from quancheng.chain import code32
from quancheng.client import ConsumerClient
from quancheng.client_errors import ResourceNotInCatalogue
from quancheng.protocol import GrantMode, Purpose
from quancheng.wallet import OwnerWallet
from tests.sdk.client.conftest import World
from tests.sdk.client.flaky_relay import FlakyRelay
from tests.utils.sdk_factories import ROW, approved_grant, register_sdk_resource

FIELDS = ["plate"]


def test_moved_endpoint_is_used_once_the_cached_entry_expires(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    resource = register_sdk_resource(world.net, world.provider, endpoint=world.server.url)
    world.gateway.rows[resource] = dict(ROW)
    grant = approved_grant(client, wallet, world.authority, {resource: FIELDS})
    now = [1_000_000.0]
    cached = ConsumerClient(
        client.institution, world.net.manifest, world.rpc_url,
        catalogue_ttl=60, clock=lambda: now[0],
    )  # fmt: skip
    with FlakyRelay(world.server.port, drop=0) as relay, cached:
        cached.query(grant.grant_id, resource, FIELDS)
        world.net.send(
            world.provider,
            world.net.catalogue.functions.setEndpoint(code32(resource), relay.url),
        )
        cached.query(grant.grant_id, resource, FIELDS)
        assert relay.connections == 0

        now[0] += 60
        answer = cached.query(grant.grant_id, resource, FIELDS)
        assert relay.connections == 1
    assert answer.endpoint == relay.url


def test_query_of_a_resource_missing_from_the_catalogue_is_refused_locally(
    client: ConsumerClient,
) -> None:
    with pytest.raises(ResourceNotInCatalogue) as caught:
        client.query(b"\x01" * 32, "res.unknown", FIELDS)
    assert caught.value.resource == "res.unknown"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"valid_for": timedelta(hours=1), "not_after": 2_000_000_000}, "validity"),
        ({}, "validity"),
        ({"valid_for": 60, "data_from": "2024-13-01"}, "data_from"),
    ],
)
def test_malformed_grant_request_is_refused_before_sending(
    world: World, client: ConsumerClient, wallet: OwnerWallet, kwargs: dict[str, object], name: str
) -> None:
    args: dict[str, object] = {"data_from": "2024-01-01", **kwargs}
    nonce = world.net.w3.eth.get_transaction_count(client.institution.address)

    with pytest.raises(ArgumentError) as caught:
        client.request_grant(
            wallet.pseudonym, None, {world.resource: FIELDS}, Purpose.MOTOR_CLAIM, GrantMode.RAW,
            data_to="2024-12-31", **args,  # type: ignore[arg-type]
        )  # fmt: skip

    assert caught.value.name == name
    assert world.net.w3.eth.get_transaction_count(client.institution.address) == nonce
