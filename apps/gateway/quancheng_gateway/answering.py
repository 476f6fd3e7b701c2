"""Reading the granted data and signing the receipt and the answer."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine

from quancheng.crypto import SM2PrivateKey, canonical_digest
from quancheng.protocol import Answer, GrantMode, Receipt, SignedAnswer, SignedReceipt
from quancheng.protocol import refusals as r
from quancheng.protocol.documents import b64
from quancheng_gateway.pipeline import Checked
from quancheng_gateway.resources import UnsafeValue, check_json_safe

__all__ = ["read_data", "sign_answer"]

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


def sign_answer(
    *,
    key: SM2PrivateKey,
    provider: str,
    checked: Checked,
    log_index: int,
    data: dict[str, Any],
    now_ms: int,
) -> tuple[dict[str, Any], bytes]:
    """The receipt row to commit and the canonical signed answer to send after it."""
    req, grant = checked.request, checked.grant
    data_digest = "0x" + canonical_digest(data).hex()
    receipt = Receipt(
        receipt_id=str(uuid.uuid4()),
        log_index=log_index,
        grant_id=grant.grant_id,
        consumer=req.consumer,
        provider=provider,
        resource=req.resource,
        purpose=req.purpose,
        request_hash=checked.request_hash,
        response_hash=data_digest,
        served_at_ms=now_ms,
    )
    signed_receipt = SignedReceipt(receipt=receipt, signature=b64(key.sign(receipt.canonical())))
    answer = Answer(
        request_id=req.request_id,
        request_hash=checked.request_hash,
        grant_id=grant.grant_id,
        provider=provider,
        resource=req.resource,
        mode=GrantMode(grant.mode),
        data=data,
        data_digest=data_digest,
        receipt=signed_receipt,
        served_at_ms=now_ms,
    )
    signed_answer = SignedAnswer(answer=answer, signature=b64(key.sign(answer.canonical())))
    row = {
        "log_index": log_index,
        "receipt_id": receipt.receipt_id,
        "request_id": req.request_id,
        "grant_id": grant.grant_id,
        "resource": req.resource,
        "consumer": req.consumer,
        "served_at_ms": now_ms,
        "signed_receipt": signed_receipt.canonical().decode("utf-8"),
    }
    return row, signed_answer.canonical()
