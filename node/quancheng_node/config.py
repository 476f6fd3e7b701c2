"""Settings of the local node, read from ``QC_NODE_*`` environment variables.

The local node is for development and tests: it serves plain HTTP JSON-RPC, so it listens
on loopback only. A network runs Hyperledger Besu with ``--rpc-http-tls-enabled``
(docs/deployment.md, "Certificates and TLS").
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from quancheng.errors import ConfigError
from quancheng.tls import is_loopback

#: The repository root (node/quancheng_node/config.py → ../..).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
HARDHAT_DIR = PROJECT_ROOT / "hardhat-network"


class NodeHostRefused(ConfigError):
    """The local node was asked to listen beyond loopback."""

    code = "NODE_HOST_REFUSED"

    def __init__(self, host: str) -> None:
        self.host = host
        super().__init__(
            f"QC_NODE_HOST={host!r}: the local node is for development and serves plain HTTP "
            "on loopback only (127.0.0.1, ::1, localhost); a network runs Hyperledger Besu "
            'with --rpc-http-tls-enabled (docs/deployment.md, "Certificates and TLS")'
        )


class NodeSettings(BaseSettings):
    """Where and how the local EVM node runs (on loopback only)."""

    model_config = SettingsConfigDict(env_prefix="QC_NODE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8545, ge=1, le=65535)
    state_dir: Path = PROJECT_ROOT / "var" / "chain"
    chain_id: int = Field(default=5310, ge=1)
    block_gas_limit: int = Field(default=60_000_000, ge=1_000_000)
    hardfork: str = "cancun"
    start_timeout: float = Field(default=60.0, gt=0)
    stop_timeout: float = Field(default=10.0, gt=0)
    #: "always" fsyncs every journal entry; "interval" every 200 ms (an entry is written
    #: before the request is answered, so a killed node loses nothing either way; only a
    #: crash of the whole machine can lose the last 200 ms).
    fsync: Literal["always", "interval", "never"] = "interval"
    #: Seconds between blocks (``QC_NODE_BLOCK_TIME_S``): 0 mines each transaction in its own
    #: block at once (instant, the development default); N > 0 seals the pooled transactions
    #: every N seconds as a QBFT network does (Besu's default block period is 2 s).  Either
    #: way a transaction is journaled before it is acknowledged.
    block_time_s: float = Field(default=0.0, ge=0, le=3600)
    #: Journal entries (one per state-changing request) between snapshots into the archive
    #: (``QC_NODE_SNAPSHOT_EVERY``): a restart then replays at most about this many, whatever
    #: the chain's length (``hardhat-network/scripts/snapshot.js``).  A deployment is also
    #: snapshotted at once.  0 keeps no archive: a restart replays the whole journal.
    snapshot_every: int = Field(default=2000, ge=0)
    hardhat_dir: Path = HARDHAT_DIR
    node_binary: str = "node"

    @model_validator(mode="after")
    def _loopback_only(self) -> NodeSettings:
        if not is_loopback(self.host):
            raise NodeHostRefused(self.host)
        return self

    @property
    def rpc_url(self) -> str:
        """The JSON-RPC URL clients use."""
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return f"http://{host}:{self.port}"
