"""What the verifier raises when a gateway's answer, receipt or proof does not check out.

Every error names the check that failed in ``check`` (stable, machine-readable) and carries
the typed fields it compared, so callers can log and alert without parsing messages::

    VerificationError (GatewayError)
    ├── AnswerVerificationError        an answer to a query
    │   ├── MalformedAnswer
    │   ├── RequestHashMismatch
    │   ├── AnswerFieldMismatch
    │   ├── DataDigestMismatch
    │   ├── UnrequestedFields
    │   ├── MissingFields
    │   └── ReceiptVerificationError   the receipt inside it (or fetched with a proof)
    │       ├── ReceiptSignatureInvalid
    │       ├── ReceiptFieldMismatch
    │       └── ReceiptPurposeNotCovered
    └── ProofVerificationError         a receipt's inclusion in an anchored batch
        ├── MalformedProof
        ├── AnchorSignatureInvalid
        ├── InclusionProofInvalid
        └── AnchorMismatch
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from quancheng.errors import GatewayError

__all__ = [
    "AnchorMismatch",
    "AnchorSignatureInvalid",
    "AnswerFieldMismatch",
    "AnswerNotSealed",
    "AnswerVerificationError",
    "DataDigestMismatch",
    "InclusionProofInvalid",
    "MalformedAnswer",
    "MalformedProof",
    "MissingFields",
    "ProofVerificationError",
    "ReceiptFieldMismatch",
    "ReceiptSignatureInvalid",
    "ReceiptVerificationError",
    "RequestHashMismatch",
    "SealedAnswerInvalid",
    "UnrequestedFields",
    "VerificationError",
]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class VerificationError(GatewayError):
    """Something a gateway sent does not verify. Never trust the data it came with."""

    code = "VERIFICATION_FAILED"
    #: The check that failed.
    check: str = "verification"


class AnswerVerificationError(VerificationError):
    """A gateway's answer to a query does not verify."""

    code = "ANSWER_VERIFICATION_FAILED"
    check = "answer"


class MalformedAnswer(AnswerVerificationError):
    """The body of a 200 answer is not a well-formed ``Answer``.

    Attributes:
        reason: What the parser refused.
    """

    code = "MALFORMED_ANSWER"
    check = "answer_format"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the gateway's answer is malformed: {reason}")


class RequestHashMismatch(AnswerVerificationError):
    """The answer is bound to another request than the one sent.

    Attributes:
        expected: SM3 of the canonical request sent (``0x`` hex).
        actual: The hash the answer carries.
    """

    code = "REQUEST_HASH_MISMATCH"
    check = "request_hash"

    def __init__(self, expected: str, actual: str) -> None:
        self.expected, self.actual = expected, actual
        super().__init__(f"answer request_hash {actual} is not the sent request's {expected}")


class AnswerFieldMismatch(AnswerVerificationError):
    """An identifying field of the answer differs from the request or the catalogue.

    Attributes:
        field: The answer field (``request_id``, ``grant_id``, ``resource``, ``provider``,
            ``mode``).
        expected: What it should be.
        actual: What the answer says.
    """

    code = "ANSWER_FIELD_MISMATCH"
    check = "answer_field"

    def __init__(self, field: str, expected: Any, actual: Any) -> None:
        self.field, self.expected, self.actual = field, expected, actual
        super().__init__(f"answer {field} is {_show(actual)}, expected {_show(expected)}")


class DataDigestMismatch(AnswerVerificationError):
    """The answer's ``data_digest`` is not the SM3 of its canonical data.

    Attributes:
        expected: SM3 of the canonical data received.
        actual: The digest the answer declares.
    """

    code = "DATA_DIGEST_MISMATCH"
    check = "data_digest"

    def __init__(self, expected: str, actual: str) -> None:
        self.expected, self.actual = expected, actual
        super().__init__(f"answer data_digest {actual} is not SM3 of its data ({expected})")


class AnswerNotSealed(AnswerVerificationError):
    """The data came in the clear where it had to be sealed to the consumer.

    Attributes:
        resource: The resource (the catalogue rates it sensitive, or the request asked).
    """

    code = "ANSWER_NOT_SEALED"
    check = "sealing"

    def __init__(self, resource: str) -> None:
        self.resource = resource
        super().__init__(f"the answer from {resource} is not sealed, though it had to be")


class SealedAnswerInvalid(AnswerVerificationError):
    """The sealed data does not open with the consumer's key, or opens to something else
    than ``{"data": {...}, "salt": "0x…"}``.

    Attributes:
        reason: What failed.
    """

    code = "SEALED_ANSWER_INVALID"
    check = "sealing"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the sealed answer does not open: {reason}")


class UnrequestedFields(AnswerVerificationError):
    """The answer carries fields the request did not ask for.

    Attributes:
        fields: The unrequested field names, sorted.
    """

    code = "UNREQUESTED_FIELDS"
    check = "data_fields"

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = tuple(sorted(fields))
        super().__init__(f"answer carries unrequested fields: {', '.join(self.fields)}")


class MissingFields(AnswerVerificationError):
    """The answer lacks fields (RAW) or indicators (DERIVED) the request asked for.

    A value the source does not have travels as ``null`` under its name; a name that is absent
    is an answer to another question.

    Attributes:
        fields: The requested names the answer lacks, sorted.
        mode: The answer's mode (``RAW`` fields or ``DERIVED`` indicators).
    """

    code = "MISSING_FIELDS"
    check = "data_fields"

    def __init__(self, fields: Iterable[str], mode: str = "RAW") -> None:
        self.fields, self.mode = tuple(sorted(fields)), str(mode)
        what = "indicators" if self.mode == "DERIVED" else "fields"
        super().__init__(f"answer lacks requested {what}: {', '.join(self.fields)}")


class ReceiptVerificationError(AnswerVerificationError):
    """A gateway's receipt does not verify."""

    code = "RECEIPT_VERIFICATION_FAILED"
    check = "receipt"


class ReceiptSignatureInvalid(ReceiptVerificationError):
    """The receipt's SM2 signature does not verify with the provider's key.

    Attributes:
        receipt_id: The receipt.
        provider: The provider whose registered key was used.
    """

    code = "RECEIPT_SIGNATURE_INVALID"
    check = "receipt_signature"

    def __init__(self, receipt_id: str, provider: str) -> None:
        self.receipt_id, self.provider = receipt_id, provider
        super().__init__(
            f"receipt {receipt_id} signature does not verify with {provider}'s registered SM2 key"
        )


class ReceiptFieldMismatch(ReceiptVerificationError):
    """A field of the receipt differs from the request and answer it should prove.

    Attributes:
        field: The receipt field (``grant_id``, ``consumer``, ``response_hash``, ...).
        expected: What it should be.
        actual: What the receipt says.
    """

    code = "RECEIPT_FIELD_MISMATCH"
    check = "receipt_field"

    def __init__(self, field: str, expected: Any, actual: Any) -> None:
        self.field, self.expected, self.actual = field, expected, actual
        super().__init__(f"receipt {field} is {_show(actual)}, expected {_show(expected)}")


class ReceiptPurposeNotCovered(ReceiptVerificationError):
    """The receipt's purpose is not one of the scenarios its grant's purpose covers.

    Attributes:
        receipt_id: The receipt.
        grant_purpose: The grant's purpose code.
        purpose: The receipt's purpose code.
    """

    code = "RECEIPT_PURPOSE_NOT_COVERED"
    check = "receipt_purpose"

    def __init__(self, receipt_id: str, grant_purpose: int, purpose: int) -> None:
        self.receipt_id, self.grant_purpose, self.purpose = receipt_id, grant_purpose, purpose
        super().__init__(
            f"receipt {receipt_id} has purpose {purpose}, which a grant of purpose "
            f"{grant_purpose} does not cover"
        )


class ProofVerificationError(VerificationError):
    """A receipt's inclusion proof or its batch anchor does not verify."""

    code = "PROOF_VERIFICATION_FAILED"
    check = "proof"


class MalformedProof(ProofVerificationError):
    """The gateway's proof body is not a well-formed receipt proof.

    Attributes:
        reason: What the parser refused.
    """

    code = "MALFORMED_PROOF"
    check = "proof_format"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the gateway's receipt proof is malformed: {reason}")


class AnchorSignatureInvalid(ProofVerificationError):
    """The provider's SM2 signature over the batch's anchor document does not verify.

    Attributes:
        source: Where the signature came from (``"gateway"`` or ``"chain"``).
        provider: The provider whose registered key was used.
        seq: The batch.
    """

    code = "ANCHOR_SIGNATURE_INVALID"
    check = "anchor_signature"

    def __init__(self, source: str, provider: str, seq: int) -> None:
        self.source, self.provider, self.seq = source, provider, seq
        super().__init__(
            f"anchor signature of batch {seq} ({source}) does not verify with {provider}'s key"
        )


class InclusionProofInvalid(ProofVerificationError):
    """The Merkle path does not lead from the receipt's leaf to the batch root.

    Attributes:
        leaf_index: The receipt's index in the batch.
        size: The batch size.
    """

    code = "INCLUSION_PROOF_INVALID"
    check = "inclusion"

    def __init__(
        self, leaf_index: int, size: int, reason: str = "path does not reach the root"
    ) -> None:
        self.leaf_index, self.size = leaf_index, size
        super().__init__(f"inclusion proof of leaf {leaf_index} in a batch of {size}: {reason}")


class AnchorMismatch(ProofVerificationError):
    """The batch the gateway describes differs from the anchor recorded on chain.

    Attributes:
        field: The anchor field (``root``, ``size``, ``prev_root``, ``first_index``, ...).
        onchain: The chain's value.
        claimed: The gateway's value.
    """

    code = "ANCHOR_MISMATCH"
    check = "anchor"

    def __init__(self, field: str, onchain: Any, claimed: Any) -> None:
        self.field, self.onchain, self.claimed = field, onchain, claimed
        super().__init__(f"batch {field} is {_show(claimed)} but the chain says {_show(onchain)}")
