"""个人信用贷款 (personal credit) from social-security, housing-fund and utility indicators.

Hard rules: three or more months of social-security arrears REJECT; one or two months, or
an unpaid utility bill, REFER.

The score (0-1000), one reason per factor:

=================================  =========================================  ====
factor                             points                                     max
=================================  =========================================  ====
social security, continuous months min(months, 24) × 300 ÷ 24                  300
social security, latest base       ≥10,000元 150, ≥6,000元 110, >0 60, none 0   150
housing fund, continuous months    min(months, 24) × 200 ÷ 24                  200
utilities paid on time             on-time ‰ × 200 ÷ 1000; no bills 100        200
no social-security arrears         75                                          75
no housing-fund arrears            75                                          75
=================================  =========================================  ====

APPROVE needs 650 and no REFER finding; 450-649 REFERs; below 450 REJECTs.  The limit is
the higher of the two latest bases (a proxy of monthly income) times 12 for a score of
850 or more, 8 otherwise (4 for a REFER), at most 30万元 and at most the amount applied
for, rounded down to 100 元.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from quancheng_appkit.decision import (
    Decision,
    Evidence,
    EvidenceSet,
    Findings,
    NoRecord,
    yuan,
)
from quancheng_appkit.decision import Severity as S

KIND = "personal_credit"
SOCIAL, FUND, UTILITY = "social.contribution", "housing.fund", "utility.payment"
NEEDS: dict[str, tuple[str, ...]] = {
    SOCIAL: ("continuous_months", "arrears_months", "latest_base_fen", "months_contributed"),
    FUND: ("continuous_months", "arrears_months", "latest_base_fen"),
    UTILITY: ("on_time_ratio_pm", "arrears", "arrears_count"),
}
APPROVE_AT, REFER_AT, PRIME_AT = 650, 450, 850
LIMIT_CAP_FEN = 30_000_000  # 30万元
LIMIT_STEP_FEN = 10_000  # 100 元
FULL_HISTORY_MONTHS = 24


class PersonalApplication(BaseModel):
    """A person's application for a consumer credit line."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application_no: str = Field(min_length=1, max_length=64)
    requested_fen: int = Field(gt=0, description="申请额度")


@dataclass(frozen=True)
class PersonalFacts:
    """The indicators the decision reads, typed (absent counts read as 0)."""

    social_continuous: int
    social_contributed: int
    social_arrears: int
    social_base_fen: int | None
    fund_continuous: int
    fund_arrears: int
    fund_base_fen: int | None
    utility_on_time_pm: int | None
    utility_arrears: bool
    utility_arrears_count: int

    @classmethod
    def read(cls, e: EvidenceSet) -> PersonalFacts:
        """The facts of the answers in ``e``."""
        return cls(
            social_continuous=e.number(SOCIAL, "continuous_months") or 0,
            social_contributed=e.number(SOCIAL, "months_contributed") or 0,
            social_arrears=e.number(SOCIAL, "arrears_months") or 0,
            social_base_fen=e.number(SOCIAL, "latest_base_fen"),
            fund_continuous=e.number(FUND, "continuous_months") or 0,
            fund_arrears=e.number(FUND, "arrears_months") or 0,
            fund_base_fen=e.number(FUND, "latest_base_fen"),
            utility_on_time_pm=e.number(UTILITY, "on_time_ratio_pm"),
            utility_arrears=e.flag(UTILITY, "arrears") is True,
            utility_arrears_count=e.number(UTILITY, "arrears_count") or 0,
        )


def decide_personal_credit(
    application: PersonalApplication, answers: Iterable[Evidence | NoRecord]
) -> Decision:
    """Score a personal application and set its limit from the three resources of ``NEEDS``."""
    evidence = EvidenceSet(KIND, answers, tuple(NEEDS))
    f = PersonalFacts.read(evidence)
    findings = Findings.of(evidence)
    if f.social_arrears >= 3:
        findings.add(S.REJECT, "SOCIAL_SECURITY_ARREARS", f"社保欠缴 {f.social_arrears} 个月")
    elif f.social_arrears:
        findings.add(S.REFER, "SOCIAL_SECURITY_ARREARS", f"社保欠缴 {f.social_arrears} 个月")
    if f.utility_arrears:
        findings.add(S.REFER, "UTILITY_ARREARS", f"水电气欠费 {f.utility_arrears_count} 笔")
    score = _score(f, findings)
    income = max(f.social_base_fen or 0, f.fund_base_fen or 0)
    multiple = 12 if score >= PRIME_AT else 8 if score >= APPROVE_AT else 4
    limit = (
        min(income * multiple, LIMIT_CAP_FEN, application.requested_fen)
        // LIMIT_STEP_FEN
        * LIMIT_STEP_FEN
    )
    if score < REFER_AT:
        findings.add(S.REJECT, "SCORE_TOO_LOW", f"综合评分 {score} 低于 {REFER_AT}")
    elif score < APPROVE_AT:
        findings.add(
            S.REFER, "SCORE_BORDERLINE", f"综合评分 {score}，介于 {REFER_AT} 与 {APPROVE_AT} 之间"
        )
    if limit == 0:
        findings.add(S.REFER, "NO_LIMIT_BASIS", "无社保或公积金缴费基数，无法核定额度")
    elif findings.worst is S.INFO:
        findings.add(
            S.INFO,
            "APPROVED",
            f"综合评分 {score}，核定额度 {yuan(limit)}"
            f"（缴费基数 {yuan(income)} × {multiple}，上限 {yuan(LIMIT_CAP_FEN)}）",
        )
    return findings.decide(KIND, limit, evidence, score=score)


def _score(f: PersonalFacts, findings: Findings) -> int:
    social_pts = min(f.social_continuous, FULL_HISTORY_MONTHS) * 300 // FULL_HISTORY_MONTHS
    findings.add(
        S.INFO,
        "SOCIAL_SECURITY_CONTINUITY",
        f"社保连续缴费 {f.social_continuous} 个月（期间内共 {f.social_contributed} 个月）"
        f"（+{social_pts}）",
    )
    base = f.social_base_fen
    base_pts = 0 if base is None else 150 if base >= 1_000_000 else 110 if base >= 600_000 else 60
    shown = "无" if base is None else yuan(base)
    findings.add(S.INFO, "SOCIAL_SECURITY_BASE", f"最近缴费基数 {shown}（+{base_pts}）")
    fund_pts = min(f.fund_continuous, FULL_HISTORY_MONTHS) * 200 // FULL_HISTORY_MONTHS
    findings.add(
        S.INFO, "HOUSING_FUND_CONTINUITY", f"公积金连续缴存 {f.fund_continuous} 个月（+{fund_pts}）"
    )
    ratio = f.utility_on_time_pm
    utility_pts = 100 if ratio is None else ratio * 200 // 1000
    shown = "无账单" if ratio is None else f"按时缴费率 {ratio / 10:g}%"
    findings.add(S.INFO, "UTILITY_PAYMENT", f"水电气{shown}（+{utility_pts}）")
    clean_pts = (75 if not f.social_arrears else 0) + (75 if not f.fund_arrears else 0)
    findings.add(
        S.INFO,
        "NO_ARREARS",
        f"社保欠缴 {f.social_arrears} 个月、公积金欠缴 {f.fund_arrears} 个月（+{clean_pts}）",
    )
    return social_pts + base_pts + fund_pts + utility_pts + clean_pts
