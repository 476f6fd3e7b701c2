"""寿险身故理赔 (life claims): death registration against the policy.

Rules (the worst finding decides):

1. No death registered inside the grant's data period: REJECT.
2. A death outside the policy's term: REJECT.
3. An underlying cause on the policy's exclusion list (by default 故意自伤 X60-X84):
   REFER, for the officer to apply the exclusion clause and its time limits.
4. A death from disease within the waiting period after the policy started: REFER.
5. Otherwise APPROVE the sum insured.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

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

KIND = "life_claim"
DEATH = "death.registration"
NEEDS: dict[str, tuple[str, ...]] = {
    DEATH: ("deceased", "death_date", "cause_category", "underlying_cause_icd10", "certificate_no"),
}
#: ICD-10 categories of intentional self-harm (故意自伤), excluded by most life policies.
SELF_HARM = tuple(f"X{n}" for n in range(60, 85))
ACCIDENTAL_CAUSES = ("交通事故", "其他意外伤害")


class LifeClaim(BaseModel):
    """A death claim on a life policy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_no: str = Field(min_length=1, max_length=64)
    policy_start: date
    policy_end: date
    sum_insured_fen: int = Field(gt=0, description="基本保险金额")
    waiting_period_days: int = Field(default=90, ge=0, description="疾病身故等待期")
    excluded_icd10: tuple[str, ...] = Field(
        default=SELF_HARM, description="除外的根本死因（ICD-10 前缀）"
    )

    @model_validator(mode="after")
    def _term(self) -> LifeClaim:
        if self.policy_end < self.policy_start:
            raise ValueError("policy_end must not be before policy_start")
        return self


def icd10_matches(code: str, prefixes: Iterable[str]) -> bool:
    """Whether an ICD-10 code falls under one of the prefixes (``C34.9`` under ``C34``)."""
    return any(code.upper().startswith(p.upper()) for p in prefixes)


def decide_life_claim(claim: LifeClaim, answers: Iterable[Evidence | NoRecord]) -> Decision:
    """Decide a death claim from the ``death.registration`` answer."""
    evidence = EvidenceSet(KIND, answers, tuple(NEEDS))
    death = evidence.values(DEATH, NEEDS[DEATH])
    findings = Findings.of(evidence)
    if not death["deceased"]:
        findings.add(S.REJECT, "NO_DEATH_RECORD", "授权期间内无被保险人死亡登记")
        return findings.decide(KIND, 0, evidence)
    died = date.fromisoformat(death["death_date"])
    cause, icd = death["cause_category"], death["underlying_cause_icd10"]
    if not claim.policy_start <= died <= claim.policy_end:
        findings.add(
            S.REJECT,
            "DEATH_OUTSIDE_POLICY_TERM",
            f"死亡日期 {died.isoformat()} 不在保险期间 {claim.policy_start.isoformat()}"
            f" 至 {claim.policy_end.isoformat()} 内",
        )
    if icd10_matches(icd, claim.excluded_icd10):
        findings.add(
            S.REFER, "CAUSE_EXCLUDED", f"根本死因 {icd}（{cause}）属于责任免除范围，需人工核定"
        )
    waiting_ends = claim.policy_start + timedelta(days=claim.waiting_period_days)
    if cause not in ACCIDENTAL_CAUSES and died < waiting_ends:
        findings.add(
            S.REFER, "WAITING_PERIOD", f"等待期（至 {waiting_ends.isoformat()}）内因疾病身故"
        )
    if findings.worst is S.INFO:
        findings.add(
            S.INFO,
            "DEATH_CONFIRMED",
            f"死亡医学证明 {death['certificate_no']}：{died.isoformat()} 因{cause}（{icd}）"
            f"身故，给付身故保险金 {yuan(claim.sum_insured_fen)}",
        )
    return findings.decide(KIND, claim.sum_insured_fen, evidence)
