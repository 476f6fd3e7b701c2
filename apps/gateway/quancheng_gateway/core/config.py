"""Settings of a gateway, from ``QC_GW_*`` environment variables (or a ``.env`` file).

Outside ``environment="development"`` the gateway refuses to start without its own keys:
the SM2 identity key, the chain account key and the pseudonym key are never defaulted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from quancheng.crypto import PSEUDONYM_KEY_MIN_SIZE, SM2PrivateKey
from quancheng.errors import ConfigError
from quancheng_appkit.serving import ServerLimits
from quancheng_gateway.write_turn import sqlite_file

__all__ = ["DEV_PSEUDONYM_KEY", "METRICS_TOKEN_MIN_CHARS", "GatewaySettings", "SettingsError"]

#: Shortest operator token accepted for /metrics (e.g. ``secrets.token_urlsafe(32)``).
METRICS_TOKEN_MIN_CHARS = 32
#: Development-only pseudonym key (hex); refused in any other environment.
DEV_PSEUDONYM_KEY = "00112233445566778899aabbccddeeff"


class SettingsError(ConfigError):
    """A required secret is missing or is a development default outside development."""

    code = "GATEWAY_SETTINGS_ERROR"


class GatewaySettings(ServerLimits):
    """Everything one provider gateway needs; env prefix ``QC_GW_``.

    The bounds of what it reads from clients (``QC_GW_HEADER_TIMEOUT_S``,
    ``QC_GW_MAX_BODY_BYTES``, ...) are :class:`~quancheng_appkit.serving.ServerLimits`'.
    """

    model_config = SettingsConfigDict(env_prefix="QC_GW_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "production"
    #: ``package.module:attribute`` of the department served.
    department: str
    host: str = "127.0.0.1"
    port: int = Field(default=8600, ge=1, le=65535)
    #: Worker processes serving the port; they share the database as replicas do.
    workers: int = Field(default=1, ge=1, le=32)
    #: Anchor from a process of its own (``python -m quancheng_gateway.anchoring``, started
    #: and watched by ``python -m quancheng_gateway``), not from the processes answering
    #: queries: its bursts (a batch's receipts, Merkle tree and transaction every
    #: ``batch_max_age_s``) then never hold the query path's GIL.
    anchor_process: bool = False
    #: The gateway's own database (view, subject index, receipts, batches).
    database_url: str = "sqlite:///var/gateway/gateway.db"
    #: The department's source data.
    data_url: str = "sqlite:///var/gateway/data.db"
    rpc_url: str = "http://127.0.0.1:8545"
    #: WebSocket JSON-RPC for newHeads; derived from ``rpc_url`` when empty.
    ws_url: str | None = None
    use_websocket: bool = True
    manifest_path: Path = Path("var/manifest.json")
    #: The provider's SM2 identity key (PKCS#8 PEM), inline or as a file.
    sm2_key_pem: SecretStr | None = None
    sm2_key_file: Path | None = None
    #: The provider's chain account key (secp256k1, hex).
    chain_private_key: SecretStr | None = None
    #: HMAC-SM3 key shared by the identity authority (hex, ≥ 16 bytes).
    pseudonym_key: SecretStr | None = None

    #: Bearer token of the operator's scraper for ``/metrics`` and the details of
    #: ``/healthz`` (≥ 32 characters). Unset: only auditors (reader tokens) read them.
    metrics_token: SecretStr | None = None
    #: Reader-token nonces remembered per member (a member with more live tokens is told
    #: READER_RATE_LIMITED until some expire).
    reader_nonces_per_member: int = Field(default=10_000, ge=100)

    clock_skew_s: float = Field(default=300.0, gt=0)
    view_poll_interval_s: float = Field(default=0.1, gt=0)
    view_max_lag_s: float = Field(default=2.0, gt=0)
    batch_size: int = Field(default=256, ge=1)
    #: A batch closes when this many receipts wait (at most a quarter of ``max_backlog``) or the
    #: oldest has waited ``batch_max_age_s``, and takes as many as wait, up to this, while their
    #: use entries (one per grant and resource) stay within the ``batch_size`` that fits the
    #: block gas limit: one anchor per ``batch_max_age_s`` under load. At most ``batch_size``:
    #: batches close at ``batch_size`` receipts and take at most that many (or what fits).
    batch_max_receipts: int = Field(default=4096, ge=1)
    batch_max_age_s: float = Field(default=2.0, gt=0)
    max_backlog: int = Field(default=10_000, ge=1)
    max_backlog_age_s: float = Field(default=300.0, gt=0)
    anchor_interval_s: float = Field(default=0.2, gt=0)
    chain_timeout_s: float = Field(default=10.0, gt=0)
    commit_max_group: int = Field(default=512, ge=1)
    #: How long a receipt may wait for others to join its group commit, when receipts have
    #: been arriving faster than that (0: commit each group as soon as it is taken).
    commit_linger_ms: float = Field(default=4.0, ge=0, le=50)
    log_level: str = "INFO"
    log_queries: bool = True

    @model_validator(mode="after")
    def _secrets_present(self) -> GatewaySettings:
        if self.workers > 1 and not (self.sm2_key_pem or self.sm2_key_file):
            raise SettingsError(
                "QC_GW_WORKERS > 1 needs QC_GW_SM2_KEY_PEM or QC_GW_SM2_KEY_FILE: every worker "
                "must sign with the provider's one key"
            )
        if self.anchor_process and not (self.sm2_key_pem or self.sm2_key_file):
            raise SettingsError(
                "QC_GW_ANCHOR_PROCESS needs QC_GW_SM2_KEY_PEM or QC_GW_SM2_KEY_FILE: the "
                "anchoring process signs batches with the key that signs the receipts"
            )
        if self.anchor_process and _in_memory(self.database_url):
            raise SettingsError(
                "QC_GW_ANCHOR_PROCESS needs a database two processes share (a SQLite file or "
                "PostgreSQL), not an in-memory one"
            )
        token = self.metrics_token.get_secret_value() if self.metrics_token else None
        if token is not None and len(token) < METRICS_TOKEN_MIN_CHARS:
            raise SettingsError(
                f"QC_GW_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_CHARS} characters"
            )
        if self.environment == "development":
            return self
        missing = [
            name
            for name, value in (
                ("QC_GW_SM2_KEY_PEM or QC_GW_SM2_KEY_FILE", self.sm2_key_pem or self.sm2_key_file),
                ("QC_GW_CHAIN_PRIVATE_KEY", self.chain_private_key),
                ("QC_GW_PSEUDONYM_KEY", self.pseudonym_key),
            )
            if not value
        ]
        if missing:
            raise SettingsError(f"missing secrets outside development: {', '.join(missing)}")
        if self.pseudonym_key and self.pseudonym_key.get_secret_value() == DEV_PSEUDONYM_KEY:
            raise SettingsError("the development pseudonym key is refused outside development")
        return self

    # ----------------------------------------------------------------------- derived

    @property
    def answers_unbound_requests(self) -> bool:
        """Whether queries naming no TLS channel are answered: only by a gateway that asks
        no client certificates (plain HTTP, which the serving layer allows on loopback
        outside production only)."""
        return self.environment != "production" and self.tls_client_ca_file is None

    def load_sm2_key(self) -> SM2PrivateKey:
        """The gateway's SM2 key (a fresh one only in development when none is given)."""
        if self.sm2_key_pem is not None:
            return SM2PrivateKey.from_pem(self.sm2_key_pem.get_secret_value().encode())
        if self.sm2_key_file is not None:
            return SM2PrivateKey.from_pem(self.sm2_key_file.read_bytes())
        if self.environment != "development":
            raise SettingsError("no SM2 key")
        return SM2PrivateKey.generate()

    def pseudonym_key_bytes(self) -> bytes:
        """The pseudonym key as bytes."""
        text = self.pseudonym_key.get_secret_value() if self.pseudonym_key else None
        if text is None:
            if self.environment != "development":
                raise SettingsError("no pseudonym key")
            text = DEV_PSEUDONYM_KEY
        try:
            key = bytes.fromhex(text.removeprefix("0x"))
        except ValueError as exc:
            raise SettingsError("QC_GW_PSEUDONYM_KEY must be hex") from exc
        if len(key) < PSEUDONYM_KEY_MIN_SIZE:
            raise SettingsError(f"QC_GW_PSEUDONYM_KEY must be ≥ {PSEUDONYM_KEY_MIN_SIZE} bytes")
        return key

    def chain_key(self) -> str:
        """The chain account's private key (hex)."""
        if self.chain_private_key is None:
            raise SettingsError("QC_GW_CHAIN_PRIVATE_KEY is required to anchor receipts")
        return self.chain_private_key.get_secret_value()

    def websocket_url(self) -> str | None:
        """Where to subscribe to newHeads (Hardhat serves WebSocket on the HTTP port)."""
        if not self.use_websocket:
            return None
        if self.ws_url:
            return self.ws_url
        if self.rpc_url.startswith("http"):
            return "ws" + self.rpc_url.removeprefix("http")
        return None


def _in_memory(url: str) -> bool:
    """A SQLite database in memory: one process's alone."""
    return url.startswith("sqlite") and sqlite_file(url) is None
