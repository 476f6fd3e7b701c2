"""``quancheng topology generate|check``: a Besu QBFT network for a deployment.

``generate`` writes the validators' keys, the QBFT genesis, every node's Besu configuration
with its allowlists, JSON-RPC TLS and start script, the ``*.env`` files of the gateways, the
portal and the clients (TLS settings included) and ``tls-files.md``, the certificates to
provide; ``check`` re-reads such a directory (and, with ``--rpc-url``, a running node) and
says what does not agree.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

topology_app = typer.Typer(
    help="Generate and check a multi-validator Besu QBFT network (docs/deployment.md).",
    no_args_is_help=True,
)


def _spec(options: dict[str, Any]) -> Any:
    """The TopologySpec of the command line (validation errors become TopologyError)."""
    from pydantic import ValidationError

    from quancheng_node.deployment import SEEDED_GENESIS_TIMESTAMP, MembersFile, TopologySpec
    from quancheng_node.deployment.spec import TopologyError

    members = options.pop("members")
    if options["genesis_timestamp"] is None:
        seeded = options["seed"] is not None
        options["genesis_timestamp"] = SEEDED_GENESIS_TIMESTAMP if seeded else int(time.time())
    hosts = options.pop("hosts")
    options["storage"] = options["storage"].upper()
    if options.get("gateway_batch_size") is None:
        options.pop("gateway_batch_size", None)  # the spec's default: the gateway's own
    try:
        return TopologySpec(
            **options,
            hosts=tuple(h.strip() for h in hosts.split(",") if h.strip()),
            members=MembersFile.load(members) if members is not None else None,
        )
    except ValidationError as exc:
        problems = "; ".join(
            str(e["msg"]).removeprefix("Value error, ") for e in exc.errors(include_url=False)
        )
        raise TopologyError(problems) from None


@topology_app.command("generate")
def generate_cmd(
    out: Annotated[Path, typer.Option("--out", help="Directory to write (empty or new).")],
    chain_id: Annotated[int, typer.Option("--chain-id", help="The chain id.")],
    validators: Annotated[int, typer.Option(help="QBFT validators (4 tolerate 1 fault).")] = 4,
    rpc_nodes: Annotated[int, typer.Option(help="Non-validating RPC nodes for gateways.")] = 1,
    block_period_seconds: Annotated[int, typer.Option(help="QBFT block period.")] = 2,
    request_timeout_seconds: Annotated[
        int | None, typer.Option(help="QBFT round timeout (default: twice the block period).")
    ] = None,
    epoch_length: Annotated[int, typer.Option(help="Blocks between vote resets.")] = 30_000,
    gas_limit: Annotated[int, typer.Option(help="Block gas limit.")] = 60_000_000,
    gateway_batch_size: Annotated[
        int | None,
        typer.Option(help="Receipts per anchored batch, QC_GW_BATCH_SIZE (default: 256)."),
    ] = None,
    hardfork: Annotated[
        str, typer.Option(help="EVM at genesis: cancun (older ones cannot run the contracts).")
    ] = ("cancun"),
    storage: Annotated[str, typer.Option(help="Besu data storage: FOREST or BONSAI.")] = "FOREST",
    hosts: Annotated[
        str, typer.Option(help="One host for all nodes, or one per node, comma-separated.")
    ] = "127.0.0.1",
    members: Annotated[
        Path | None, typer.Option(help="members.json: institutions to allowlist and pre-fund.")
    ] = None,
    seed: Annotated[
        str | None, typer.Option(help="Derive keys from this seed (INSECURE: tests, examples).")
    ] = None,
    genesis_timestamp: Annotated[
        int | None, typer.Option(help="Genesis unix time (default: now; fixed with --seed).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace a topology generated there.")] = False,
) -> None:
    """Generate a Besu QBFT network: keys, genesis, node configs, allowlists, env files."""
    from quancheng_node.deployment import generate_topology

    spec = _spec({k: v for k, v in locals().items() if k not in ("out", "force")})
    summary = generate_topology(spec, out, force=force)
    typer.echo(
        f"chain {summary['chain_id']}: {spec.validators} validators (tolerate "
        f"{summary['fault_tolerance']} faulty), {spec.rpc_nodes} RPC node(s) -> {out}"
    )
    for node in summary["nodes"]:
        typer.echo(f"  run-node-{node['index']}.sh  {node['name']:<12} {node['enode']}")
    if seed is not None:
        typer.echo("warning: keys derived from --seed are reproducible by anyone: not for use")
    if members is None:
        typer.echo("warning: no --members: the account allowlist is off, nobody is pre-funded")


@topology_app.command("check")
def check_cmd(
    directory: Annotated[Path, typer.Argument(help="A directory written by `generate`.")],
    rpc_url: Annotated[
        str | None, typer.Option(help="Also check a running node against it.")
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(help="CA bundle (PEM) of the node's certificate, for an https:// --rpc-url."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check a generated topology (and a running node) for consistency; exit 1 on problems."""
    from quancheng_node.deployment import check_live, check_topology

    reports = [("files", check_topology(directory))]
    if rpc_url is not None:
        reports.append((rpc_url, check_live(directory, rpc_url, ca_file=ca_file)))
    if as_json:
        typer.echo(
            json.dumps(
                {name: {"problems": r.problems, "warnings": r.warnings} for name, r in reports},
                indent=2,
            )
        )
    else:
        for name, report in reports:
            typer.echo(f"{name}: {'ok' if report.ok else 'PROBLEMS'}")
            for line in report.problems:
                typer.echo(f"  problem: {line}")
            for line in report.warnings:
                typer.echo(f"  warning: {line}")
    if not all(r.ok for _, r in reports):
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add ``quancheng topology`` to the CLI."""
    app.add_typer(topology_app, name="topology")
