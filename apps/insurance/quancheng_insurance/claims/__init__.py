"""Claims settled from authorized government data (政保通 / 保医通).

Decision functions are pure and auditable (:func:`decide_motor_claim`,
:func:`decide_life_claim`, :func:`decide_medical_claim`); :class:`ClaimsService` queries
the granted data through the consumer SDK, decides and records the decision with the
receipts it relied on; :data:`GRANT_TEMPLATES` says what grant to request for each claim.
"""

from quancheng_appkit.decision import (
    Decision,
    Evidence,
    EvidenceItem,
    NoRecord,
    Outcome,
    Reason,
)
from quancheng_insurance.claims.life import LifeClaim, decide_life_claim
from quancheng_insurance.claims.medical import MedicalClaim, decide_medical_claim
from quancheng_insurance.claims.models import ClaimDecision, ClaimDecisionPublic
from quancheng_insurance.claims.motor import MotorClaim, decide_motor_claim
from quancheng_insurance.claims.service import ClaimsService
from quancheng_insurance.claims.templates import GRANT_TEMPLATES

__all__ = [
    "GRANT_TEMPLATES",
    "ClaimDecision",
    "ClaimDecisionPublic",
    "ClaimsService",
    "Decision",
    "Evidence",
    "EvidenceItem",
    "LifeClaim",
    "MedicalClaim",
    "MotorClaim",
    "NoRecord",
    "Outcome",
    "Reason",
    "decide_life_claim",
    "decide_medical_claim",
    "decide_motor_claim",
]
