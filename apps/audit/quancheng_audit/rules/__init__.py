"""The audit's rules, one module per area; each adds findings to a shared context."""

from quancheng_audit.rules.attestation_window import check_attestation_window
from quancheng_audit.rules.deployment import check_deployed_contracts
from quancheng_audit.rules.evidence import check_consumer_evidence
from quancheng_audit.rules.grants import check_grants
from quancheng_audit.rules.logs import check_logs
from quancheng_audit.rules.membership import check_membership
from quancheng_audit.rules.owners import check_attestations
from quancheng_audit.rules.receipts import check_receipts, check_signatures, check_use_limits
from quancheng_audit.rules.requests import check_request_reuse
from quancheng_audit.rules.uses import check_uses
from quancheng_audit.rules.view import check_view

__all__ = [
    "check_attestation_window",
    "check_attestations",
    "check_consumer_evidence",
    "check_deployed_contracts",
    "check_grants",
    "check_logs",
    "check_membership",
    "check_receipts",
    "check_request_reuse",
    "check_signatures",
    "check_use_limits",
    "check_uses",
    "check_view",
]
