"""Errors of the auditor: the evidence could not be read (never "the trail is bad").

What an audit finds in the trail is a :class:`~quancheng_audit.findings.Finding`, never an
exception. These errors mean the audit could not run as asked, and the CLI exits with 2::

    AuditError (QuanchengError)
    ├── EvidenceError        an evidence file is missing or malformed
    ├── SourceUnavailable    the chain or a gateway could not be read
    └── BundleError          a receipt bundle could not be built or read
"""

from __future__ import annotations

from pathlib import Path

from quancheng.errors import QuanchengError

__all__ = ["AuditError", "BundleError", "EvidenceError", "SourceUnavailable"]


class AuditError(QuanchengError):
    """The audit could not run as asked."""

    code = "AUDIT_ERROR"


class EvidenceError(AuditError):
    """An evidence file is missing, unreadable or not what it should be.

    Attributes:
        path: The file.
        reason: What is wrong with it.
    """

    code = "EVIDENCE_ERROR"

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")


class SourceUnavailable(AuditError):
    """The chain node or a gateway could not be read.

    Attributes:
        source: The URL.
        reason: What happened.
    """

    code = "SOURCE_UNAVAILABLE"

    def __init__(self, source: str, reason: str) -> None:
        self.source, self.reason = source, reason
        super().__init__(f"{source}: {reason}")


class BundleError(AuditError):
    """A receipt bundle could not be built or is not a bundle.

    Attributes:
        reason: What went wrong.
    """

    code = "BUNDLE_ERROR"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
