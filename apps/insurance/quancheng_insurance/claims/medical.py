"""商业医疗险理赔 (commercial medical claims): paying what basic medical insurance did not.

The insured's basic medical-insurance settlements replace paper invoices.  A settlement is
*covered* if it was settled within the policy's term, is an inpatient stay when the policy
covers inpatient care only, and its diagnosis is not excluded.  Then::

    payout = min(limit, max(0, Σ personal_paid_fen − deductible) × ratio_bp ÷ 10000)

rounded down to the fen.  No covered settlement REJECTs; a sum under the deductible
REJECTs; otherwise APPROVE the payout.  ``personal_paid_fen`` is what the insured bore
after the fund and catastrophic-illness insurance.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from quancheng_appkit.decision import (
    Decision,
    Evidence,
    EvidenceSet,
    Findings,
    NoRecord,
    yuan,
)
from quancheng_appkit.decision import Severity as S
from quancheng_insurance.claims.life import icd10_matches

KIND = "medical_claim"
SETTLEMENT = "medical.settlement"
NEEDS: dict[str, tuple[str, ...]] = {
    SETTLEMENT: (
        "settlement_no",
        "hospital_name",
        "visit_type",
        "settlement_date",
        "icd10_code",
        "diagnosis",
        "total_cost_fen",
        "fund_paid_fen",
        "catastrophic_paid_fen",
        "personal_paid_fen",
    ),
}


class MedicalClaim(BaseModel):
    """A claim on a commercial medical policy (百万医疗 / 惠民保 style)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_no: str = Field(min_length=1, max_length=64)
    policy_start: date
    policy_end: date
    deductible_fen: int = Field(ge=0, description="年度免赔额")
    reimbursement_bp: int = Field(gt=0, le=10_000, description="赔付比例（万分比）")
    limit_fen: int = Field(gt=0, description="保险金额（赔付限额）")
    inpatient_only: bool = Field(default=True, description="仅保障住院医疗费用")
    excluded_icd10: tuple[str, ...] = Field(default=(), description="除外的诊断（ICD-10 前缀）")

    @model_validator(mode="after")
    def _term(self) -> MedicalClaim:
        if self.policy_end < self.policy_start:
            raise ValueError("policy_end must not be before policy_start")
        return self


def covered_settlements(
    claim: MedicalClaim, settlements: Iterable[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split settlements into (covered, excluded by diagnosis); others are out of scope."""
    covered: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    for s in settlements:
        if not claim.policy_start <= date.fromisoformat(s["settlement_date"]) <= claim.policy_end:
            continue
        if claim.inpatient_only and s["visit_type"] != "住院":
            continue
        (excluded if icd10_matches(s["icd10_code"], claim.excluded_icd10) else covered).append(s)
    return covered, excluded


def decide_medical_claim(claim: MedicalClaim, answers: Iterable[Evidence | NoRecord]) -> Decision:
    """Decide a medical claim from the ``medical.settlement`` answer."""
    evidence = EvidenceSet(KIND, answers, tuple(NEEDS))
    covered, excluded = covered_settlements(claim, evidence.records(SETTLEMENT, NEEDS[SETTLEMENT]))
    findings = Findings.of(evidence)
    for s in excluded:
        findings.add(
            S.INFO,
            "SETTLEMENT_EXCLUDED",
            f"结算单 {s['settlement_no']}（{s['diagnosis']} {s['icd10_code']}）属除外责任",
        )
    if not covered:
        scope = "住院" if claim.inpatient_only else ""
        findings.add(
            S.REJECT, "NO_COVERED_SETTLEMENT", f"保险期间内无属于保障范围的{scope}医保结算记录"
        )
        return findings.decide(KIND, 0, evidence)
    personal = sum(int(s["personal_paid_fen"]) for s in covered)
    payable = max(0, personal - claim.deductible_fen) * claim.reimbursement_bp // 10_000
    payout = min(payable, claim.limit_fen)
    if payout == 0:
        findings.add(
            S.REJECT,
            "BELOW_DEDUCTIBLE",
            f"个人负担合计 {yuan(personal)} 未超过免赔额 {yuan(claim.deductible_fen)}",
        )
        return findings.decide(KIND, 0, evidence)
    numbers = "、".join(s["settlement_no"] for s in covered)
    findings.add(
        S.INFO,
        "MEDICAL_PAYABLE",
        f"{len(covered)} 笔医保结算（{numbers}）个人负担合计 {yuan(personal)}，扣除免赔额 "
        f"{yuan(claim.deductible_fen)} 后按 {claim.reimbursement_bp / 100:g}% 赔付 {yuan(payable)}",
    )
    if payable > payout:
        findings.add(S.INFO, "LIMIT_APPLIED", f"超过保险金额，按限额 {yuan(payout)} 赔付")
    return findings.decide(KIND, payout, evidence)
