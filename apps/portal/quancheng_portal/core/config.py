"""Settings of the owner portal, from ``QC_PORTAL_*`` environment variables (or ``.env``).

The portal is run by the identity authority (济南市大数据局): it holds the authority's SM2
key (attestations), its chain account (relayed decisions) and the secret key of pseudonyms.
Outside ``environment="development"`` none of them is ever defaulted; in development they
come from the local consortium's key directory (``quancheng deploy`` writes it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from quancheng.crypto import PSEUDONYM_KEY_MIN_SIZE
from quancheng.errors import ConfigError
from quancheng.identity import Institution
from quancheng_appkit.serving import ServerLimits

__all__ = ["DEV_PSEUDONYM_KEY", "PortalSettings", "SettingsError"]

#: The gateways' development pseudonym key; refused outside development here as there.
DEV_PSEUDONYM_KEY = "00112233445566778899aabbccddeeff"


class SettingsError(ConfigError):
    """A required secret is missing, malformed, or a development default outside development."""

    code = "PORTAL_SETTINGS_ERROR"


class PortalSettings(ServerLimits):
    """Everything the portal needs; env prefix ``QC_PORTAL_``.

    The bounds of what it reads from browsers (``QC_PORTAL_HEADER_TIMEOUT_S``,
    ``QC_PORTAL_MAX_BODY_BYTES``, ...) are :class:`~quancheng_appkit.serving.ServerLimits`'.
    """

    model_config = SettingsConfigDict(env_prefix="QC_PORTAL_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "production"
    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=1, le=65535)
    #: The portal's own database: sessions, attested owners, the access-history cache.
    database_url: str = "sqlite:///var/portal/portal.db"
    rpc_url: str = "http://127.0.0.1:8545"
    manifest_path: Path = Path("var/manifest.json")

    #: The identity authority's consortium code (an ACTIVE COMMITTEE member).
    authority_code: str = "jinan.bdb"
    #: Its SM2 key (PKCS#8 PEM), inline or as a file.
    authority_sm2_key_pem: SecretStr | None = None
    authority_sm2_key_file: Path | None = None
    #: Its chain account key (secp256k1 hex), inline or as a file (hex or V3 keystore).
    authority_chain_key: SecretStr | None = None
    authority_chain_key_file: Path | None = None
    authority_chain_key_password: SecretStr | None = None
    #: HMAC-SM3 key of pseudonyms (hex, ≥ 16 bytes), shared with the provider gateways.
    pseudonym_key: SecretStr | None = None
    #: Development only: the local consortium's keys, used when the keys above are not set.
    dev_keys_dir: Path = Path("var/consortium")

    #: Development only: JSON list of demo identities ``[{"name": ..., "resident_id": ...}]``
    #: (a stand-in for the government app's real-name check); the built-in list when unset.
    #: Refused outside development, where owners sign in with their key or an enrollment code.
    demo_people_file: Path | None = None
    #: The authority's registration data of enterprises (JSON ``[{"uscc", "name", "legal_rep",
    #: "legal_rep_id"}]``, from the market-regulation records): whom an enterprise's
    #: enrollment code may be issued to, and the name shown when it signs in. In development
    #: the built-in demo enterprises when unset.
    enterprises_file: Path | None = None
    #: Absolute lifetime of a session, and how long one may sit unused (OWASP ASVS 3.3.2).
    session_ttl_s: int = Field(default=3600, ge=60)
    session_idle_s: int = Field(default=900, ge=60)
    #: How long a sign-in challenge may be signed, and an enrollment code used.
    sign_in_challenge_ttl_s: int = Field(default=120, ge=10, le=600)
    enrollment_code_ttl_s: int = Field(default=900, ge=60, le=86400)
    #: Failed sign-ins and enrollment codes allowed per session and per client address within
    #: the window; beyond, 429 ``TOO_MANY_ATTEMPTS`` until the oldest failure leaves it.
    auth_max_failures: int = Field(default=5, ge=1)
    auth_failure_window_s: int = Field(default=900, ge=60)
    #: ``Secure`` on the session cookie; on by default in production (behind HTTPS).
    secure_cookies: bool | None = None
    gateway_timeout_s: float = Field(default=5.0, gt=0)
    #: TLS to the gateways: the CA bundle their certificates chain to (the system's if
    #: unset), and the identity authority's client certificate and key (mutual TLS).
    gateway_tls_ca_file: Path | None = None
    gateway_tls_cert_file: Path | None = None
    gateway_tls_key_file: Path | None = None
    #: Oldest owner action document relayed, and how far in the future one may be dated.
    max_action_age_s: float = Field(default=600.0, gt=0)
    max_clock_skew_s: float = Field(default=120.0, gt=0)
    #: Invitations one consumer may send per hour (``POST /v1/invitations``; 429 beyond).
    invitations_per_consumer_per_hour: int = Field(default=600, ge=1)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _secrets_present(self) -> PortalSettings:
        if self.environment == "development":
            return self
        if self.demo_people_file is not None:
            raise SettingsError(
                "demo identities are refused outside development: unset "
                "QC_PORTAL_DEMO_PEOPLE_FILE (owners sign in with their key or an enrollment code)"
            )
        missing = [
            name
            for name, value in (
                (
                    "QC_PORTAL_AUTHORITY_SM2_KEY_PEM or _FILE",
                    self.authority_sm2_key_pem or self.authority_sm2_key_file,
                ),
                (
                    "QC_PORTAL_AUTHORITY_CHAIN_KEY or _FILE",
                    self.authority_chain_key or self.authority_chain_key_file,
                ),
                ("QC_PORTAL_PSEUDONYM_KEY", self.pseudonym_key),
            )
            if not value
        ]
        if missing:
            raise SettingsError(f"missing secrets outside development: {', '.join(missing)}")
        if self.pseudonym_key and self.pseudonym_key.get_secret_value() == DEV_PSEUDONYM_KEY:
            raise SettingsError("the development pseudonym key is refused outside development")
        return self

    # ----------------------------------------------------------------------------- derived

    @property
    def demo_identities(self) -> bool:
        """Whether the demo list signs people in (development only; never in production)."""
        return self.environment == "development"

    @property
    def cookie_secure(self) -> bool:
        """Whether the session cookie carries ``Secure`` (and its name the ``__Host-`` prefix):
        in production, and wherever the portal serves HTTPS itself."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.environment == "production" or self.tls_cert_file is not None

    def load_authority(self) -> tuple[Institution, bytes]:
        """The identity authority's institution (SM2 key and chain account) and pseudonym key.

        Raises:
            SettingsError: A key is missing or malformed.
            IdentityError: A key file cannot be read or parsed.
        """
        if self._has_explicit_keys():
            return self._explicit_institution(), self._pseudonym_key_bytes()
        if self.environment != "development":  # pragma: no cover - the validator refuses it
            raise SettingsError("no authority keys")
        from quancheng_node.localnet import LocalConsortium

        local = LocalConsortium(self.dev_keys_dir)
        member = local[self.authority_code]
        institution = Institution(member.code, member.sm2, member.account)
        key = self._pseudonym_key_bytes() if self.pseudonym_key else local.pseudonym_key
        return institution, key

    def _has_explicit_keys(self) -> bool:
        return bool(
            (self.authority_sm2_key_pem or self.authority_sm2_key_file)
            and (self.authority_chain_key or self.authority_chain_key_file)
        )

    def _explicit_institution(self) -> Institution:
        pem = self.authority_sm2_key_pem
        sm2: Path | str = pem.get_secret_value() if pem else self.authority_sm2_key_file  # type: ignore[assignment]
        password = self.authority_chain_key_password
        return Institution.load(
            self.authority_code,
            sm2_key=sm2,
            chain_key=self.authority_chain_key.get_secret_value()
            if self.authority_chain_key
            else None,
            chain_key_file=None if self.authority_chain_key else self.authority_chain_key_file,
            chain_key_password=password.get_secret_value() if password else None,
        )

    def _pseudonym_key_bytes(self) -> bytes:
        if self.pseudonym_key is None:
            raise SettingsError("QC_PORTAL_PSEUDONYM_KEY is required")
        text = self.pseudonym_key.get_secret_value().strip().removeprefix("0x")
        try:
            key = bytes.fromhex(text)
        except ValueError as exc:
            raise SettingsError("QC_PORTAL_PSEUDONYM_KEY must be hex") from exc
        if len(key) < PSEUDONYM_KEY_MIN_SIZE:
            raise SettingsError(f"QC_PORTAL_PSEUDONYM_KEY must be ≥ {PSEUDONYM_KEY_MIN_SIZE} bytes")
        return key
