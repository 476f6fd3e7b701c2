"""小微企业信用贷款 (SME credit, 税易贷 style) from tax, social-security, utility and
market-regulation indicators.

Hard rules REJECT whatever the score: the business is not 存续 at the period's end, its
licence was revoked, its latest tax credit rating is D, or it owes tax (欠税).  Unfulfilled
penalties, social-security arrears, unpaid utility bills or a missing tax rating REFER.

The score (0-1000) adds up, with one reason per factor:

=============================  ===========================================  ====
factor                         points                                       max
=============================  ===========================================  ====
latest tax credit rating       A 250, B 180, M 120, C 40, D 0, none 80      250
tax paid, last 12 months       ≥50万 150, ≥10万 120, ≥2万 80, >0 40           150
tax trend (12 m vs the 12 m    ≥90% 50, ≥70% 25, else 0; no earlier year 25  50
before)
months with tax paid           ≥22 50, ≥12 30, else 0                        50
insured headcount (latest)     ≥10 100, ≥3 70, ≥1 40, 0 → 0                 100
headcount stability (min/max)  ≥80% 100, ≥50% 50, else 0                    100
utilities paid on time         on-time ‰ × 150 ÷ 1000; no bills 75          150
administrative penalties       none 100, one 50, more 0                     100
years since establishment      ≥5 50, ≥2 30, else 10                         50
=============================  ===========================================  ====

APPROVE needs a score of 700 and no REFER finding; 500-699 REFERs; below 500 REJECTs.
The limit is the tax paid over the last 12 months times the rating's multiple (A 10,
B 6, M 3, C or none 2), at most 300万元 and at most the amount applied for, rounded down
to 1,000 元.  A limit of 0 cannot be approved: it REFERs.
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

KIND = "sme_credit"
REGISTRATION, PENALTY = "business.registration", "business.penalty"
RATING, PAYMENT = "tax.credit_rating", "tax.payment"
EMPLOYER, UTILITY = "social.employer", "utility.business"
#: The DERIVED indicators the decision reads from each resource.
NEEDS: dict[str, tuple[str, ...]] = {
    REGISTRATION: ("operating", "years_established"),
    PENALTY: ("penalties_count", "unfulfilled_count", "licence_revoked"),
    RATING: ("latest_rating",),
    PAYMENT: (
        "tax_paid_12m_fen",
        "tax_paid_total_fen",
        "months_paid",
        "arrears",
        "arrears_total_fen",
    ),
    EMPLOYER: ("headcount_latest", "headcount_min", "headcount_max", "months_with_arrears"),
    UTILITY: ("on_time_ratio_pm", "arrears"),
}
APPROVE_AT, REFER_AT = 700, 500
LIMIT_CAP_FEN = 300_000_000  # 300万元
LIMIT_STEP_FEN = 100_000  # 1,000 元
RATING_POINTS = {"A": 250, "B": 180, "M": 120, "C": 40, "D": 0}
RATING_MULTIPLE = {"A": 10, "B": 6, "M": 3, "C": 2}
_NO_RATING_POINTS, _NO_RATING_MULTIPLE = 80, 2


class SmeApplication(BaseModel):
    """A small business's credit application."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application_no: str = Field(min_length=1, max_length=64)
    requested_fen: int = Field(gt=0, description="申请额度")


@dataclass(frozen=True)
class SmeFacts:
    """The indicators the decision reads, typed (absent counts read as 0)."""

    operating: bool
    years_established: int
    penalties: int
    unfulfilled_penalties: int
    licence_revoked: bool
    rating: str | None
    tax_paid_12m_fen: int
    tax_paid_total_fen: int
    months_paid: int
    tax_arrears: bool
    tax_arrears_fen: int
    headcount_latest: int
    headcount_min: int
    headcount_max: int
    months_with_social_arrears: int
    utility_on_time_pm: int | None
    utility_arrears: bool

    @classmethod
    def read(cls, e: EvidenceSet) -> SmeFacts:
        """The facts of the answers in ``e``."""
        return cls(
            operating=e.flag(REGISTRATION, "operating") is True,
            years_established=e.number(REGISTRATION, "years_established") or 0,
            penalties=e.number(PENALTY, "penalties_count") or 0,
            unfulfilled_penalties=e.number(PENALTY, "unfulfilled_count") or 0,
            licence_revoked=e.flag(PENALTY, "licence_revoked") is True,
            rating=e.text(RATING, "latest_rating"),
            tax_paid_12m_fen=e.number(PAYMENT, "tax_paid_12m_fen") or 0,
            tax_paid_total_fen=e.number(PAYMENT, "tax_paid_total_fen") or 0,
            months_paid=e.number(PAYMENT, "months_paid") or 0,
            tax_arrears=e.flag(PAYMENT, "arrears") is True,
            tax_arrears_fen=e.number(PAYMENT, "arrears_total_fen") or 0,
            headcount_latest=e.number(EMPLOYER, "headcount_latest") or 0,
            headcount_min=e.number(EMPLOYER, "headcount_min") or 0,
            headcount_max=e.number(EMPLOYER, "headcount_max") or 0,
            months_with_social_arrears=e.number(EMPLOYER, "months_with_arrears") or 0,
            utility_on_time_pm=e.number(UTILITY, "on_time_ratio_pm"),
            utility_arrears=e.flag(UTILITY, "arrears") is True,
        )


def _tiers(value: int, tiers: Iterable[tuple[int, int]], otherwise: int = 0) -> int:
    """The points of the first tier whose threshold ``value`` reaches."""
    return next((points for threshold, points in tiers if value >= threshold), otherwise)


def decide_sme_credit(
    application: SmeApplication, answers: Iterable[Evidence | NoRecord]
) -> Decision:
    """Score an SME application and set its limit from the six resources of ``NEEDS``."""
    evidence = EvidenceSet(KIND, answers, tuple(NEEDS))
    f = SmeFacts.read(evidence)
    findings = Findings.of(evidence)
    _hard_rules(f, findings)
    score = _tax_score(f, findings) + _staff_score(f, findings) + _conduct_score(f, findings)
    multiple = RATING_MULTIPLE.get(f.rating or "", _NO_RATING_MULTIPLE)
    limit = (
        min(f.tax_paid_12m_fen * multiple, LIMIT_CAP_FEN, application.requested_fen)
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
        findings.add(S.REFER, "NO_LIMIT_BASIS", "近12个月无已缴税款，无法按税额核定额度")
    elif findings.worst is S.INFO:
        findings.add(
            S.INFO,
            "APPROVED",
            f"综合评分 {score}，核定额度 {yuan(limit)}"
            f"（近12个月纳税额 × {multiple}，上限 {yuan(LIMIT_CAP_FEN)}）",
        )
    return findings.decide(KIND, limit, evidence, score=score)


def _hard_rules(f: SmeFacts, findings: Findings) -> None:
    if not f.operating:
        findings.add(S.REJECT, "BUSINESS_NOT_OPERATING", "企业登记状态非存续")
    if f.licence_revoked:
        findings.add(S.REJECT, "LICENCE_REVOKED", "期间内被吊销营业执照")
    if f.rating == "D":
        findings.add(S.REJECT, "TAX_RATING_D", "最近一次纳税信用等级为 D 级")
    if f.tax_arrears:
        findings.add(S.REJECT, "TAX_ARREARS", f"存在欠税 {yuan(f.tax_arrears_fen)}")
    if f.rating is None:
        findings.add(S.REFER, "NO_TAX_RATING", "期间内无纳税信用评价结果")
    if f.unfulfilled_penalties:
        findings.add(S.REFER, "PENALTY_UNFULFILLED", f"{f.unfulfilled_penalties} 项行政处罚未履行")
    if f.months_with_social_arrears:
        findings.add(
            S.REFER, "SOCIAL_SECURITY_ARREARS", f"{f.months_with_social_arrears} 个月存在社保欠缴"
        )
    if f.utility_arrears:
        findings.add(S.REFER, "UTILITY_ARREARS", "存在未缴的水电气费用")


def _tax_score(f: SmeFacts, findings: Findings) -> int:
    rating_pts = RATING_POINTS.get(f.rating or "", _NO_RATING_POINTS)
    findings.add(S.INFO, "TAX_RATING", f"纳税信用等级 {f.rating or '无'}（+{rating_pts}）")
    paid = f.tax_paid_12m_fen
    paid_pts = _tiers(paid, ((50_000_000, 150), (10_000_000, 120), (2_000_000, 80), (1, 40)))
    findings.add(S.INFO, "TAX_PAID_12M", f"近12个月已缴税款 {yuan(paid)}（+{paid_pts}）")
    earlier = f.tax_paid_total_fen - paid
    trend_pm = paid * 1000 // earlier if earlier > 0 else None
    trend_pts = 25 if trend_pm is None else _tiers(trend_pm, ((900, 50), (700, 25)))
    trend = "（无此前12个月数据）" if trend_pm is None else f"为此前12个月的 {trend_pm // 10}%"
    findings.add(S.INFO, "TAX_TREND", f"近12个月纳税额{trend}（+{trend_pts}）")
    months_pts = _tiers(f.months_paid, ((22, 50), (12, 30)))
    findings.add(S.INFO, "TAX_MONTHS_PAID", f"{f.months_paid} 个所属月有已缴税款（+{months_pts}）")
    return rating_pts + paid_pts + trend_pts + months_pts


def _staff_score(f: SmeFacts, findings: Findings) -> int:
    size_pts = _tiers(f.headcount_latest, ((10, 100), (3, 70), (1, 40)))
    findings.add(S.INFO, "HEADCOUNT", f"期末参保职工 {f.headcount_latest} 人（+{size_pts}）")
    stability_pm = f.headcount_min * 1000 // f.headcount_max if f.headcount_max else 0
    stability_pts = _tiers(stability_pm, ((800, 100), (500, 50)))
    findings.add(
        S.INFO,
        "HEADCOUNT_STABILITY",
        f"期间内参保人数 {f.headcount_min}-{f.headcount_max} 人（+{stability_pts}）",
    )
    return size_pts + stability_pts


def _conduct_score(f: SmeFacts, findings: Findings) -> int:
    ratio = f.utility_on_time_pm
    utility_pts = 75 if ratio is None else ratio * 150 // 1000
    shown = "无账单" if ratio is None else f"按时缴费率 {ratio / 10:g}%"
    findings.add(S.INFO, "UTILITY_PAYMENT", f"水电气{shown}（+{utility_pts}）")
    penalty_pts = {0: 100, 1: 50}.get(f.penalties, 0)
    findings.add(S.INFO, "PENALTIES", f"期间内行政处罚 {f.penalties} 次（+{penalty_pts}）")
    years_pts = _tiers(f.years_established, ((5, 50), (2, 30)), otherwise=10)
    findings.add(S.INFO, "YEARS_ESTABLISHED", f"成立 {f.years_established} 年（+{years_pts}）")
    return utility_pts + penalty_pts + years_pts
