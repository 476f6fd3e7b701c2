"""The CLI's defaults: which node a command means, one manifest default, one help language."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup, TyperOption

from quancheng_cli.chain_cmds import node_settings
from quancheng_cli.main import app
from quancheng_cli.workspace import DEFAULT_MANIFEST, NodeRecord, absolute
from quancheng_gateway.core.config import GatewaySettings
from quancheng_portal.core.config import PortalSettings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory, without the node's environment variables."""
    monkeypatch.chdir(tmp_path)
    for name in ("QC_NODE_PORT", "QC_NODE_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_one_manifest_default_for_the_cli_the_gateways_and_the_portal() -> None:
    assert Path("var/manifest.json") == DEFAULT_MANIFEST
    assert GatewaySettings.model_fields["manifest_path"].default == DEFAULT_MANIFEST
    assert PortalSettings.model_fields["manifest_path"].default == DEFAULT_MANIFEST


def test_a_relative_state_dir_is_taken_against_the_working_directory(workdir: Path) -> None:
    assert node_settings(None, Path("var/x")).state_dir == workdir / "var" / "x"
    assert node_settings(None, Path("../y")).state_dir == workdir.parent / "y"


def test_a_relative_state_dir_from_the_environment_too(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QC_NODE_STATE_DIR", "var/from-env")
    assert node_settings(None, None).state_dir == workdir / "var" / "from-env"


def test_without_options_the_node_chain_up_recorded_is_meant(workdir: Path) -> None:
    NodeRecord(rpc_url="http://127.0.0.1:18999", port=18999, state_dir=workdir / "s").save()
    settings = node_settings(None, None)
    assert (settings.port, settings.state_dir) == (18999, workdir / "s")
    assert settings.rpc_url == "http://127.0.0.1:18999"


def test_an_option_or_the_environment_overrides_the_record(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    NodeRecord(rpc_url="http://127.0.0.1:18999", port=18999, state_dir=workdir / "s").save()
    given = node_settings(18500, None)
    assert (given.port, given.state_dir.name) == (18500, "chain")  # the default state dir
    monkeypatch.setenv("QC_NODE_PORT", "18600")
    assert node_settings(None, None).port == 18600


def test_an_unreadable_record_is_ignored(workdir: Path) -> None:
    (workdir / "var").mkdir()
    (workdir / "var" / "node.json").write_text("{not json")
    assert node_settings(None, None).port == 8545


def test_absolute_expands_the_home_directory(workdir: Path) -> None:
    assert absolute(Path("~/k")) == Path.home() / "k"
    assert absolute(Path("a/../b")) == workdir / "b"


def _commands(group: TyperGroup, prefix: str = "quancheng") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, TyperGroup):
            found += _commands(command, path)
    return found


_CJK = re.compile(r"[\u3400-\u9fff]")


def test_every_command_and_option_has_help_in_english() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    commands = _commands(root)
    assert len(commands) >= 20  # keys new, chain up, topology check, receipt verify, ...
    for path, command in commands:
        assert command.help or command.short_help, f"{path} has no help"
        assert not _CJK.search(command.help or ""), f"{path}: help not in English"
        for param in command.params:
            if isinstance(param, TyperOption):
                assert param.help, f"{path} {param.opts[0]} has no help"
                assert not _CJK.search(param.help), f"{path} {param.opts[0]}: not in English"
    # The only Chinese in the root help is the project's name.
    assert _CJK.sub("", root.help or "").startswith(" (Quancheng Chain)")
