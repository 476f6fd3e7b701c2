"""Settings every officer service shares: where it serves, who it is, whom it trusts.

A claims or credit service is an institution of the consortium (an insurer, a bank): it holds
the institution's SM2 key and chain account, as the SDK's ``ConsumerClient`` needs them, and
the TLS client certificate its queries are bound to. Its officers reach its API with the
operator token (``Authorization: Bearer``); the pages ask for the same token once and keep a
session cookie. The subclass names the environment prefix (``QC_CLAIMS_``, ``QC_CREDIT_``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from quancheng.errors import ConfigError
from quancheng.identity import Institution
from quancheng.tls import TlsConfig
from quancheng_appkit.serving import ServerLimits

__all__ = ["OPERATOR_TOKEN_MIN_CHARS", "OfficerSettings", "OfficerSettingsError"]

#: Shortest operator token accepted (``secrets.token_urlsafe(32)`` gives 43 characters).
OPERATOR_TOKEN_MIN_CHARS = 32


class OfficerSettingsError(ConfigError):
    """A setting is missing or wrong; the message names the variable and the fix."""

    code = "OFFICER_SETTINGS_ERROR"


class OfficerSettings(ServerLimits):
    """What a claims or credit service needs; the subclass sets ``env_prefix`` and defaults."""

    environment: Literal["development", "test", "production"] = "production"
    host: str = "127.0.0.1"
    port: int = Field(default=8800, ge=1, le=65535)
    #: The service's own database: cases, decisions, receipts (SQLite or PostgreSQL URL).
    database_url: str = "sqlite:///var/officer/officer.db"
    rpc_url: str = "http://127.0.0.1:8545"
    manifest_path: Path = Path("var/manifest.json")

    #: The institution's consortium code (an ACTIVE CONSUMER).
    institution_code: str = "ins.qilu"
    #: Its SM2 key (PKCS#8 PEM), inline or as a file.
    sm2_key_pem: SecretStr | None = None
    sm2_key_file: Path | None = None
    #: Its chain account key (secp256k1 hex), inline or as a file (hex or V3 keystore).
    chain_key: SecretStr | None = None
    chain_key_file: Path | None = None
    chain_key_password: SecretStr | None = None
    #: Development only: the local consortium's key directory, used when no key is set.
    dev_keys_dir: Path = Path("var/consortium")
    #: TLS to the gateways: the consortium CA and the institution's client certificate.
    gateway_tls_ca_file: Path | None = None
    gateway_tls_cert_file: Path | None = None
    gateway_tls_key_file: Path | None = None
    #: The client's evidence store (every receipt received); default ``$QC_EVIDENCE_DIR``.
    evidence_file: Path | None = None

    #: The officers' token for the API (Bearer) and the pages (asked once), ≥ 32 characters.
    operator_token: SecretStr | None = None
    #: Terms of the grants the service requests of owners.
    grant_valid_days: int = Field(default=30, ge=1, le=366)
    grant_max_uses: int = Field(default=1, ge=1, le=100)
    #: Last day of the data period requested (default: today).
    data_as_of: date | None = None
    #: Seconds between two looks at the cases waiting for their owner's grant.
    grant_poll_interval_s: float = Field(default=2.0, gt=0)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _required(self) -> OfficerSettings:
        prefix = self.prefix
        token = self.operator_token.get_secret_value() if self.operator_token else ""
        if len(token) < OPERATOR_TOKEN_MIN_CHARS:
            raise OfficerSettingsError(
                f"{prefix}OPERATOR_TOKEN must be set, at least {OPERATOR_TOKEN_MIN_CHARS} "
                "characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if self.environment != "development" and not self._has_explicit_keys():
            raise OfficerSettingsError(
                f"outside development set {prefix}SM2_KEY_PEM or {prefix}SM2_KEY_FILE and "
                f"{prefix}CHAIN_KEY or {prefix}CHAIN_KEY_FILE (the institution's keys)"
            )
        cert, key = self.gateway_tls_cert_file, self.gateway_tls_key_file
        if self.gateway_tls_ca_file is None and (cert is not None or key is not None):
            raise OfficerSettingsError(
                f"{prefix}GATEWAY_TLS_CERT_FILE and _KEY_FILE need {prefix}GATEWAY_TLS_CA_FILE"
            )
        return self

    # ----------------------------------------------------------------------------- derived

    @property
    def prefix(self) -> str:
        """The environment prefix of these settings (``QC_CLAIMS_``)."""
        return str(self.model_config.get("env_prefix", "")).upper()

    def operator_token_value(self) -> str:
        """The operator token (the validator guarantees it is set)."""
        assert self.operator_token is not None
        return self.operator_token.get_secret_value()

    def gateway_tls(self) -> TlsConfig | None:
        """The TLS to the gateways (None: plain HTTP, answered on loopback in development)."""
        if self.gateway_tls_ca_file is None:
            return None
        return TlsConfig(
            self.gateway_tls_ca_file, self.gateway_tls_cert_file, self.gateway_tls_key_file
        )

    def load_institution(self) -> Institution:
        """The institution's identity: its SM2 key and chain account.

        Raises:
            IdentityError: A key file cannot be read or parsed.
            OfficerSettingsError: No key, and not in development.
        """
        if self._has_explicit_keys():
            pem = self.sm2_key_pem
            sm2: Path | str = pem.get_secret_value() if pem else self.sm2_key_file  # type: ignore[assignment]
            password = self.chain_key_password
            return Institution.load(
                self.institution_code,
                sm2_key=sm2,
                chain_key=self.chain_key.get_secret_value() if self.chain_key else None,
                chain_key_file=None if self.chain_key else self.chain_key_file,
                chain_key_password=password.get_secret_value() if password else None,
            )
        if self.environment != "development":  # pragma: no cover - the validator refuses it
            raise OfficerSettingsError("no institution keys")
        from quancheng_node.localnet import LocalConsortium  # development only

        member = LocalConsortium(self.dev_keys_dir)[self.institution_code]
        return Institution(member.code, member.sm2, member.account)

    def _has_explicit_keys(self) -> bool:
        return bool(
            (self.sm2_key_pem or self.sm2_key_file) and (self.chain_key or self.chain_key_file)
        )
