"""The consumer-evidence bundle: the receipts a consumer received, as an auditor reads them.

A bundle (``quancheng.consumer-evidence/1``) lists every signed receipt the consumer's
:class:`~quancheng.evidence.EvidenceStore` holds, with the hash of the request it answered and
when it arrived. Receipts prove themselves (the gateway signed them); the consumer may also
sign the whole bundle with its SM2 key — an acknowledgement that it received exactly these
answers, which the auditor verifies with the consumer's registered key::

    {"bundle": {"type": "quancheng.consumer-evidence/1", "consumer": "bank.jinan", ...},
     "signature": "MEUCIQ..."}            # SM2 over the canonical JSON of "bundle", or null

The answers' data is the consumer's own and confidential: a bundle carries it only when the
exporter asks (``include_documents``), and the audit never needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quancheng._util import describe, signature_valid
from quancheng.crypto import SM2PrivateKey, SM2PublicKey
from quancheng.evidence_errors import EvidenceBundleInvalid, EvidenceSignatureInvalid
from quancheng.protocol import Answer, SignedReceipt, SignedRequest
from quancheng.protocol.documents import SignatureB64, b64, signing_bytes
from quancheng.protocol.ids import Code, Hex32

__all__ = [
    "EVIDENCE_FORMAT",
    "EvidenceBundle",
    "EvidenceEntry",
    "SignedEvidenceBundle",
    "load_evidence_bundle",
    "parse_evidence_bundle",
    "sign_evidence_bundle",
    "verify_evidence_bundle",
]

EVIDENCE_FORMAT = "quancheng.consumer-evidence/1"


class EvidenceEntry(BaseModel):
    """One receipt as the consumer received it.

    Attributes:
        receipt: The gateway's signed receipt, exactly as it came inside the answer.
        request_hash: SM3 of the canonical request it answered (``0x`` hex).
        received_at_ms: When the consumer stored it (its own clock, Unix ms).
        endpoint: The gateway that sent it.
        conflict: True when the store already held another receipt at the same provider and
            log index, or under the same receipt id: the gateway signed two things for one
            position.
        request: The signed request (only with ``include_documents``).
        answer: The answer as received, data included (only with ``include_documents``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    receipt: SignedReceipt
    request_hash: Hex32
    received_at_ms: int = Field(ge=0)
    endpoint: str | None = None
    conflict: bool = False
    request: SignedRequest | None = None
    answer: Answer | None = None


class EvidenceBundle(BaseModel):
    """What the consumer exports and signs.

    Attributes:
        type: ``quancheng.consumer-evidence/1``.
        consumer: The consumer's institution code.
        exported_at_ms: When it was exported (Unix ms).
        entries: Every receipt held, in the order the store received them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["quancheng.consumer-evidence/1"] = "quancheng.consumer-evidence/1"
    consumer: Code
    exported_at_ms: int = Field(ge=0)
    entries: tuple[EvidenceEntry, ...] = ()


class SignedEvidenceBundle(BaseModel):
    """A bundle with the consumer's SM2 signature over its canonical JSON (or none).

    Attributes:
        bundle: The bundle.
        signature: Base64 DER SM2 signature over ``signing_bytes(bundle)``, or None.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    bundle: EvidenceBundle
    signature: SignatureB64 | None = None

    @property
    def signed(self) -> bool:
        """Whether the consumer signed it."""
        return self.signature is not None


def sign_evidence_bundle(bundle: EvidenceBundle, key: SM2PrivateKey | None) -> SignedEvidenceBundle:
    """The bundle with ``key``'s signature over its canonical JSON (unsigned if None)."""
    signature = None if key is None else b64(key.sign(signing_bytes(bundle)))
    return SignedEvidenceBundle(bundle=bundle, signature=signature)


def verify_evidence_bundle(
    signed: SignedEvidenceBundle, consumer_key: SM2PublicKey, *, source: str = "bundle"
) -> None:
    """Check the consumer's signature over the bundle.

    Raises:
        EvidenceSignatureInvalid: It is missing or does not verify with ``consumer_key``.
    """
    consumer = signed.bundle.consumer
    if signed.signature is None:
        raise EvidenceSignatureInvalid(source, consumer)
    if not signature_valid(consumer_key, signed.signature, signing_bytes(signed.bundle)):
        raise EvidenceSignatureInvalid(source, consumer)


def parse_evidence_bundle(data: bytes | str, *, source: str = "bundle") -> SignedEvidenceBundle:
    """Parse a bundle strictly (unknown fields refused).

    Raises:
        EvidenceBundleInvalid: Not JSON, or not a consumer-evidence bundle.
    """
    try:
        return SignedEvidenceBundle.model_validate_json(data)
    except ValidationError as exc:
        raise EvidenceBundleInvalid(source, describe(exc)) from None


def load_evidence_bundle(path: Path | str) -> SignedEvidenceBundle:
    """A bundle written by :meth:`~quancheng.evidence.EvidenceStore.export`.

    Raises:
        EvidenceBundleInvalid: Unreadable, not JSON, or not a consumer-evidence bundle.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise EvidenceBundleInvalid(str(path), f"cannot read it ({exc.strerror or exc})") from None
    return parse_evidence_bundle(data, source=str(path))
