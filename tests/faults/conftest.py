"""Fixtures of the fault scenarios: a scenario per test, a PostgreSQL server to restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gateway.conftest import FUNDER_INDEX
from tests.utils.postgres import PostgresServer, postgres_server
from tests.utils.scenario import Scenario, build_scenario


@pytest.fixture
def sc(chain_node: Any, tmp_path: Path) -> Scenario:
    """A deployment of its own on the session's node (the provider's log starts empty)."""
    return build_scenario(chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], tmp_path)


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresServer]:
    """A PostgreSQL server the fault tests stop and start (each leaves it running)."""
    with postgres_server() as server:
        yield server
