"""机动车商业保险理赔 (motor claims): vehicle, driver's licence and drink-driving checks.

Rules, in the order an officer would check them (the worst finding decides):

1. The plate must be registered to the claimant (the grant's owner): otherwise REJECT.
   Status 正常 passes; 抵押 and 查封 REFER (the mortgagee or the court has a say in who is
   paid); 盗抢 REFER (a theft claim, handled apart); 报废 REJECT.  An inspection that had
   expired on the accident day REFERs (未按规定检验 may exempt the insurer).
2. The claimant must hold a licence in status 正常, valid on the accident day, whose class
   permits the vehicle: none, 吊销, 暂扣, 注销, expired or a wrong class REJECT (无证驾驶).
   A C2 (automatic only) licence with a petrol car REFERs: the gearbox is not on record.
3. Any 饮酒驾驶 or 醉酒驾驶 record inside the grant's data period REJECTs (法定免责).
4. Otherwise APPROVE the assessed loss less the deductible, capped at the policy limit.

Statuses are the department's current ones: the registry keeps no history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

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

KIND = "motor_claim"
REGISTRATION, LICENCE, VIOLATION = "vehicle.registration", "driving.licence", "traffic.violation"
#: The RAW fields the decision reads from each resource (the grant template asks for these).
NEEDS: dict[str, tuple[str, ...]] = {
    REGISTRATION: (
        "plate_no",
        "vehicle_type",
        "energy_type",
        "inspection_valid_until",
        "status",
        "mortgagee",
    ),
    LICENCE: ("holds_licence", "licence_class", "status", "valid_until"),
    VIOLATION: ("occurred_at", "category"),
}

#: 准驾车型: the classes each licence class permits (机动车驾驶证申领和使用规定).
PERMITS: dict[str, frozenset[str]] = {
    k: frozenset(v.split())
    for k, v in {
        "A1": "A1 A3 B1 B2 C1 C2 C3 C4 M",
        "A2": "A2 B1 B2 C1 C2 C3 C4 M",
        "A3": "A3 C1 C2 C3 C4",
        "B1": "B1 C1 C2 C3 C4 M",
        "B2": "B2 C1 C2 C3 C4 M",
        "C1": "C1 C2 C3 C4",
        "C2": "C2",
        "C3": "C3 C4",
        "C4": "C4",
        "D": "D E F",
        "E": "E F",
        "F": "F",
    }.items()
}
#: Vehicle types driven on a C-class licence (小型、微型载客汽车).
SMALL_PASSENGER = frozenset(
    {"小型轿车", "小型普通客车", "微型轿车", "小型越野客车", "微型普通客车"}
)
#: New-energy cars have no manual gearbox, so a C2 licence is enough for them.
AUTOMATIC_ONLY_ENERGY = frozenset({"纯电动", "插电式混合动力"})
_VEHICLE_STATUS = {
    "抵押": (S.REFER, "VEHICLE_MORTGAGED", "车辆处于抵押状态（抵押权人：{m}），需确认赔款支付对象"),
    "查封": (S.REFER, "VEHICLE_SEIZED", "车辆已被查封，需人工核实"),
    "盗抢": (S.REFER, "VEHICLE_REPORTED_STOLEN", "车辆登记为盗抢状态，按盗抢险另行处理"),
    "报废": (S.REJECT, "VEHICLE_SCRAPPED", "车辆已登记报废"),
}
_LICENCE_STATUS = {
    "吊销": ("LICENCE_REVOKED", "驾驶证已被吊销（无证驾驶，保险人不负责赔偿）"),
    "暂扣": ("LICENCE_SUSPENDED", "驾驶证被暂扣（无证驾驶，保险人不负责赔偿）"),
    "注销": ("LICENCE_CANCELLED", "驾驶证已注销（无证驾驶，保险人不负责赔偿）"),
}


class MotorClaim(BaseModel):
    """A motor claim as the insurer's system files it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_no: str = Field(min_length=1, max_length=64)
    plate_no: str = Field(min_length=1, max_length=10)
    accident_date: date
    assessed_loss_fen: int = Field(ge=0, description="定损金额")
    policy_limit_fen: int = Field(gt=0, description="保险金额（责任限额）")
    deductible_fen: int = Field(default=0, ge=0, description="绝对免赔额")


def decide_motor_claim(claim: MotorClaim, answers: Iterable[Evidence | NoRecord]) -> Decision:
    """Decide a motor claim from the answers of ``NEEDS``'s three resources."""
    evidence = EvidenceSet(KIND, answers, tuple(NEEDS))
    findings = Findings.of(evidence)
    vehicle = _vehicle(claim, evidence, findings)
    _licence(claim, vehicle, evidence, findings)
    _drink_driving(evidence, findings)
    payable = max(0, claim.assessed_loss_fen - claim.deductible_fen)
    payout = min(payable, claim.policy_limit_fen)
    if findings.worst is S.INFO:
        findings.add(
            S.INFO,
            "CHECKS_PASSED",
            f"车辆 {claim.plate_no} 登记正常、驾驶证有效、期间内无酒驾记录：赔付 {yuan(payout)}",
        )
    if payable > claim.policy_limit_fen:
        findings.add(
            S.INFO,
            "LIMIT_APPLIED",
            f"定损扣除免赔后 {yuan(payable)}，超过保险金额，按 {yuan(payout)} 赔付",
        )
    return findings.decide(KIND, payout, evidence)


def _vehicle(claim: MotorClaim, evidence: EvidenceSet, findings: Findings) -> dict[str, Any] | None:
    vehicles = [
        v
        for v in evidence.records(REGISTRATION, NEEDS[REGISTRATION])
        if v["plate_no"] == claim.plate_no
    ]
    if not vehicles:
        findings.add(
            S.REJECT,
            "VEHICLE_NOT_REGISTERED_TO_CLAIMANT",
            f"号牌 {claim.plate_no} 未登记在申请人名下",
        )
        return None
    vehicle = vehicles[0]
    if vehicle["status"] in _VEHICLE_STATUS:
        severity, code, text = _VEHICLE_STATUS[vehicle["status"]]
        findings.add(severity, code, text.format(m=vehicle["mortgagee"] or "未登记"))
    elif vehicle["status"] != "正常":
        findings.add(
            S.REFER, "VEHICLE_STATUS_UNKNOWN", f"车辆状态为“{vehicle['status']}”，需人工核实"
        )
    until = date.fromisoformat(vehicle["inspection_valid_until"])
    if until < claim.accident_date:
        findings.add(
            S.REFER,
            "INSPECTION_OVERDUE",
            f"事故发生时车辆检验已过期（有效期至 {until.isoformat()}）",
        )
    return vehicle


def _licence(
    claim: MotorClaim, vehicle: dict[str, Any] | None, evidence: EvidenceSet, findings: Findings
) -> None:
    lic = evidence.values(LICENCE, NEEDS[LICENCE])
    if not lic["holds_licence"]:
        findings.add(S.REJECT, "NO_LICENCE", "申请人无机动车驾驶证记录（无证驾驶）")
        return
    if lic["status"] in _LICENCE_STATUS:
        code, text = _LICENCE_STATUS[lic["status"]]
        findings.add(S.REJECT, code, text)
    elif lic["status"] != "正常":
        findings.add(
            S.REFER, "LICENCE_STATUS_UNKNOWN", f"驾驶证状态为“{lic['status']}”，需人工核实"
        )
    if (
        lic["valid_until"] is not None
        and date.fromisoformat(lic["valid_until"]) < claim.accident_date
    ):
        findings.add(
            S.REJECT, "LICENCE_EXPIRED", f"事故发生时驾驶证已过有效期（至 {lic['valid_until']}）"
        )
    if vehicle is not None:
        _licence_class(str(lic["licence_class"]), vehicle, findings)


def _licence_class(licence_class: str, vehicle: dict[str, Any], findings: Findings) -> None:
    permitted = PERMITS.get(licence_class, frozenset())
    if vehicle["vehicle_type"] not in SMALL_PASSENGER:
        findings.add(
            S.REFER,
            "LICENCE_CLASS_UNVERIFIED",
            f"车辆类型“{vehicle['vehicle_type']}”的准驾车型需人工核实",
        )
    elif "C1" in permitted or (
        "C2" in permitted and vehicle["energy_type"] in AUTOMATIC_ONLY_ENERGY
    ):
        return
    elif "C2" in permitted:
        findings.add(
            S.REFER,
            "LICENCE_CLASS_UNVERIFIED",
            f"准驾车型 {licence_class} 仅限自动挡，需核实车辆变速器类型",
        )
    else:
        findings.add(
            S.REJECT,
            "LICENCE_CLASS_MISMATCH",
            f"准驾车型 {licence_class} 不允许驾驶{vehicle['vehicle_type']}（准驾不符）",
        )


def _drink_driving(evidence: EvidenceSet, findings: Findings) -> None:
    for record in evidence.records(VIOLATION, NEEDS[VIOLATION]):
        if record["category"] in ("饮酒驾驶", "醉酒驾驶"):
            findings.add(
                S.REJECT,
                "DRINK_DRIVING",
                f"{record['occurred_at'][:10]} 有{record['category']}记录（法定免责）",
            )
