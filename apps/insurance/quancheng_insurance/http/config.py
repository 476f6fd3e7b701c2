"""Settings of the claims service, from ``QC_CLAIMS_*`` environment variables (or ``.env``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from quancheng_appkit.officer.settings import OfficerSettings

__all__ = ["ClaimsSettings"]


class ClaimsSettings(OfficerSettings):
    """The insurer's claims service; every variable is :class:`OfficerSettings`' with the
    prefix ``QC_CLAIMS_`` (``QC_CLAIMS_OPERATOR_TOKEN``, ``QC_CLAIMS_SM2_KEY_FILE``, ...)."""

    model_config = SettingsConfigDict(env_prefix="QC_CLAIMS_", env_file=".env", extra="ignore")

    port: int = Field(default=8800, ge=1, le=65535)
    database_url: str = "sqlite:///var/claims/claims.db"
    institution_code: str = "ins.qilu"
