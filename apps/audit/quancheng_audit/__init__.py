"""The auditor of 泉城链: verify the whole trail from the chain's events and the gateways' logs.

Example:
    >>> from quancheng_audit import audit, collect
    >>> chain, logs = collect(contracts)            # events + every gateway's receipt log
    >>> report = audit(chain, logs)
    >>> report.passed, [f.line() for f in report.failed()]

Everything is verified off chain by the auditor itself: SM2 signatures (owners, consumers,
the identity authority, gateways), SM3 digests and Merkle roots, against the keys and state
the chain's events establish at each moment. See ``docs/auditing.md``.
"""

from quancheng_audit.context import AuditConfig
from quancheng_audit.engine import audit, collect
from quancheng_audit.evidence import (
    ChainEvidence,
    ReceiptLog,
    load_evidence,
    load_receipt_log,
    save_evidence,
)
from quancheng_audit.findings import RULES, Finding, Rule, Severity, Subject
from quancheng_audit.report import AuditReport

__all__ = [
    "RULES",
    "AuditConfig",
    "AuditReport",
    "ChainEvidence",
    "Finding",
    "ReceiptLog",
    "Rule",
    "Severity",
    "Subject",
    "audit",
    "collect",
    "load_evidence",
    "load_receipt_log",
    "save_evidence",
]
