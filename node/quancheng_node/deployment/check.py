"""Check a generated topology: on disk (offline), and against a running node (live).

Offline, every file is parsed (TOML, JSON, env) and cross-checked: the validators in
``extraData`` are the validator nodes' addresses, every key file gives its node's enode,
the allowlists name every node and member, chain id and gas limit agree everywhere, the
local node's env has the network's block period and EVM, and the block gas limit holds the
anchor of a full gateway batch.
Live, a node's JSON-RPC must report the same chain id, gas limit and validators. Files are
edited by hand on site; this is what catches a node that would fork or never peer, and a
service that would refuse to start or talk to the chain in the clear (no TLS setting).
"""

from __future__ import annotations

import json
import re
import ssl
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quancheng_gateway.gas import GATEWAY_BATCH_SIZE, anchor_gas_bound
from quancheng_node.deployment.keys import NodeKey
from quancheng_node.deployment.ourside import CHANGE_ME
from quancheng_node.deployment.qbft import decode_qbft_extra_data, milestones
from quancheng_node.deployment.spec import TopologyError
from quancheng_node.deployment.tlsfiles import (
    RPC_KEYSTORE,
    RPC_KEYSTORE_PASSWORD,
    TLS_NOTES_FILE,
    required_settings,
)

__all__ = ["CheckReport", "check_live", "check_topology", "read_env"]


@dataclass
class CheckReport:
    """What a check found: problems make a topology unusable, warnings need a decision."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)


def read_env(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of an env file (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            if not sep:
                raise TopologyError(f"{path}: not KEY=VALUE: {line!r}")
            values[key.strip()] = value.strip()
    return values


def _load(out: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    try:
        topo = json.loads((out / "topology.json").read_text(encoding="utf-8"))
        genesis = json.loads((out / "genesis.json").read_text(encoding="utf-8"))
        perms = tomllib.loads((out / "permissions_config.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TopologyError(f"{out}: not a generated topology ({exc})") from exc
    return topo, genesis, perms


def check_topology(out: Path) -> CheckReport:
    """Check the generated directory ``out`` offline.

    Raises:
        TopologyError: ``out`` is not a generated topology at all.
    """
    topo, genesis, perms = _load(out)
    report = CheckReport()
    _check_genesis(report, topo, genesis)
    _check_permissions(report, topo, genesis, perms)
    for node in topo["nodes"]:
        _check_node(report, out, topo, node)
    _check_env(report, out, topo)
    return report


def _check_genesis(report: CheckReport, topo: dict[str, Any], genesis: dict[str, Any]) -> None:
    config = genesis["config"]
    report.expect(config["chainId"] == topo["chain_id"], "genesis chainId differs from topology")
    report.expect(int(genesis["gasLimit"], 16) == topo["gas_limit"], "genesis gasLimit differs")
    report.expect(config.get("zeroBaseFee") is True, "genesis must set zeroBaseFee (free gas)")
    for fork, block in milestones(topo["hardfork"]).items():
        report.expect(config.get(fork) == block, f"genesis {fork} must be {block}")
    qbft = config["qbft"]
    report.expect(
        qbft["blockperiodseconds"] == topo["block_period_seconds"], "genesis block period differs"
    )
    try:
        validators = decode_qbft_extra_data(genesis["extraData"])
    except TopologyError as exc:
        report.problems.append(f"genesis extraData: {exc}")
        return
    report.expect(validators == topo["validators"], "extraData validators differ from topology")
    named = sorted((n["address"] for n in topo["nodes"] if n["validator"]), key=str.lower)
    report.expect(validators == named, "extraData validators are not the validator nodes")


def _check_permissions(
    report: CheckReport, topo: dict[str, Any], genesis: dict[str, Any], perms: dict[str, Any]
) -> None:
    enodes = {n["enode"] for n in topo["nodes"]}
    report.expect(set(perms.get("nodes-allowlist", [])) == enodes, "nodes-allowlist != nodes")
    members = topo.get("members")
    if not members:
        report.warnings.append("no members: the account allowlist is off and nobody is funded")
        return
    accounts = {m["account"].lower() for m in members["members"]}
    if members.get("deployer"):
        accounts.add(members["deployer"].lower())
    listed = {a.lower() for a in perms.get("accounts-allowlist", [])}
    report.expect(listed == accounts, "accounts-allowlist != deployer + members")
    funded = {"0x" + a.lower().removeprefix("0x") for a in genesis["alloc"]}
    report.expect(accounts <= funded, "a member account is not pre-funded in the genesis")


def _check_node(report: CheckReport, out: Path, topo: dict[str, Any], node: dict[str, Any]) -> None:
    home, name = out / "nodes" / node["name"], node["name"]
    try:
        config = tomllib.loads((home / "config.toml").read_text(encoding="utf-8"))
        key = NodeKey.from_hex((home / "key").read_text(encoding="ascii"))
        statics = set(json.loads((home / "static-nodes.json").read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        report.problems.append(f"{name}: {exc}")
        return
    report.expect(key.address == node["address"], f"{name}: key does not give its address")
    report.expect(key.enode_url(node["host"], node["p2p_port"]) == node["enode"], f"{name}: enode")
    report.expect((home / "key").stat().st_mode & 0o077 == 0, f"{name}: key must be mode 0600")
    for shared in ("genesis.json", "permissions_config.toml"):
        same = (home / shared).read_bytes() == (out / shared).read_bytes()
        report.expect(same, f"{name}: {shared} differs from the network's")
    expected = {
        "p2p-host": node["host"],
        "p2p-port": node["p2p_port"],
        "rpc-http-port": node["rpc_http_port"],
        "rpc-ws-port": node["rpc_ws_port"],
        "min-gas-price": 0,
        "sync-mode": "FULL",
        "genesis-file": "genesis.json",
    }
    for option, value in expected.items():
        report.expect(config.get(option) == value, f"{name}: {option} must be {value!r}")
    if node["serves_clients"]:
        _check_rpc_tls(report, home, name, config)
    allowed = {n["enode"] for n in topo["nodes"]}
    report.expect(set(config.get("bootnodes", [])) <= allowed, f"{name}: a bootnode is not allowed")
    report.expect(statics == allowed - {node["enode"]}, f"{name}: static nodes != the other nodes")
    script = out / f"run-node-{node['index']}.sh"
    report.expect(script.exists() and script.stat().st_mode & 0o111 != 0, f"{script.name}: +x")


def _check_rpc_tls(report: CheckReport, home: Path, name: str, config: dict[str, Any]) -> None:
    """A node serving clients speaks JSON-RPC over TLS only, HTTP and WebSocket alike."""
    expected = {
        "rpc-http-tls-enabled": True,
        "rpc-http-tls-keystore-file": RPC_KEYSTORE,
        "rpc-http-tls-keystore-password-file": RPC_KEYSTORE_PASSWORD,
        "rpc-ws-ssl-enabled": True,
        "rpc-ws-ssl-keystore-type": "PKCS12",
        "rpc-ws-ssl-keystore-file": RPC_KEYSTORE,
        "rpc-ws-ssl-keystore-password-file": RPC_KEYSTORE_PASSWORD,
    }
    for option, value in expected.items():
        report.expect(config.get(option) == value, f"{name}: {option} must be {value!r}")
    absent = [f for f in (RPC_KEYSTORE, RPC_KEYSTORE_PASSWORD) if not (home / f).is_file()]
    if absent:
        report.warnings.append(
            f"{name}: provide {' and '.join(absent)} before starting it ({TLS_NOTES_FILE})"
        )


def _check_env(report: CheckReport, out: Path, topo: dict[str, Any]) -> None:
    urls = {n["rpc_url"] for n in topo["nodes"] if n["serves_clients"]}
    urls |= {n["ws_url"] for n in topo["nodes"] if n["serves_clients"]}
    header = re.compile(rf"chain {topo['chain_id']}: .*block gas limit {topo['gas_limit']}\b")
    for path in sorted((out / "env").glob("*.env")):
        text, env = path.read_text(encoding="utf-8"), read_env(path)
        report.expect(bool(header.search(text)), f"{path.name}: chain id or gas limit differs")
        for key in ("QC_GW_RPC_URL", "QC_GW_WS_URL", "QC_PORTAL_RPC_URL"):
            if key in env:
                report.expect(env[key] in urls, f"{path.name}: {key} is not a client RPC node")
                secure = env[key].startswith(("https://", "wss://"))
                report.expect(secure, f"{path.name}: {key} must be https:// or wss://")
        unset = [k for k in required_settings(path.name) if not env.get(k)]
        report.expect(not unset, f"{path.name}: TLS settings missing: {', '.join(unset)}")
        todo = sorted(k for k, v in env.items() if CHANGE_ME in v)
        if todo:
            report.warnings.append(f"{path.name}: fill in {', '.join(todo)}")
        if path.name.startswith("gateway."):
            _check_batch(report, path.name, env, topo["gas_limit"])
    _check_localnode(report, read_env(out / "env" / "localnode.env"), topo)


def _check_batch(report: CheckReport, name: str, env: dict[str, str], gas_limit: int) -> None:
    """A gateway's full batch is one anchorWithUses: the block gas limit must hold it."""
    raw = env.get("QC_GW_BATCH_SIZE", str(GATEWAY_BATCH_SIZE))
    if not raw.isdigit() or int(raw) < 1:
        report.problems.append(f"{name}: QC_GW_BATCH_SIZE={raw!r} is not a positive integer")
        return
    need = anchor_gas_bound(int(raw))
    report.expect(
        need <= gas_limit,
        f"{name}: a batch of {raw} receipts needs up to {need:,} gas in one anchorWithUses, "
        f"over the block gas limit {gas_limit:,}: lower QC_GW_BATCH_SIZE or regenerate with "
        "a higher --gas-limit",
    )


def _check_localnode(report: CheckReport, local: dict[str, str], topo: dict[str, Any]) -> None:
    """The local rehearsal node runs the network's chain id, gas limit, EVM and block period."""
    expected = {
        "QC_NODE_CHAIN_ID": topo["chain_id"],
        "QC_NODE_BLOCK_GAS_LIMIT": topo["gas_limit"],
        "QC_NODE_HARDFORK": topo["hardfork"],
        "QC_NODE_BLOCK_TIME_S": topo["block_period_seconds"],
    }
    for key, value in expected.items():
        got = local.get(key)
        same = got is not None and (
            _same_number(got, value) if isinstance(value, int) else got == value
        )
        report.expect(same, f"localnode.env: {key} must be {value} (the network's), not {got}")


def _same_number(text: str, value: int) -> bool:
    try:
        return float(text) == value
    except ValueError:
        return False


def _rpc(
    url: str, method: str, params: list[Any], context: ssl.SSLContext | None
) -> tuple[Any, str | None]:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as resp:
            answer = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TopologyError(f"{url} did not answer {method}: {exc}") from exc
    error = answer.get("error")
    return answer.get("result"), (error.get("message", str(error)) if error else None)


def check_live(out: Path, rpc_url: str, *, ca_file: Path | None = None) -> CheckReport:
    """Check a running node at ``rpc_url`` against the topology generated in ``out``.

    Args:
        out: The generated topology.
        rpc_url: The node's JSON-RPC (``https://`` for a node serving clients).
        ca_file: The CA bundle its certificate chains to (default: the platform's, or
            ``SSL_CERT_FILE``).

    Raises:
        TopologyError: ``out`` is not a topology, ``ca_file`` is not a CA bundle, or the
            node does not answer (over TLS: its certificate does not verify).
    """
    topo, _, _ = _load(out)
    report = CheckReport()
    try:
        context = ssl.create_default_context(cafile=ca_file) if ca_file is not None else None
    except OSError as exc:
        raise TopologyError(f"{ca_file}: not a PEM CA bundle ({exc})") from exc

    def rpc(method: str, params: list[Any]) -> tuple[Any, str | None]:
        return _rpc(rpc_url, method, params, context)

    chain_id, _ = rpc("eth_chainId", [])
    report.expect(int(chain_id, 16) == topo["chain_id"], f"node chain id {int(chain_id, 16)}")
    block, _ = rpc("eth_getBlockByNumber", ["latest", False])
    gas = int(block["gasLimit"], 16)
    report.expect(gas == topo["gas_limit"], f"node block gas limit {gas}")
    validators, error = rpc("qbft_getValidatorsByBlockNumber", ["latest"])
    if error is not None:
        report.warnings.append(f"no QBFT validators from this node ({error})")
    else:
        got = sorted((str(v) for v in validators), key=str.lower)
        want = [v.lower() for v in topo["validators"]]
        report.expect([v.lower() for v in got] == want, f"node validators {got}")
    price, _ = rpc("eth_gasPrice", [])
    if price is not None and int(price, 16) != 0:
        report.warnings.append(f"eth_gasPrice is {int(price, 16)}, not 0 (free gas expected)")
    return report
