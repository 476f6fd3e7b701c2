"""Fixtures shared by the whole suite: a real local EVM node, started and stopped here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode
from tests.packaging.sdk_venv import SdkVenv
from tests.utils.blocktime import ENV_VAR, suite_block_time_s
from tests.utils.ports import free_port


@dataclass
class RunningNode:
    """A started node as tests see it."""

    node: HardhatNode
    rpc_url: str
    dev_private_keys: list[str]


def start_node(state_dir: Path, **overrides: object) -> HardhatNode:
    """Start a journaled node on a free port with its state in ``state_dir``.

    It seals at the suite's block time (``QC_TEST_BLOCK_TIME_S``, instant by default) unless
    ``block_time_s`` is given.
    """
    overrides.setdefault("block_time_s", suite_block_time_s())
    settings = NodeSettings(port=free_port(), state_dir=state_dir, **overrides)  # type: ignore[arg-type]
    node = HardhatNode(settings)
    node.start()
    return node


def pytest_report_header() -> str:
    """Say in the header how the nodes of this run mine."""
    seconds = suite_block_time_s()
    mining = f"a block every {seconds:g} s" if seconds else "instant (each transaction at once)"
    return f"chain nodes: {mining} ({ENV_VAR})"


@pytest.fixture(scope="session", autouse=True)
def evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Consumer clients keep their receipts by default: here, not in the home directory."""
    directory = tmp_path_factory.mktemp("consumer-evidence")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QC_EVIDENCE_DIR", str(directory))
        yield directory


def running_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    """A started node for a fixture's scope, stopped at its end."""
    node = start_node(tmp_path_factory.mktemp("chain"))
    try:
        yield RunningNode(node, node.rpc_url, node.dev_private_keys(20))
    finally:
        node.stop()


@pytest.fixture(scope="session")
def chain_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    """One node for the whole session (state persists between tests: use fresh ids).

    The packages that load a node most (see :func:`own_chain_node`) have one of their own.
    """
    yield from running_node(tmp_path_factory)


def own_chain_node() -> Any:
    """A ``chain_node`` fixture of the package whose conftest assigns it (``chain_node =
    own_chain_node()``), stopped after that package's last test.

    A node's memory grows with the heavy calls it served (README, "The local node keeps its
    state"): a session's node grew past 5 GiB over the whole suite, so the packages that call
    the on-chain SM2 verifier most each start from a fresh node.
    """

    @pytest.fixture(scope="package", name="chain_node")
    def chain_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
        yield from running_node(tmp_path_factory)

    return chain_node


@pytest.fixture(scope="session")
def sdk_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SdkVenv]:
    """A venv outside the repository with ``pip install sdk/`` alone done in it (registry
    network, constraints.txt pins): one per session, shared by tests/packaging and the
    sandbox's documented example."""
    yield SdkVenv.create(tmp_path_factory.mktemp("sdk-alone"))
