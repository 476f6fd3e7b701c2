"""Credit from authorized government data (泉城链 + 普惠金融).

Decision functions are pure and auditable (:func:`decide_sme_credit`,
:func:`decide_personal_credit`); :class:`CreditService` queries the granted indicators
through the consumer SDK, decides and records the decision with the receipts it relied on;
:data:`GRANT_TEMPLATES` says what grant to request for each product.
"""

from quancheng_appkit.decision import (
    Decision,
    Evidence,
    EvidenceItem,
    NoRecord,
    Outcome,
    Reason,
)
from quancheng_finance.credit.models import CreditDecision, CreditDecisionPublic
from quancheng_finance.credit.personal import PersonalApplication, decide_personal_credit
from quancheng_finance.credit.service import CreditService
from quancheng_finance.credit.sme import SmeApplication, decide_sme_credit
from quancheng_finance.credit.templates import GRANT_TEMPLATES

__all__ = [
    "GRANT_TEMPLATES",
    "CreditDecision",
    "CreditDecisionPublic",
    "CreditService",
    "Decision",
    "Evidence",
    "EvidenceItem",
    "NoRecord",
    "Outcome",
    "PersonalApplication",
    "Reason",
    "SmeApplication",
    "decide_personal_credit",
    "decide_sme_credit",
]
