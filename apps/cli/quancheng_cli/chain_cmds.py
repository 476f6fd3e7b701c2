"""``quancheng chain up|down|status`` and ``quancheng build``: the local chain's lifecycle.

``chain up`` records the node it started (``var/node.json``, see :mod:`.workspace`); ``chain
status``, ``chain down``, ``deploy`` and the next ``chain up``, given neither ``--port`` nor
``--state-dir`` (nor ``QC_NODE_PORT`` / ``QC_NODE_STATE_DIR``), target that node again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quancheng_cli.workspace import NodeRecord, absolute, recorded_node

if TYPE_CHECKING:
    from quancheng_node.config import NodeSettings
    from quancheng_node.process import HardhatNode

chain_app = typer.Typer(help="Start, stop and inspect the local EVM node.", no_args_is_help=True)

PortOpt = Annotated[
    int | None,
    typer.Option(
        "--port",
        help="JSON-RPC port (QC_NODE_PORT; default: the node `chain up` started, else 8545).",
    ),
]
StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="The chain's state directory, relative to the working directory "
        "(QC_NODE_STATE_DIR; default: the node `chain up` started, else var/chain).",
    ),
]

_NODE_ENV = ("QC_NODE_PORT", "QC_NODE_STATE_DIR")


def node_settings(port: int | None, state_dir: Path | None) -> NodeSettings:
    """The settings of the node a command means.

    Options first, then ``QC_NODE_*``; with neither, the node ``chain up`` recorded, else the
    defaults. The state directory is made absolute against the working directory: the node
    runs in hardhat-network/, where a relative path would start an empty chain elsewhere.
    """
    from quancheng_node.config import NodeSettings

    overrides: dict[str, object] = {}
    if port is not None:
        overrides["port"] = port
    if state_dir is not None:
        overrides["state_dir"] = state_dir
    record = recorded_node()
    if not overrides and not any(os.environ.get(name) for name in _NODE_ENV) and record:
        overrides = {"port": record.port, "state_dir": record.state_dir}
    settings = NodeSettings(**overrides)  # type: ignore[arg-type]
    return settings.model_copy(update={"state_dir": absolute(settings.state_dir)})


def _node(port: int | None, state_dir: Path | None) -> HardhatNode:
    from quancheng_node.process import HardhatNode

    return HardhatNode(node_settings(port, state_dir))


@chain_app.command("up")
def chain_up(port: PortOpt = None, state_dir: StateOpt = None) -> None:
    """Start the local node (replaying its journal) and return once it answers."""
    node = _node(port, state_dir)
    if not node.is_running:
        node.start()
        message = "chain up at"
    else:
        message = "already running at"
    NodeRecord(rpc_url=node.rpc_url, port=node.settings.port, state_dir=node.state_dir).save()
    status = node.status()
    typer.echo(
        f"{message} {node.rpc_url} (pid {status['pid']}, chain id {status['chain_id']}, "
        f"block {status['block_number']}); state: {node.state_dir}; log: {node.log_file}"
    )


@chain_app.command("down")
def chain_down(port: PortOpt = None, state_dir: StateOpt = None) -> None:
    """Stop the local node; its state stays in its state directory."""
    node = _node(port, state_dir)
    if node.pid is None:
        typer.echo(f"not running (state: {node.state_dir})")
        return
    node.stop()
    typer.echo(f"chain down (state kept in {node.state_dir})")


@chain_app.command("status")
def chain_status(
    port: PortOpt = None,
    state_dir: StateOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show whether the node runs, its chain id, head block and journal size (exit 3: down)."""
    status = _node(port, state_dir).status()
    if as_json:
        typer.echo(json.dumps(status, indent=2))
    else:
        for key, value in status.items():
            typer.echo(f"{key:>14}: {value}")
    if not status["running"]:
        if not as_json:
            typer.echo("not running: start it with `quancheng chain up`", err=True)
        raise typer.Exit(code=3)


def build_cmd(
    check: Annotated[
        bool, typer.Option(help="Fail if contracts/build does not match the sources.")
    ] = False,
) -> None:
    """Compile the contracts offline into contracts/build (or check they are up to date)."""
    from quancheng_node.compile import build

    artifacts = build(check=check)
    verb = "up to date" if check else "written"
    typer.echo(
        f"contracts/build {verb}: {len(artifacts.contracts)} contracts, "
        f"solc {artifacts.compiler_version}"
    )


def register(app: typer.Typer) -> None:
    """Add ``chain`` and ``build`` to the ``quancheng`` command."""
    app.add_typer(chain_app, name="chain")
    app.command("build")(build_cmd)
