"""``quancheng deploy``: the contracts and their founding committee, recorded in a manifest.

By default it targets the node ``quancheng chain up`` started (see :mod:`.chain_cmds`) and
writes ``var/manifest.json``, the manifest the gateways and the portal read by default.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quancheng_cli.chain_cmds import PortOpt, node_settings
from quancheng_cli.errors import ChainNotRunning
from quancheng_cli.workspace import (
    DEFAULT_KEYS_DIR,
    DEFAULT_MANIFEST,
    absolute,
    adopt_legacy_manifest,
)

if TYPE_CHECKING:
    from quancheng_node.deploy import FoundingMember


def _founding_from_file(path: Path) -> tuple[list[FoundingMember], int, int]:
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
        return members, int(spec["threshold"]), int(spec.get("voting_period", 7 * 86400))
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: not a valid committee file ({exc})") from exc


def _local_founders(keys_dir: Path) -> tuple[list[FoundingMember], int, int, str]:
    """The local development consortium's committee and deployer key (made on first use)."""
    from quancheng_node.deploy import FoundingMember
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
    return members, THRESHOLD, VOTING_PERIOD, "0x" + bytes(local.deployer.key).hex()


def _check_reachable(rpc_url: str, *, given: bool) -> None:
    """Raise :class:`ChainNotRunning` unless a node answers JSON-RPC at ``rpc_url``."""
    from quancheng.chain import make_web3

    if not make_web3(rpc_url, timeout=5.0).is_connected():
        raise ChainNotRunning(rpc_url, given=given)


def deploy_cmd(
    port: PortOpt = None,
    rpc_url: Annotated[
        str | None,
        typer.Option(help="JSON-RPC URL (default: the node `quancheng chain up` started)."),
    ] = None,
    manifest: Annotated[
        Path, typer.Option(help="Where to write the manifest (the gateways and portal read it).")
    ] = DEFAULT_MANIFEST,
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
    keys_dir: Annotated[
        Path, typer.Option(help="Local consortium keys (made on first use).")
    ] = DEFAULT_KEYS_DIR,
    force: Annotated[
        bool, typer.Option(help="Replace a manifest of a different deployment.")
    ] = False,
) -> None:
    """Deploy the contracts with their founding committee and write the manifest."""
    from quancheng.errors import ConfigError
    from quancheng_node.deploy import deploy

    url = rpc_url or node_settings(port, None).rpc_url
    _check_reachable(url, given=rpc_url is not None)
    if manifest == DEFAULT_MANIFEST:
        adopt_legacy_manifest(lambda note: typer.echo(f"note: {note}", err=True))
    manifest = absolute(manifest)
    if committee is not None:
        members, threshold, voting_period = _founding_from_file(absolute(committee))
        deployer_key = os.environ.get(deployer_key_env)
        if not deployer_key:
            raise ConfigError(
                f"environment variable {deployer_key_env} is not set: set it to the deployer's "
                "private key (or name another with --deployer-key-env)"
            )
    else:
        members, threshold, voting_period, deployer_key = _local_founders(absolute(keys_dir))
    result = deploy(
        url, deployer_key, members, threshold, voting_period, manifest_path=manifest, force=force
    )
    typer.echo(f"deployed on chain {result.chain_id} at {url}; manifest: {manifest}")
    for name, record in result.contracts.items():
        typer.echo(f"  {name:<20} {record.address}  (block {record.block_number})")


def register(app: typer.Typer) -> None:
    """Add ``deploy`` to the ``quancheng`` command."""
    app.command("deploy")(deploy_cmd)
