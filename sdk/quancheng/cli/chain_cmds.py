"""``quancheng chain up|down|status`` and ``quancheng deploy``: the local chain's lifecycle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

chain_app = typer.Typer(help="Start, stop and inspect the local EVM node.", no_args_is_help=True)

PortOpt = Annotated[int | None, typer.Option("--port", help="JSON-RPC port (QC_NODE_PORT).")]
StateOpt = Annotated[
    Path | None, typer.Option("--state-dir", help="Where the chain's journal lives (QC_NODE_STATE_DIR).")
]


def _node(port: int | None, state_dir: Path | None):  # type: ignore[no-untyped-def]
    from quancheng_node.config import NodeSettings
    from quancheng_node.process import HardhatNode

    overrides: dict[str, object] = {}
    if port is not None:
        overrides["port"] = port
    if state_dir is not None:
        overrides["state_dir"] = state_dir
    return HardhatNode(NodeSettings(**overrides))  # type: ignore[arg-type]


@chain_app.command("up")
def chain_up(port: PortOpt = None, state_dir: StateOpt = None) -> None:
    """Start the local node (replaying its journal) and return once it answers."""
    node = _node(port, state_dir)
    if node.is_running:
        typer.echo(f"already running at {node.rpc_url} (pid {node.pid})")
        return
    node.start()
    status = node.status()
    typer.echo(
        f"chain up at {node.rpc_url} (pid {status['pid']}, chain id {status['chain_id']}, "
        f"block {status['block_number']}); log: {node.log_file}"
    )


@chain_app.command("down")
def chain_down(port: PortOpt = None, state_dir: StateOpt = None) -> None:
    """Stop the local node; its state stays in the journal."""
    node = _node(port, state_dir)
    if node.pid is None:
        typer.echo("not running")
        return
    node.stop()
    typer.echo("chain down")


@chain_app.command("status")
def chain_status(
    port: PortOpt = None,
    state_dir: StateOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show whether the node runs, its chain id, head block and journal size."""
    status = _node(port, state_dir).status()
    if as_json:
        typer.echo(json.dumps(status, indent=2))
    else:
        for key, value in status.items():
            typer.echo(f"{key:>14}: {value}")
    if not status["running"]:
        raise typer.Exit(code=3)


def register(app: typer.Typer) -> None:
    """Add the chain commands to the ``quancheng`` CLI."""
    app.add_typer(chain_app, name="chain")
