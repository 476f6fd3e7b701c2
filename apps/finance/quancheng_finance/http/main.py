"""The credit service's app: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from sqlalchemy import Engine

from quancheng.client import ConsumerClient
from quancheng_appkit.officer.app import ServiceSpec, create_officer_app
from quancheng_appkit.officer.runner import CaseKind, RecordingClient
from quancheng_finance.credit import (
    GRANT_TEMPLATES,
    CreditDecision,
    CreditService,
    PersonalApplication,
    SmeApplication,
)
from quancheng_finance.http.api import router
from quancheng_finance.http.config import CreditSettings
from quancheng_finance.http.models import CreditCase, CreditReceipt

__all__ = ["LABELS", "SPEC", "app_from_env", "create_app", "make_kinds"]

#: The application inputs as the officer's form names them.
LABELS = {"application_no": "申请编号", "requested_fen": "申请额度（分）"}


def make_kinds(client: RecordingClient, engine: Engine) -> Mapping[str, CaseKind]:
    """The two credit products, decided by the Python API's :class:`CreditService`."""
    service = CreditService(client, engine)
    return {
        "sme_credit": CaseKind(GRANT_TEMPLATES["sme_credit"], SmeApplication, "application_no",
                               service.assess_sme, LABELS),
        "personal_credit": CaseKind(GRANT_TEMPLATES["personal_credit"], PersonalApplication,
                                    "application_no", service.assess_personal, LABELS),
    }  # fmt: skip


SPEC = ServiceSpec(
    api_title="泉城链 credit service (普惠金融)",
    page_title="授信审批",
    noun="application",
    collection="/v1/applications",
    cases=CreditCase,
    receipts=CreditReceipt,
    decisions=CreditDecision,
    make_kinds=make_kinds,
    router=router,
)


def create_app(
    settings: CreditSettings | None = None, *, client: ConsumerClient | None = None
) -> FastAPI:
    """The credit service (``client``: the bank's, made from the settings if omitted)."""
    return create_officer_app(settings or CreditSettings(), SPEC, client=client)


def app_from_env() -> FastAPI:
    """The app configured by ``QC_CREDIT_*``."""
    return create_app()
