"""``QC_TEST_BLOCK_TIME_S`` picks the block time of the nodes the suite starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from quancheng.errors import ConfigError
from quancheng_node.process import HardhatNode
from tests.conftest import start_node
from tests.utils.blocktime import (
    ENV_VAR,
    NODE_ENV_VAR,
    TestBlockTimeRefused,
    node_env,
    suite_block_time_s,
)


@pytest.fixture
def no_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nodes are configured but not started (the settings are what is checked)."""
    monkeypatch.setattr(HardhatNode, "start", lambda self: None)


def test_unset_or_empty_means_instant_mining(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert suite_block_time_s() == 0.0
    monkeypatch.setenv(ENV_VAR, " ")
    assert suite_block_time_s() == 0.0


def test_seconds_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "2")
    assert suite_block_time_s() == 2.0
    monkeypatch.setenv(ENV_VAR, "0.5")
    assert suite_block_time_s() == 0.5


@pytest.mark.parametrize("value", ["two", "-1", "nan", "inf", "3601"])
def test_a_value_the_node_would_refuse_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(ENV_VAR, value)
    with pytest.raises(TestBlockTimeRefused) as caught:
        suite_block_time_s()
    assert isinstance(caught.value, ConfigError)
    assert caught.value.code == "TEST_BLOCK_TIME_REFUSED"
    assert caught.value.value == value
    assert f"{ENV_VAR}={value!r}" in str(caught.value) and f"{ENV_VAR}=2" in str(caught.value)


def test_started_nodes_seal_at_the_suite_block_time_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_start: None
) -> None:
    monkeypatch.setenv(ENV_VAR, "2")
    assert start_node(tmp_path / "a").settings.block_time_s == 2.0
    assert start_node(tmp_path / "b", block_time_s=0).settings.block_time_s == 0.0
    monkeypatch.delenv(ENV_VAR)
    assert start_node(tmp_path / "c").settings.block_time_s == 0.0


def test_a_subprocess_environment_gets_the_nodes_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_VAR, "2")
    assert node_env({"PATH": "/bin"}) == {"PATH": "/bin", NODE_ENV_VAR: "2"}
    assert node_env({NODE_ENV_VAR: "5"}) == {NODE_ENV_VAR: "5"}  # an explicit one is kept
    monkeypatch.delenv(ENV_VAR)
    assert node_env({"PATH": "/bin"}) == {"PATH": "/bin"}
