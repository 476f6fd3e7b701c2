"""Assertions shared by the gateway tests."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from quancheng.crypto import SM2PublicKey, canonical_digest
from quancheng.protocol import SignedAnswer, SignedRequest, signing_bytes
from quancheng.protocol.documents import unb64
from quancheng_gateway.models import GrantResourceServed, ReceiptRow
from quancheng_gateway.receipt_log import log_head
from quancheng_gateway.service import Gateway


def log_state(gateway: Gateway) -> tuple[int, int, Counter[tuple[str, str]], int, int]:
    """What a refusal must not change: log head, receipt rows, served counts, in flight."""
    served_t = GrantResourceServed.__table__  # type: ignore[attr-defined]
    with gateway.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(ReceiptRow)).scalar()
        head = log_head(conn)
        stmt = select(served_t.c.grant_id, served_t.c.resource, served_t.c.served)
        served = Counter({(g, res): int(n) for g, res, n in conn.execute(stmt)})
    return (head, int(rows or 0), served, gateway.committer.head, gateway.committer.inflight)


def request_stored(gateway: Gateway, request_id: str) -> bool:
    with gateway.engine.connect() as conn:
        stmt = select(ReceiptRow.log_index).where(ReceiptRow.request_id == request_id)  # type: ignore[arg-type]
        return conn.execute(stmt).first() is not None


def assert_refusal_body(
    resp: Any, status: int, code: str, fields: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Exact status and code, and a body that is only the protocol's error."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code, body
    for name in fields:  # no data value leaks through the details
        assert name not in body["error"]["details"]
    return dict(body)


def verify_answer(
    body: bytes, signed: SignedRequest, gateway_key: SM2PublicKey, fields: tuple[str, ...]
) -> SignedAnswer:
    """Everything the SDK checks: signatures, request hash, data digest, receipt, scope."""
    answer = SignedAnswer.model_validate_json(body)
    a = answer.answer
    gateway_key.verify(unb64(answer.signature), signing_bytes(a))
    receipt = a.receipt.receipt
    gateway_key.verify(unb64(a.receipt.signature), signing_bytes(receipt))
    request_hash = "0x" + canonical_digest(signed.request.model_dump(mode="json")).hex()
    assert a.request_hash == request_hash == receipt.request_hash
    assert a.data_digest == "0x" + canonical_digest(a.data).hex() == receipt.response_hash
    assert a.request_id == signed.request.request_id
    assert (receipt.grant_id, receipt.consumer, receipt.resource, receipt.purpose) == (
        signed.request.grant_id,
        signed.request.consumer,
        signed.request.resource,
        signed.request.purpose,
    )
    assert set(a.data) == set(fields)
    return answer
