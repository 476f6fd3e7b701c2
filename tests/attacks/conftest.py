"""Fixtures of the attack catalogue: its own deployments, gateways and portal.

The attacks measure "nothing changed" on the gateway's log and on chain, so they run on
deployments of their own (never the gateway tests' ones, whose logs other tests move):

* ``sc`` / ``gw`` — the test department (车管所) over a fresh deployment, served by an
  in-process gateway (``TestClient``, lifespan run) with an injected clock;
* ``dept`` — a real department plug-in (``quancheng_insurance.departments:vehicle``) over
  another deployment, served by a real uvicorn subprocess (:class:`GatewayProcess`);
* ``portal`` — the owner portal in process over ``sc``, run by the identity authority;
* ``t`` (``test_chain.py``) — a third deployment, with a 2-of-3 committee so that a
  proposal stays open to be voted on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from quancheng.chain import Role
from quancheng.protocol import GrantDocument
from tests.attacks.support import DEPT_FUNDER_INDEX, FIELDS, FUNDER_INDEX, VR, fresh_subject
from tests.attacks.worlds import DeptGateway, PortalWorld, build_dept_gateway, build_portal
from tests.conftest import own_chain_node
from tests.gateway.conftest import InProcessGateway, in_process_gateway
from tests.utils.chain_factories import Member, admit
from tests.utils.scenario import Scenario, active_grant, build_scenario

chain_node = own_chain_node()  # this package's own node (tests/conftest.py)


@pytest.fixture(scope="package")
def sc(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """A deployment with the test department, a consumer bank and 120 people's data."""
    return build_scenario(
        chain_node.rpc_url,
        chain_node.dev_private_keys[FUNDER_INDEX],
        tmp_path_factory.mktemp("attack-sc"),
    )


@pytest.fixture(scope="package")
def gw(sc: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessGateway]:
    """The test department's gateway, in process, with a manual clock."""
    yield from in_process_gateway(sc, tmp_path_factory.mktemp("attack-gw") / "gateway.db")


@pytest.fixture(scope="package")
def dept(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeptGateway]:
    """The real 车管所 plug-in behind a real gateway process, on a deployment of its own."""
    world = build_dept_gateway(
        chain_node.rpc_url,
        chain_node.dev_private_keys[DEPT_FUNDER_INDEX],
        tmp_path_factory.mktemp("attack-dept"),
    )
    try:
        yield world
    finally:
        world.http.close()
        world.process.stop()


@pytest.fixture(scope="package")
def portal(sc: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalWorld]:
    """The owner portal over ``sc``, in process."""
    yield from build_portal(sc, tmp_path_factory.mktemp("attack-portal"))


@pytest.fixture(scope="package")
def grant(sc: Scenario) -> GrantDocument:
    """An ACTIVE grant of vehicle.registration (plate_no, status) to ``sc.consumer``."""
    return active_grant(sc, fresh_subject(sc), {VR: FIELDS}, max_uses=10_000)


@pytest.fixture(scope="package")
def other_consumer(sc: Scenario) -> Member:
    """A second ACTIVE consumer bank of the consortium."""
    return admit(sc.net, Role.CONSUMER, name="另一家银行")
