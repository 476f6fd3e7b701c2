"""Connection failures: retried with the very same signed request, and only those."""

from __future__ import annotations

import httpx
import pytest

from quancheng.chain import Role
from quancheng.client import ConsumerClient
from quancheng.gateway_client import GatewayClient, GatewayTimeout, GatewayUnavailable, RetryPolicy
from quancheng.protocol import SignedRequest
from quancheng.wallet import OwnerWallet
from tests.sdk.client.conftest import World
from tests.sdk.client.flaky_relay import FlakyRelay
from tests.sdk.client.gateway_double import GatewayDouble
from tests.utils.chain_factories import admit
from tests.utils.ports import free_port
from tests.utils.sdk_factories import (
    ROW,
    approved_grant,
    make_consumer_client,
    register_sdk_resource,
)

FIELDS = ["plate", "status"]


class RefuseFirstConnects(httpx.BaseTransport):
    """The real transport, except that the first ``failures`` sends fail to connect."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[bytes] = []
        self._real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.read())
        if len(self.sent) <= self.failures:
            raise httpx.ConnectError("connection refused", request=request)
        return self._real.handle_request(request)

    def close(self) -> None:
        self._real.close()


def _client_via(world: World, endpoint: str, gateway: GatewayClient) -> tuple[ConsumerClient, str]:
    """A consumer with a resource of the shared provider served at ``endpoint``."""
    resource = register_sdk_resource(world.net, world.provider, endpoint=endpoint)
    world.gateway.rows[resource] = dict(ROW)
    consumer = admit(world.net, Role.CONSUMER)
    return make_consumer_client(world.net, world.rpc_url, consumer, gateway=gateway), resource


def test_refused_connections_are_retried_with_the_identical_signed_request(
    world: World, gateway: GatewayDouble, wallet: OwnerWallet
) -> None:
    transport = RefuseFirstConnects(failures=2)
    pauses: list[float] = []
    http = GatewayClient(transport=transport, sleep=pauses.append)
    client, resource = _client_via(world, world.server.url, http)
    grant = approved_grant(client, wallet, world.authority, {resource: FIELDS})
    seen = len(gateway.bodies)

    answer = client.query(grant.grant_id, resource, FIELDS)

    assert len(transport.sent) == 3 and len(set(transport.sent)) == 1
    assert gateway.bodies[seen:] == [transport.sent[0]]
    assert SignedRequest.model_validate_json(transport.sent[0]) == answer.signed_request
    assert pauses == [0.1, 0.2]
    http.close()


def test_connection_dropped_without_answer_is_retried_with_the_identical_signed_request(
    world: World, gateway: GatewayDouble, wallet: OwnerWallet
) -> None:
    with FlakyRelay(world.server.port, drop=1) as relay:
        http = GatewayClient(sleep=lambda _: None)
        client, resource = _client_via(world, relay.url, http)
        grant = approved_grant(client, wallet, world.authority, {resource: FIELDS})
        seen = len(gateway.bodies)

        answer = client.query(grant.grant_id, resource, FIELDS)
        http.close()

    assert relay.connections == 2
    assert gateway.bodies[seen:] == relay.bodies
    assert SignedRequest.model_validate_json(relay.bodies[0]) == answer.signed_request


def test_read_timeout_is_not_retried(
    world: World, gateway: GatewayDouble, wallet: OwnerWallet
) -> None:
    with FlakyRelay(world.server.port, drop=1, hang=True) as relay:
        http = GatewayClient(timeout=httpx.Timeout(0.3, connect=2.0), sleep=lambda _: None)
        client, resource = _client_via(world, relay.url, http)
        grant = approved_grant(client, wallet, world.authority, {resource: FIELDS})

        with pytest.raises(GatewayTimeout) as caught:
            client.query(grant.grant_id, resource, FIELDS)
        http.close()

    assert caught.value.attempts == 1
    assert relay.connections == 1


def test_unreachable_gateway_gives_up_after_the_bounded_attempts() -> None:
    pauses: list[float] = []
    http = GatewayClient(
        retry=RetryPolicy(attempts=4, backoff=0.5, max_backoff=1.0), sleep=pauses.append
    )

    with http, pytest.raises(GatewayUnavailable) as caught:
        http.post_query(f"http://127.0.0.1:{free_port()}", b"{}")

    assert type(caught.value) is GatewayUnavailable
    assert caught.value.attempts == 4
    assert pauses == [0.5, 1.0, 1.0]
