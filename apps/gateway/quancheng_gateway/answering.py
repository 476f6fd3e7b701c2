"""Reading the granted data, drafting the receipt and building the answer.

The receipt is signed when its data has been read (:meth:`ReceiptDraft.sign`, its time
included); the receipt log (:mod:`quancheng_gateway.receipt_log`) then fixes its position,
which is not signed (``quancheng.receipt/4``: the anchored Merkle leaf binds it), inside the
transaction that stores it. The answer, which carries the signed receipt, is built once the
receipt is durable. The receipt is the gateway's one signature on
a query (``quancheng.answer/3`` carries no signature of its own: everything it states is
the consumer's request, the data, or a copy of the signed receipt).

Data of a resource the catalogue rates sensitive (or that the request asks sealed) leaves
the gateway sealed to the consumer's registered SM2 key (:class:`Payload`), so no proxy, log
or intermediary between the two ever holds it in the clear.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from quancheng.crypto import SM2PrivateKey, SM2PublicKey, canonical_digest, canonical_json, sm3
from quancheng.crypto.seal import seal
from quancheng.protocol import Answer, GrantMode, Purpose, Receipt, SignedReceipt
from quancheng.protocol import refusals as r
from quancheng.protocol.documents import TierName, b64, tier_name
from quancheng_gateway.pipeline import Checked
from quancheng_gateway.resources import UnsafeValue, check_json_safe

__all__ = [
    "Payload", "ReceiptDraft", "SignedDraft", "build_answer", "placed_receipt_json", "read_data",
]

_KIND_OF = {"person": "resident_id", "business": "uscc"}


def read_data(data_engine: Engine, checked: Checked) -> dict[str, Any]:
    """Only the requested granted fields (RAW) or indicators (DERIVED) of the owner."""
    grant, req, handler = checked.grant, checked.request, checked.handler
    if grant.subject_id is None or grant.subject_kind != _KIND_OF[handler.spec.subject_kind]:
        raise r.SubjectNotFound(grant_id=grant.grant_id, resource=req.resource)
    wanted = tuple(dict.fromkeys(req.fields))
    period = (grant.data_from, grant.data_to)
    try:
        with data_engine.connect() as conn:
            if grant.mode == GrantMode.RAW.value:
                data = handler.fetch(
                    conn,
                    subject_id=grant.subject_id,
                    fields=wanted,
                    period=period,
                    params=req.params,
                )
            else:
                data = handler.derive(
                    conn,
                    subject_id=grant.subject_id,
                    indicators=wanted,
                    period=period,
                    params=req.params,
                )
    except r.Refusal:
        raise
    except Exception as exc:
        raise r.InternalError("the resource handler failed", resource=req.resource) from exc
    if not isinstance(data, dict) or set(data) != set(wanted):
        extra = sorted(set(data) - set(wanted)) if isinstance(data, dict) else []
        raise r.InternalError(
            "the resource handler returned other keys than requested",
            resource=req.resource,
            unexpected=len(extra),
        )
    try:
        check_json_safe(data)
    except UnsafeValue as exc:
        raise r.InternalError(
            "the resource handler returned a value that is not JSON-safe", resource=req.resource
        ) from exc
    return data


@dataclass(frozen=True)
class Payload:
    """The data as the answer carries it, and the digest the receipt binds.

    In the clear the digest is SM3 of the canonical data. Sealed, the plaintext is the
    canonical ``{"data": ..., "salt": "0x" + 32 random bytes}`` and the digest is its SM3: a
    reader of receipts cannot confirm a guess of the data.
    """

    data: dict[str, Any]
    digest: str
    plaintext: bytes | None = None

    @classmethod
    def clear(cls, data: dict[str, Any]) -> Payload:
        return cls(data, "0x" + canonical_digest(data).hex())

    @classmethod
    def for_sealing(cls, data: dict[str, Any]) -> Payload:
        plaintext = canonical_json({"data": data, "salt": "0x" + secrets.token_hex(32)})
        return cls(data, "0x" + sm3(plaintext).hex(), plaintext)

    @property
    def sealed(self) -> bool:
        return self.plaintext is not None


@dataclass(frozen=True)
class ReceiptDraft:
    """A receipt before it is signed (:meth:`sign`) and placed in the log."""

    receipt_id: str
    request_id: str
    grant_id: str
    consumer: str
    provider: str
    resource: str
    purpose: Purpose
    #: The tier of the grant the request named (its purpose code's), stated in the receipt.
    tier: TierName
    mode: GrantMode
    request_hash: str
    response_hash: str
    #: The chain block the view had applied when the grant was judged (a lower bound).
    view_block: int

    @classmethod
    def of(
        cls, *, provider: str, checked: Checked, payload: Payload, view_block: int
    ) -> ReceiptDraft:
        req = checked.request
        return cls(
            receipt_id=str(uuid.uuid4()),
            request_id=req.request_id,
            grant_id=checked.grant.grant_id,
            consumer=req.consumer,
            provider=provider,
            resource=req.resource,
            purpose=req.purpose,
            tier=tier_name(checked.grant.purpose),
            mode=GrantMode(checked.grant.mode),
            request_hash=checked.request_hash,
            response_hash=payload.digest,
            view_block=view_block,
        )

    def sign(self, key: SM2PrivateKey, *, now_ms: int) -> SignedDraft:
        """The receipt, served at ``now_ms`` and signed, waiting for its log position.

        Raises:
            pydantic.ValidationError: A field the receipt refuses (nothing is signed).
        """
        receipt = Receipt(
            receipt_id=self.receipt_id,
            grant_id=self.grant_id,
            consumer=self.consumer,
            provider=self.provider,
            resource=self.resource,
            purpose=self.purpose,
            tier=self.tier,
            mode=self.mode,
            request_hash=self.request_hash,
            response_hash=self.response_hash,
            view_block=self.view_block,
            served_at_ms=now_ms,
        )
        signed = receipt.canonical()
        return SignedDraft(self, receipt, signed, b64(key.sign(signed)))


@dataclass(frozen=True)
class SignedDraft:
    """A signed receipt before the log places it: what the log's write turn still adds is
    the position, cheaply (no signing, no canonicalising under the lock)."""

    draft: ReceiptDraft
    receipt: Receipt
    #: The canonical receipt: what the signature covers.
    canonical: bytes
    signature: str

    @property
    def request_id(self) -> str:
        return self.draft.request_id

    def row(self, log_index: int) -> dict[str, Any]:
        """The receipt-log row that stores it at ``log_index``."""
        d = self.draft
        return {
            "log_index": log_index,
            "receipt_id": d.receipt_id,
            "request_id": d.request_id,
            "grant_id": d.grant_id,
            "resource": d.resource,
            "consumer": d.consumer,
            "served_at_ms": self.receipt.served_at_ms,
            "signed_receipt": placed_receipt_json(log_index, self.canonical, self.signature),
        }

    def at(self, log_index: int) -> SignedReceipt:
        """The signed receipt at ``log_index``, as the answer carries it."""
        return SignedReceipt(log_index=log_index, receipt=self.receipt, signature=self.signature)


def placed_receipt_json(log_index: int, receipt: bytes, signature: str) -> str:
    """The canonical JSON of ``SignedReceipt(log_index, receipt, signature)``, built from the
    canonical receipt without a model: its three keys sort ``log_index`` < ``receipt`` <
    ``signature``, an index below 2**53 prints as itself, and base64 needs no escape (a
    differential test holds it to :meth:`SignedReceipt.canonical`)."""
    return (
        f'{{"log_index":{log_index},"receipt":{receipt.decode("utf-8")},'
        f'"signature":"{signature}"}}'
    )


def build_answer(
    *,
    checked: Checked,
    payload: Payload,
    receipt: SignedReceipt,
    recipient: SM2PublicKey | None = None,
) -> bytes:
    """The canonical answer: the data with its stored receipt, sent after the commit.

    A sealed ``payload`` is sealed to ``recipient`` (the consumer's registered key) with the
    request hash as additional data, so the envelope opens for this request only.
    """
    req, r_ = checked.request, receipt.receipt
    sealed: str | None = None
    if payload.plaintext is not None:
        if recipient is None:
            raise r.InternalError("no consumer key to seal the answer to", resource=req.resource)
        envelope = seal(recipient, payload.plaintext, aad=bytes.fromhex(checked.request_hash[2:]))
        sealed = base64.b64encode(envelope).decode("ascii")
    answer = Answer(
        request_id=req.request_id,
        request_hash=checked.request_hash,
        grant_id=r_.grant_id,
        provider=r_.provider,
        resource=req.resource,
        mode=r_.mode,
        data=None if sealed is not None else payload.data,
        sealed=sealed,
        data_digest=r_.response_hash,
        receipt=receipt,
        served_at_ms=r_.served_at_ms,
    )
    return answer.canonical()
