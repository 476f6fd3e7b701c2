"""``quancheng chain up|down|status`` and ``quancheng deploy``: the local chain's lifecycle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

chain_app = typer.Typer(help="Start, stop and inspect the local EVM node.", no_args_is_help=True)

PortOpt = Annotated[int | None, typer.Option("--port", help="JSON-RPC port (QC_NODE_PORT).")]
StateOpt = Annotated[
    Path | None,
    typer.Option("--state-dir", help="Where the chain's journal lives (QC_NODE_STATE_DIR)."),
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


def _var() -> Path:
    from quancheng_node.config import PROJECT_ROOT

    return PROJECT_ROOT / "var"


DEFAULT_MANIFEST = _var() / "deployment.json"


def _founding_from_file(path: Path) -> tuple[list[object], int, int]:
    """Founding committee from a JSON file: threshold, voting_period, members with PEM keys."""
    from quancheng.crypto import SM2PublicKey
    from quancheng.errors import ConfigError
    from quancheng_node.deploy import FoundingMember

    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
        members = [
            FoundingMember(
                id=m["id"],
                name=m["name"],
                account=m["account"],
                sm2_public_key=SM2PublicKey.from_pem(
                    (path.parent / m["sm2_public_key_pem"]).read_bytes()
                ).to_bytes(),
            )
            for m in spec["members"]
        ]
        return list(members), int(spec["threshold"]), int(spec.get("voting_period", 7 * 86400))
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: not a valid committee file ({exc})") from exc


@chain_app.command("deploy")
def deploy_cmd(
    port: PortOpt = None,
    rpc_url: Annotated[
        str | None, typer.Option(help="JSON-RPC URL (default: the local node).")
    ] = None,
    manifest: Annotated[Path, typer.Option(help="Where to write the manifest.")] = DEFAULT_MANIFEST,
    committee: Annotated[
        Path | None,
        typer.Option(
            help="JSON file of the founding committee; default: the local dev consortium."
        ),
    ] = None,
    deployer_key_env: Annotated[
        str,
        typer.Option(help="Environment variable holding the deployer's key (with --committee)."),
    ] = "QC_DEPLOYER_KEY",
    keys_dir: Annotated[Path, typer.Option(help="Local consortium keys.")] = Path("var")
    / "consortium",
    force: Annotated[
        bool, typer.Option(help="Replace a manifest of a different deployment.")
    ] = False,
) -> None:
    """Deploy the contracts with their founding committee and write the manifest."""
    import os

    from quancheng.errors import ConfigError
    from quancheng_node.config import NodeSettings
    from quancheng_node.deploy import FoundingMember, deploy

    url = rpc_url or (NodeSettings(port=port) if port else NodeSettings()).rpc_url
    if committee is not None:
        members, threshold, voting_period = _founding_from_file(committee)
        deployer_key = os.environ.get(deployer_key_env)
        if not deployer_key:
            raise ConfigError(f"set {deployer_key_env} to the deployer's private key")
    else:
        from quancheng_node.localnet import THRESHOLD, VOTING_PERIOD, LocalConsortium

        local = LocalConsortium(keys_dir)
        members = [
            FoundingMember(
                id=i.code,
                name=i.name,
                account=i.account.address,
                sm2_public_key=i.sm2.public_key().to_bytes(),
            )
            for i in local.committee
        ]
        threshold, voting_period = THRESHOLD, VOTING_PERIOD
        deployer_key = "0x" + bytes(local.deployer.key).hex()
    result = deploy(
        url,
        deployer_key,
        members,  # type: ignore[arg-type]
        threshold,
        voting_period,
        manifest_path=manifest,
        force=force,
    )
    typer.echo(f"deployed on chain {result.chain_id}; manifest: {manifest}")
    for name, record in result.contracts.items():
        typer.echo(f"  {name:<20} {record.address}  (block {record.block_number})")


@chain_app.command("build")
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
    """Add the chain commands to the ``quancheng`` CLI."""
    app.add_typer(chain_app, name="chain")
    app.command("deploy")(deploy_cmd)
    app.command("build")(build_cmd)
