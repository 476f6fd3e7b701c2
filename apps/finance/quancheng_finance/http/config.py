"""Settings of the credit service, from ``QC_CREDIT_*`` environment variables (or ``.env``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from quancheng_appkit.officer.settings import OfficerSettings

__all__ = ["CreditSettings"]


class CreditSettings(OfficerSettings):
    """The bank's credit service; every variable is :class:`OfficerSettings`' with the
    prefix ``QC_CREDIT_`` (``QC_CREDIT_OPERATOR_TOKEN``, ``QC_CREDIT_SM2_KEY_FILE``, ...)."""

    model_config = SettingsConfigDict(env_prefix="QC_CREDIT_", env_file=".env", extra="ignore")

    port: int = Field(default=8810, ge=1, le=65535)
    database_url: str = "sqlite:///var/credit/credit.db"
    institution_code: str = "bank.quancheng"
