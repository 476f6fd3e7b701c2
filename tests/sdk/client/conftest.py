"""Fixtures of the SDK client tests: one deployment, one authority, one provider whose
gateway double serves one resource over real HTTP, and a fresh consumer per test.

The chain's state is shared by the session: every test makes its own owners and grants.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from quancheng.authority import IdentityAuthority
from quancheng.chain import Role
from quancheng.client import ConsumerClient
from quancheng.wallet import OwnerWallet
from tests.conftest import own_chain_node
from tests.sdk.client.gateway_double import GatewayDouble, ServerThread
from tests.utils.chain_factories import Member, TestNetwork, admit, deploy_test_network
from tests.utils.sdk_factories import (
    ROW,
    make_authority,
    make_consumer_client,
    onboard_owner,
    register_sdk_resource,
)

chain_node = own_chain_node()  # this package's own node (tests/conftest.py)

#: Dev account funding this package's accounts (the contract tests use 9).
FUNDER_INDEX = 8


@dataclass
class World:
    """The deployment and the actors every SDK test shares."""

    net: TestNetwork
    rpc_url: str
    authority: IdentityAuthority
    provider: Member
    gateway: GatewayDouble
    server: ServerThread
    resource: str


@pytest.fixture(scope="package")
def world(chain_node) -> Iterator[World]:  # type: ignore[no-untyped-def]
    """A deployment with a provider whose gateway double runs on 127.0.0.1."""
    net = deploy_test_network(chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX])
    authority = make_authority(net, chain_node.rpc_url)
    provider = admit(net, Role.PROVIDER)
    gateway = GatewayDouble(provider, net.contracts, rows={})
    server = ServerThread(gateway.app()).start()
    resource = register_sdk_resource(net, provider, endpoint=server.url)
    gateway.rows[resource] = dict(ROW)
    try:
        yield World(net, chain_node.rpc_url, authority, provider, gateway, server, resource)
    finally:
        server.stop()


@pytest.fixture
def gateway(world: World) -> Iterator[GatewayDouble]:
    """The shared gateway double, honest again after the test."""
    yield world.gateway
    world.gateway.behaviour = world.gateway.proof_behaviour = "honest"
    world.gateway.refusal = None


@pytest.fixture
def consumer(world: World) -> Member:
    return admit(world.net, Role.CONSUMER)


@pytest.fixture
def client(world: World, consumer: Member) -> Iterator[ConsumerClient]:
    with make_consumer_client(world.net, world.rpc_url, consumer) as c:
        yield c


@pytest.fixture
def wallet(world: World) -> OwnerWallet:
    """A freshly attested owner."""
    return onboard_owner(world.authority)
