"""What a deployment's network is: the operator's spec, its members, and the node plan.

The spec is everything ``quancheng topology generate`` is told; the plan is what follows
from it (which node runs where, on which ports, with which key). Both are pure data, so the
files written from them (:mod:`.besu`, :mod:`.ourside`) are deterministic for a seed.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from quancheng.chain.manifest import Address
from quancheng.errors import ConfigError
from quancheng_gateway.gas import GATEWAY_BATCH_SIZE, anchor_gas_bound, largest_batch
from quancheng_node.deployment.keys import NodeKey

__all__ = [
    "HARDFORKS",
    "MemberEntry",
    "MembersFile",
    "NodePlan",
    "TopologyError",
    "TopologySpec",
    "plan_nodes",
]

#: Hardforks a generated genesis can activate at block 0, oldest first.
HARDFORKS: tuple[str, ...] = ("london", "shanghai", "cancun")
#: The contracts are compiled for this EVM (``quancheng_node.compile.SETTINGS``).
CONTRACTS_EVM = "cancun"
#: 2026-01-01T00:00:00Z, the local node's default genesis date too (seeded output only).
SEEDED_GENESIS_TIMESTAMP = 1_767_225_600


class TopologyError(ConfigError):
    """The topology asked for is inconsistent, or a generated directory does not check."""

    code = "TOPOLOGY_ERROR"


Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9._-]*$")]


class MemberEntry(BaseModel):
    """One institution of the consortium, as the operator lists it in ``members.json``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    #: Consortium code, e.g. ``jinan.vmo``.
    id: Code
    #: Display name, e.g. 济南市公安局交通警察支队车辆管理所.
    name: Annotated[str, Field(min_length=1)]
    role: Literal["COMMITTEE", "PROVIDER", "CONSUMER", "AUDITOR"]
    #: The institution's chain account (it keeps the key; only the address is given here).
    account: Address
    #: Providers: the gateway plug-in, ``package.module:factory``.
    department: str | None = None
    #: Providers: the host of the department's PostgreSQL (gateway database).
    db_host: str = "127.0.0.1"
    #: The committee member that runs the owner portal (default: the first COMMITTEE).
    authority: bool = False


class MembersFile(BaseModel):
    """``members.json``: who may send transactions, and who is pre-funded."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    #: The account that deploys the contracts (``quancheng deploy``), if not a member's.
    deployer: Address | None = None
    members: Annotated[list[MemberEntry], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> MembersFile:
        for what, values in (
            ("id", [m.id for m in self.members]),
            ("account", [m.account.lower() for m in self.members]),
        ):
            dup = sorted({v for v in values if values.count(v) > 1})
            if dup:
                raise ValueError(f"duplicate member {what}: {', '.join(dup)}")
        if sum(m.authority for m in self.members) > 1:
            raise ValueError("at most one member may be the identity authority")
        return self

    @classmethod
    def load(cls, path: Path) -> MembersFile:
        """Read and validate ``members.json``.

        Raises:
            TopologyError: the file cannot be read or is not a valid members file.
        """
        try:
            return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, ValidationError) as exc:
            raise TopologyError(f"{path}: not a valid members file ({exc})") from exc

    def accounts(self) -> list[str]:
        """Every account that may transact: the deployer, then the members, lower-case."""
        found = [self.deployer] if self.deployer else []
        found += [m.account for m in self.members]
        return list(dict.fromkeys(a.lower() for a in found))

    def authority(self) -> MemberEntry | None:
        """The identity authority: the flagged member, else the first committee member."""
        flagged = [m for m in self.members if m.authority]
        committee = [m for m in self.members if m.role == "COMMITTEE"]
        chosen = flagged or committee
        return chosen[0] if chosen else None


class TopologySpec(BaseModel):
    """Everything the operator chooses about the network."""

    model_config = ConfigDict(frozen=True)

    validators: int = Field(default=4, ge=1, le=64)
    rpc_nodes: int = Field(default=1, ge=0, le=16)
    chain_id: int = Field(ge=1, le=2**53 - 1)
    block_period_seconds: int = Field(default=2, ge=1, le=3600)
    #: Round timeout; Besu's advice is twice the block period, then tuned down.
    request_timeout_seconds: int | None = Field(default=None, ge=1)
    epoch_length: int = Field(default=30_000, ge=1)
    #: Block gas limit: it must hold the largest transaction a gateway sends, one
    #: ``anchorWithUses`` of a full batch (:func:`.gas.anchor_gas_bound`).
    gas_limit: int = Field(default=60_000_000, ge=1_000_000, le=0x1FFFFFFFFFFFFF)
    #: Receipts per anchored batch (``QC_GW_BATCH_SIZE`` of the generated gateway env files).
    gateway_batch_size: int = Field(default=GATEWAY_BATCH_SIZE, ge=1)
    hardfork: str = CONTRACTS_EVM
    storage: Literal["FOREST", "BONSAI"] = "FOREST"
    #: One host for every node, or one per node (validators first, then RPC nodes).
    hosts: tuple[str, ...] = ("127.0.0.1",)
    p2p_port: int = Field(default=30303, ge=1, le=65535)
    rpc_http_port: int = Field(default=8545, ge=1, le=65535)
    rpc_ws_port: int = Field(default=8546, ge=1, le=65535)
    metrics_port: int = Field(default=9545, ge=1, le=65535)
    genesis_timestamp: int = Field(ge=0)
    #: Pre-funded balance of every member (wei); gas is free, but clients may still price it.
    prefund_wei: int = Field(default=10**24, ge=0)
    seed: str | None = None
    members: MembersFile | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TopologySpec:
        if self.hardfork not in HARDFORKS:
            raise ValueError(f"hardfork {self.hardfork!r}: choose one of {', '.join(HARDFORKS)}")
        if HARDFORKS.index(self.hardfork) < HARDFORKS.index(CONTRACTS_EVM):
            raise ValueError(
                f"hardfork {self.hardfork!r} is older than the contracts' EVM ({CONTRACTS_EVM})"
            )
        if len(self.hosts) not in (1, self.node_count):
            raise ValueError(
                f"give 1 host or {self.node_count} (one per node), not {len(self.hosts)}"
            )
        for host in self.hosts:
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                raise ValueError(
                    f"host {host!r}: give an IPv4 address (enode URLs with DNS names need "
                    "Besu's early-access --Xdns-enabled)"
                ) from None
        if self.request_timeout_seconds is not None and (
            self.request_timeout_seconds <= self.block_period_seconds
        ):
            raise ValueError("request timeout must exceed the block period")
        self._check_anchor_fits()
        return self

    def _check_anchor_fits(self) -> None:
        """Refuse a gas limit under one anchor of a full gateway batch: it could never be mined."""
        need = anchor_gas_bound(self.gateway_batch_size)
        if need <= self.gas_limit:
            return
        fits = largest_batch(self.gas_limit)
        lower = f" or lower --gateway-batch-size to {fits} or less" if fits else ""
        raise ValueError(
            f"block gas limit {self.gas_limit:,} cannot hold the anchor of a full gateway batch "
            f"({self.gateway_batch_size} receipts: up to {need:,} gas in one anchorWithUses); "
            f"raise --gas-limit to at least {need}{lower}"
        )

    @property
    def node_count(self) -> int:
        return self.validators + self.rpc_nodes

    @property
    def request_timeout(self) -> int:
        return self.request_timeout_seconds or 2 * self.block_period_seconds

    @property
    def fault_tolerance(self) -> int:
        """Byzantine validators the network survives: f with n ≥ 3f + 1."""
        return (self.validators - 1) // 3


@dataclass(frozen=True)
class NodePlan:
    """One Besu node: where it runs, its ports and key."""

    index: int  # 1-based, as in run-node-N.sh
    name: str  # validator-1 … / rpc-1 …
    validator: bool
    host: str
    p2p_port: int
    rpc_http_port: int
    rpc_ws_port: int
    metrics_port: int
    key: NodeKey
    #: True when gateways reach this node's RPC (RPC nodes; validators if there are none).
    serves_clients: bool

    @property
    def enode(self) -> str:
        return self.key.enode_url(self.host, self.p2p_port)

    @property
    def rpc_interface(self) -> str:
        """Where JSON-RPC listens: the node's host when it serves clients, else loopback."""
        return self.host if self.serves_clients else "127.0.0.1"

    @property
    def rpc_tls(self) -> bool:
        """True when JSON-RPC is served over TLS: wherever it leaves the machine."""
        return self.serves_clients

    def http_url(self) -> str:
        scheme = "https" if self.rpc_tls else "http"
        return f"{scheme}://{self.rpc_interface}:{self.rpc_http_port}"

    def ws_url(self) -> str:
        scheme = "wss" if self.rpc_tls else "ws"
        return f"{scheme}://{self.rpc_interface}:{self.rpc_ws_port}"


def plan_nodes(spec: TopologySpec, keys: Sequence[NodeKey] | None = None) -> list[NodePlan]:
    """The nodes of ``spec``; keys derived from its seed, fresh, or the ones given.

    Nodes that share a host are spread over ports: p2p by 1, RPC and metrics by 10.
    """
    names = [f"validator-{i + 1}" for i in range(spec.validators)]
    names += [f"rpc-{i + 1}" for i in range(spec.rpc_nodes)]
    hosts = list(spec.hosts) * spec.node_count if len(spec.hosts) == 1 else list(spec.hosts)
    if keys is None:
        keys = [NodeKey.derive(spec.seed, n) if spec.seed else NodeKey.generate() for n in names]
    plans, on_host = [], dict[str, int]()
    for i, (name, host, key) in enumerate(zip(names, hosts, keys, strict=True)):
        k = on_host[host] = on_host.get(host, -1) + 1
        validator = i < spec.validators
        plans.append(
            NodePlan(
                index=i + 1,
                name=name,
                validator=validator,
                host=host,
                p2p_port=spec.p2p_port + k,
                rpc_http_port=spec.rpc_http_port + 10 * k,
                rpc_ws_port=spec.rpc_ws_port + 10 * k,
                metrics_port=spec.metrics_port + 10 * k,
                key=key,
                serves_clients=(not validator) or spec.rpc_nodes == 0,
            )
        )
    return plans
