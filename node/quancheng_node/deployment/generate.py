"""Write a complete Besu QBFT network and our side's settings into one directory.

Layout (``OUT``)::

    topology.json                 what was generated (no secrets): nodes, enodes, validators
    genesis.json                  the QBFT genesis (validators in extraData, free gas)
    permissions_config.toml       node and account allowlists (copied into every node)
    run-node-N.sh                 cd nodes/<name> && exec besu --config-file=config.toml
    nodes/<name>/                 self-contained: copy it to the machine that runs the node
        config.toml  genesis.json  permissions_config.toml  static-nodes.json
        key (0600)  key.pub  address
        tls/rpc.p12  tls/rpc.password      the RPC keystore: the operator provides it
    env/                          gateway.<code>.env, portal.env, client.<code>.env,
                                  deployer.env, localnode.env
    tls-files.md                  the TLS files the operators provide, and where
"""

from __future__ import annotations

import json
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quancheng_gateway.gas import anchor_gas_bound
from quancheng_node.deployment import besu, ourside
from quancheng_node.deployment.keys import write_private
from quancheng_node.deployment.qbft import qbft_genesis
from quancheng_node.deployment.spec import NodePlan, TopologyError, TopologySpec, plan_nodes
from quancheng_node.deployment.tlsfiles import TLS_NOTES_FILE, tls_notes

__all__ = ["FORMAT", "generate_topology", "topology_summary"]

FORMAT = "quancheng-topology/1"


def topology_summary(spec: TopologySpec, nodes: Sequence[NodePlan]) -> dict[str, Any]:
    """``topology.json``: everything another tool needs to know, and no secret."""
    return {
        "format": FORMAT,
        "chain_id": spec.chain_id,
        "gas_limit": spec.gas_limit,
        # The largest transaction a gateway sends, which every block must be able to hold.
        "gateway_batch_size": spec.gateway_batch_size,
        "anchor_gas_bound": anchor_gas_bound(spec.gateway_batch_size),
        "hardfork": spec.hardfork,
        "block_period_seconds": spec.block_period_seconds,
        "request_timeout_seconds": spec.request_timeout,
        "epoch_length": spec.epoch_length,
        "storage": spec.storage,
        "fault_tolerance": spec.fault_tolerance,
        "minimum_besu": besu.MINIMUM_BESU,
        # Seeded keys are reproducible by anyone who has the seed: examples and tests only.
        "insecure_seeded_keys": spec.seed is not None,
        "validators": sorted((n.key.address for n in nodes if n.validator), key=str.lower),
        "nodes": [
            {
                "index": n.index,
                "name": n.name,
                "validator": n.validator,
                "host": n.host,
                "p2p_port": n.p2p_port,
                "rpc_http_port": n.rpc_http_port,
                "rpc_ws_port": n.rpc_ws_port,
                "metrics_port": n.metrics_port,
                "serves_clients": n.serves_clients,
                "rpc_url": n.http_url(),
                "ws_url": n.ws_url(),
                "address": n.key.address,
                "enode": n.enode,
            }
            for n in nodes
        ],
        "members": spec.members.model_dump(mode="json") if spec.members else None,
    }


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _alloc(spec: TopologySpec) -> dict[str, int]:
    if spec.members is None:
        return {}
    return dict.fromkeys(spec.members.accounts(), spec.prefund_wei)


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise TopologyError(f"{out} is not empty; choose another --out or pass --force")
        if not (out / "topology.json").exists():
            raise TopologyError(f"{out} is not a generated topology: refusing to overwrite it")
        _clear(out)
    out.mkdir(parents=True, exist_ok=True)


def _clear(out: Path) -> None:
    for path in sorted(out.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()


def _write_node(
    out: Path, spec: TopologySpec, node: NodePlan, nodes: Sequence[NodePlan], shared: dict[str, str]
) -> None:
    home = out / "nodes" / node.name
    home.mkdir(parents=True, exist_ok=True)
    for name, text in shared.items():
        _write(home / name, text)
    _write(home / "config.toml", besu.node_config(spec, node, nodes))
    _write(home / besu.STATIC_NODES_FILE, besu.static_nodes(node, nodes))
    _write(home / "key.pub", node.key.public_hex() + "\n")
    _write(home / "address", node.key.address + "\n")
    write_private(home / "key", node.key.private_hex() + "\n")
    script = out / f"run-node-{node.index}.sh"
    _write(script, besu.run_script(spec, node), 0o755)
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def generate_topology(spec: TopologySpec, out: Path, *, force: bool = False) -> dict[str, Any]:
    """Generate the network of ``spec`` into ``out`` and return its ``topology.json``.

    Args:
        spec: The network (validators, RPC nodes, chain id, block period, gas limit, ...).
        out: The directory to write; it must be empty or missing unless ``force``.
        force: Replace a previously generated topology in ``out`` (never another directory).

    Raises:
        TopologyError: ``out`` holds something else, or the spec is inconsistent.
    """
    _prepare(out, force)
    nodes = plan_nodes(spec)
    validators = [n.key.address for n in nodes if n.validator]
    genesis = json.dumps(qbft_genesis(spec, validators, _alloc(spec)), indent=2) + "\n"
    shared = {
        "genesis.json": genesis,
        besu.PERMISSIONS_FILE: besu.permissions_config(spec, nodes),
    }
    for name, text in shared.items():
        _write(out / name, text)
    for node in nodes:
        _write_node(out, spec, node, nodes, shared)
    for name, text in ourside.env_files(spec, nodes).items():
        _write(out / "env" / name, text, 0o640)
    _write(out / TLS_NOTES_FILE, tls_notes(spec, nodes))
    summary = topology_summary(spec, nodes)
    _write(out / "topology.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary
