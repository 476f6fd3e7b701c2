"""Fixtures of the gateway tests: a scenario on the session's node and gateways over it.

In-process gateways (``TestClient``, lifespan run) serve the many refusal cases quickly;
the main flow, restarts, crashes and outages run a real uvicorn subprocess over real HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quancheng.log_reader import LogReader, with_query
from quancheng_gateway.core.clock import ManualClock
from quancheng_gateway.main import create_app
from quancheng_gateway.service import Gateway
from tests.conftest import own_chain_node
from tests.utils.chain_factories import Member
from tests.utils.scenario import Scenario, build_scenario, gateway_settings

chain_node = own_chain_node()  # this package's own node (tests/conftest.py)

#: Dev account the gateway tests fund their fresh accounts from (contract tests use 9).
FUNDER_INDEX = 12


@pytest.fixture(scope="package")
def scenario(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """One deployment for the in-process gateway tests."""
    return build_scenario(
        chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], tmp_path_factory.mktemp("sc")
    )


class InProcessGateway:
    """A gateway app run in this process, with its clock and its Gateway object at hand."""

    def __init__(
        self,
        client: TestClient,
        gateway: Gateway,
        clock: ManualClock,
        auditor: Member | None = None,
    ) -> None:
        self.client, self.gateway, self.clock = client, gateway, clock
        self.auditor = auditor

    def read(
        self, path: str, *, as_: Member | None = None, client: Any = None, **params: Any
    ) -> Any:
        """GET a log route (receipts, batches, proofs) signed as ``as_`` (default: the
        scenario's auditor), on the gateway's own (possibly moved) clock, through ``client``
        (default: this gateway's test client)."""
        member = as_ or self.auditor
        assert member is not None, "no reader: the scenario's auditor is unknown"
        reader = LogReader(member.code, member.sm2, clock=lambda: self.clock.now_ms() / 1000)
        url = with_query(path, params)
        headers = reader.headers(url, audience=self.gateway.provider)
        return (client or self.client).get(url, headers=headers)

    def query(self, signed: Any) -> Any:
        return self.client.post("/v1/query", content=signed.model_dump_json())

    def sync(self, receipt: Any = None, timeout: float = 10.0) -> None:
        """Wait until the view has processed ``receipt``'s block (default: the head)."""
        w3 = self.gateway.contracts.w3
        block = int(receipt["blockNumber"]) if receipt is not None else int(w3.eth.block_number)
        assert self.gateway.follower.wait_for_block(block, timeout)

    def drain(self, timeout: float = 20.0) -> None:
        """Wait until every receipt is anchored."""
        wait_until(
            lambda: self.gateway.anchorer.backlog() == 0,
            timeout,
            f"backlog anchored ({self.gateway.health()})",
        )


def wait_until(predicate: Any, timeout: float, what: Any) -> None:
    """Poll ``predicate`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.02)


def in_process_gateway(
    sc: Scenario, db_path: Path | None = None, **overrides: Any
) -> Iterator[InProcessGateway]:
    """Run a gateway app in this process (lifespan included) until the generator closes."""
    clock = ManualClock()
    overrides.setdefault("database_url", f"sqlite:///{db_path}")
    settings = gateway_settings(sc, **overrides)
    app = create_app(settings, clock=clock, configure_logs=False)
    with TestClient(app) as client:
        yield InProcessGateway(client, app.state.gateway, clock, sc.auditor)


@pytest.fixture(scope="package")
def gw(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessGateway]:
    """The session's in-process gateway over ``scenario``."""
    yield from in_process_gateway(scenario, tmp_path_factory.mktemp("gw") / "gateway.db")
