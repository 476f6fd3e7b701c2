"""Fixtures of the contract tests: one deployment per session on the shared node.

Every test makes its own institutions, resources, owners and grants (fresh ids, fresh
accounts) because the chain's state is shared by the whole session.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from quancheng.chain import Role
from tests.conftest import own_chain_node
from tests.utils.chain_factories import (
    Member,
    Owner,
    TestNetwork,
    admit,
    attest_owner,
    deploy_test_network,
    register_resource,
)

chain_node = own_chain_node()  # this package's own node (tests/conftest.py)

#: Dev account index the contract tests fund their fresh accounts from.
FUNDER_INDEX = 9


@pytest.fixture(scope="package")
def net(chain_node) -> TestNetwork:  # type: ignore[no-untyped-def]
    """The contracts, deployed with 3 founding committee members and a threshold of 2."""
    return deploy_test_network(chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX])


@pytest.fixture(scope="package")
def make_network(chain_node) -> Callable[..., TestNetwork]:  # type: ignore[no-untyped-def]
    """Deploy another network (e.g. with a short voting period)."""

    def _make(**kwargs: int) -> TestNetwork:
        return deploy_test_network(
            chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], **kwargs
        )

    return _make


@pytest.fixture
def provider(net: TestNetwork) -> Member:
    return admit(net, Role.PROVIDER)


@pytest.fixture
def consumer(net: TestNetwork) -> Member:
    return admit(net, Role.CONSUMER)


@pytest.fixture
def auditor(net: TestNetwork) -> Member:
    return admit(net, Role.AUDITOR)


@pytest.fixture
def resource(net: TestNetwork, provider: Member) -> bytes:
    return register_resource(net, provider)


@pytest.fixture
def owner(net: TestNetwork) -> Owner:
    return attest_owner(net)
