"""The claims service's app: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from sqlalchemy import Engine

from quancheng.client import ConsumerClient
from quancheng_appkit.officer.app import ServiceSpec, create_officer_app
from quancheng_appkit.officer.runner import CaseKind, RecordingClient
from quancheng_insurance.claims import (
    GRANT_TEMPLATES,
    ClaimDecision,
    ClaimsService,
    LifeClaim,
    MedicalClaim,
    MotorClaim,
)
from quancheng_insurance.http.api import router
from quancheng_insurance.http.config import ClaimsSettings
from quancheng_insurance.http.models import ClaimCase, ClaimReceipt

__all__ = ["LABELS", "SPEC", "app_from_env", "create_app", "make_kinds"]

#: The claim inputs as the officer's form names them.
LABELS = {
    "claim_no": "案件号",
    "plate_no": "号牌号码",
    "accident_date": "出险日期",
    "assessed_loss_fen": "定损金额（分）",
    "policy_limit_fen": "保险金额（分）",
    "deductible_fen": "免赔额（分）",
    "policy_start": "保险起期",
    "policy_end": "保险止期",
    "sum_insured_fen": "基本保险金额（分）",
    "waiting_period_days": "疾病身故等待期（天）",
    "excluded_icd10": "除外的 ICD-10 前缀（逗号分隔）",
    "reimbursement_bp": "赔付比例（万分比，10000 即 100%）",
    "limit_fen": "赔付限额（分）",
    "inpatient_only": "仅保障住院费用",
}


def make_kinds(client: RecordingClient, engine: Engine) -> Mapping[str, CaseKind]:
    """The three kinds of claim, decided by the Python API's :class:`ClaimsService`."""
    service = ClaimsService(client, engine)
    return {
        "motor_claim": CaseKind(GRANT_TEMPLATES["motor_claim"], MotorClaim, "claim_no",
                                service.settle_motor_claim, LABELS),
        "life_claim": CaseKind(GRANT_TEMPLATES["life_claim"], LifeClaim, "claim_no",
                               service.settle_life_claim, LABELS),
        "medical_claim": CaseKind(GRANT_TEMPLATES["medical_claim"], MedicalClaim, "claim_no",
                                  service.settle_medical_claim, LABELS),
    }  # fmt: skip


SPEC = ServiceSpec(
    api_title="泉城链 claims service (政保通 / 保医通)",
    page_title="理赔审核",
    noun="claim",
    collection="/v1/claims",
    cases=ClaimCase,
    receipts=ClaimReceipt,
    decisions=ClaimDecision,
    make_kinds=make_kinds,
    router=router,
)


def create_app(
    settings: ClaimsSettings | None = None, *, client: ConsumerClient | None = None
) -> FastAPI:
    """The claims service (``client``: the insurer's, made from the settings if omitted)."""
    return create_officer_app(settings or ClaimsSettings(), SPEC, client=client)


def app_from_env() -> FastAPI:
    """The app configured by ``QC_CLAIMS_*``."""
    return create_app()
