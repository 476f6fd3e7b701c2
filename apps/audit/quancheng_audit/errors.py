"""Errors of the auditor: the evidence could not be read (never "the trail is bad").

What an audit finds in the trail is a :class:`~quancheng_audit.findings.Finding`, never an
exception. These errors mean the audit could not run as asked, and the CLI exits with 2::

    AuditError (QuanchengError)
    ├── EvidenceError        an evidence file is missing or malformed
    ├── SourceUnavailable    the chain or a gateway could not be read
    │   ├── LogTooLong       a gateway has more to read than the audit's bound allows
    │   └── LogTooSlow       reading a gateway outlasted the audit's deadline
    └── BundleError          a receipt bundle could not be built or read

A single answer of a gateway out of bounds raises the SDK's own errors
(:mod:`quancheng.http_bounds`: ``ResponseTooLarge``, ``ResponseTooSlow``,
``RedirectRefused``, ``EndpointNotAllowed``), which name the URL and the bound.
"""

from __future__ import annotations

from pathlib import Path

from quancheng.errors import QuanchengError

__all__ = [
    "AuditError",
    "BundleError",
    "EvidenceError",
    "LogTooLong",
    "LogTooSlow",
    "SourceUnavailable",
]


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


class LogTooLong(SourceUnavailable):
    """A gateway has more to read than the audit's bound allows; reading stopped there.

    An honest log that long needs a higher bound (``quancheng audit --max-receipts`` ...);
    a gateway that never stops listing receipts or batches cannot make the audit hang.

    Attributes:
        source: The gateway's base URL.
        provider: Whose gateway it is ("?" if not known yet).
        what: What was counted: ``receipts``, ``batches`` or ``bytes``.
        limit: The bound.
    """

    code = "LOG_TOO_LONG"

    def __init__(self, source: str, provider: str, what: str, limit: int) -> None:
        self.provider, self.what, self.limit = provider, what, limit
        super().__init__(
            source,
            f"the gateway of {provider} has more than {limit} {what} to read, the audit's "
            "bound: reading stopped, its log is not audited (raise the bound if the log is "
            "really that long)",
        )


class LogTooSlow(SourceUnavailable):
    """Reading a gateway outlasted the audit's deadline for it; reading stopped.

    Attributes:
        source: The gateway's base URL.
        provider: Whose gateway it is ("?" if not known yet).
        deadline_s: The deadline, in seconds.
    """

    code = "LOG_TOO_SLOW"

    def __init__(self, source: str, provider: str, deadline_s: float) -> None:
        self.provider, self.deadline_s = provider, deadline_s
        super().__init__(
            source,
            f"reading the gateway of {provider} took longer than {deadline_s} s, the audit's "
            "deadline for one gateway: reading stopped, its log is not audited",
        )


class BundleError(AuditError):
    """A receipt bundle could not be built or is not a bundle.

    Attributes:
        reason: What went wrong.
    """

    code = "BUNDLE_ERROR"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
