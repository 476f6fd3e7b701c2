"""What the consumer's evidence store and its bundles raise.

::

    EvidenceError (QuanchengError)
    ├── EvidenceStoreError        the local store cannot be opened, read or written
    │   └── EvidenceAppendOnly    an attempt to change or delete what the store holds
    └── EvidenceBundleInvalid     a bundle file that is not a consumer-evidence bundle,
        └── EvidenceSignatureInvalid   or whose consumer signature does not verify
"""

from __future__ import annotations

from pathlib import Path

from quancheng.errors import QuanchengError

__all__ = [
    "EvidenceAppendOnly",
    "EvidenceBundleInvalid",
    "EvidenceError",
    "EvidenceSignatureInvalid",
    "EvidenceStoreError",
]


class EvidenceError(QuanchengError):
    """The consumer's side of the evidence (receipts it received) cannot be kept or read."""

    code = "EVIDENCE_ERROR"


class EvidenceStoreError(EvidenceError):
    """The local evidence store cannot be opened, read or written.

    When :meth:`~quancheng.client.ConsumerClient.query` raises it, the answer was verified but
    not kept, and is not returned: no data leaves the client without its receipt on disk.

    Attributes:
        path: The store's file.
        reason: What failed.
    """

    code = "EVIDENCE_STORE_ERROR"

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path, self.reason = str(path), reason
        super().__init__(f"evidence store {self.path}: {reason}")


class EvidenceAppendOnly(EvidenceStoreError):
    """Something tried to change or delete a receipt the store holds: it never does."""

    code = "EVIDENCE_APPEND_ONLY"


class EvidenceBundleInvalid(EvidenceError):
    """A file is not a well-formed ``quancheng.consumer-evidence/1`` bundle.

    Attributes:
        source: Where the bundle came from.
        reason: What the parser refused.
    """

    code = "EVIDENCE_BUNDLE_INVALID"

    def __init__(self, source: str, reason: str) -> None:
        self.source, self.reason = source, reason
        super().__init__(f"evidence bundle {source}: {reason}")


class EvidenceSignatureInvalid(EvidenceBundleInvalid):
    """The consumer's SM2 signature over a bundle does not verify with the key given.

    Attributes:
        consumer: The consumer the bundle names.
    """

    code = "EVIDENCE_SIGNATURE_INVALID"

    def __init__(self, source: str, consumer: str) -> None:
        self.consumer = consumer
        super().__init__(source, f"signature does not verify with {consumer}'s SM2 key")
