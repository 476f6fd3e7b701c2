"""What verification hands back: a verified answer, a receipt proof and a proven inclusion.

A :class:`VerifiedAnswer` exists only once every check of
:func:`quancheng.verify.verify_answer` passed; it keeps the signed request and the signed
answer as they travelled, so a credit or claims decision can carry them as its evidence.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from quancheng._util import utc_from_ms
from quancheng.chain.records import AnchorRecord
from quancheng.protocol import (
    AnchorDocument,
    Answer,
    GrantMode,
    QueryRequest,
    SignedReceipt,
    SignedRequest,
)
from quancheng.protocol.documents import SignatureB64, unb64

__all__ = ["ReceiptInclusion", "ReceiptProof", "VerifiedAnswer"]

#: A 32-byte hash in hex, with or without ``0x``.
ProofHash = Annotated[str, Field(pattern=r"^(0x)?[0-9a-fA-F]{64}$")]


class ReceiptProof(BaseModel):
    """The body of ``GET {endpoint}/v1/receipts/{receipt_id}/proof``.

    Attributes:
        receipt: The signed receipt.
        batch: The anchor document of the batch holding it.
        anchor_signature: The provider's SM2 signature over the batch's canonical document.
        leaf_index: The receipt's position in the batch (0-based).
        proof: The RFC 6962 audit path, leaf to root, as hex hashes.
        anchor_tx: The anchoring transaction, if the gateway knows it.
        anchor_block: Its block, if the gateway knows it (must match the chain's record).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    receipt: SignedReceipt
    batch: AnchorDocument
    anchor_signature: SignatureB64
    leaf_index: int = Field(ge=0)
    proof: tuple[ProofHash, ...] = Field(max_length=64)
    anchor_tx: ProofHash | None = None
    anchor_block: int | None = Field(default=None, ge=0)


@dataclass(frozen=True)
class VerifiedAnswer:
    """A gateway's answer that passed every check, with the evidence that it did.

    Attributes:
        signed_request: The request as signed and sent.
        answer: The answer as received (sealed data stays sealed in it).
        endpoint: The gateway it came from (where its receipt proof lives).
        data: The granted data (read-only view), opened if it came sealed.
    """

    signed_request: SignedRequest
    answer: Answer
    endpoint: str
    data: Mapping[str, Any] = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", MappingProxyType(copy.deepcopy(dict(self.data))))

    @property
    def sealed(self) -> bool:
        """True when the data travelled sealed to the consumer's key."""
        return self.answer.sealed is not None

    @property
    def request(self) -> QueryRequest:
        """The query request."""
        return self.signed_request.request

    @property
    def receipt(self) -> SignedReceipt:
        """The gateway's signed receipt for this answer."""
        return self.answer.receipt

    @property
    def receipt_id(self) -> str:
        """The receipt id (to fetch its inclusion proof later)."""
        return self.answer.receipt.receipt.receipt_id

    @property
    def signatures(self) -> Mapping[str, bytes]:
        """DER signatures: ``request`` (consumer) and ``receipt`` (gateway; the answer is
        bound by its receipt and carries no signature of its own)."""
        return MappingProxyType(
            {
                "request": unb64(self.signed_request.signature),
                "receipt": unb64(self.receipt.signature),
            }
        )

    @property
    def request_hash(self) -> str:
        """SM3 of the canonical request."""
        return self.answer.request_hash

    @property
    def data_digest(self) -> str:
        """SM3 of the canonical data."""
        return self.answer.data_digest

    @property
    def provider(self) -> str:
        """The provider that answered."""
        return self.answer.provider

    @property
    def resource(self) -> str:
        """The resource queried."""
        return self.answer.resource

    @property
    def grant_id(self) -> str:
        """The grant used (``0x`` hex)."""
        return self.answer.grant_id

    @property
    def mode(self) -> GrantMode:
        """RAW fields or DERIVED indicators."""
        return self.answer.mode

    @property
    def served_at(self) -> datetime:
        """When the gateway served it (UTC)."""
        return utc_from_ms(self.answer.served_at_ms)

    def evidence(self) -> dict[str, Any]:
        """The signed request and answer as JSON-ready data, to keep with a decision."""
        return {
            "endpoint": self.endpoint,
            "request": self.signed_request.model_dump(mode="json"),
            "answer": self.answer.model_dump(mode="json"),
        }


@dataclass(frozen=True)
class ReceiptInclusion:
    """A receipt proven to be in a batch whose root the provider anchored on chain.

    Attributes:
        receipt: The receipt.
        batch: The batch's anchor document.
        leaf_index: Its position in the batch.
        proof: The audit path (raw hashes).
        anchor_signature: The provider's DER signature over the batch document.
        anchor_tx: The anchoring transaction (None if the gateway did not say).
        anchor_block: Its block, from the chain's anchor record.
        anchored_at: The chain's time of anchoring (UTC).
    """

    receipt: SignedReceipt
    batch: AnchorDocument
    leaf_index: int
    proof: tuple[bytes, ...]
    anchor_signature: bytes
    anchor_tx: str | None
    anchor_block: int
    anchored_at: datetime

    @classmethod
    def from_verified(
        cls, proof: ReceiptProof, path: tuple[bytes, ...], onchain: AnchorRecord
    ) -> ReceiptInclusion:
        """Build from a proof that :func:`quancheng.verify.verify_inclusion` accepted."""
        return cls(
            receipt=proof.receipt,
            batch=proof.batch,
            leaf_index=proof.leaf_index,
            proof=path,
            anchor_signature=unb64(proof.anchor_signature),
            anchor_tx=proof.anchor_tx.lower() if proof.anchor_tx else None,
            anchor_block=onchain.block_number,
            anchored_at=utc_from_ms(onchain.anchored_at * 1000),
        )

    @property
    def receipt_id(self) -> str:
        """The receipt id."""
        return self.receipt.receipt.receipt_id

    @property
    def root(self) -> str:
        """The anchored Merkle root (``0x`` hex)."""
        return self.batch.root

    @property
    def seq(self) -> int:
        """The batch's sequence number."""
        return self.batch.seq
