"""Assertions shared by the gateway tests."""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from quancheng.crypto import SM2PrivateKey, SM2PublicKey, canonical_digest, sm3
from quancheng.crypto.seal import open_sealed
from quancheng.protocol import Answer, SignedRequest, signing_bytes
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
    body: bytes,
    signed: SignedRequest,
    gateway_key: SM2PublicKey,
    fields: tuple[str, ...],
    consumer_key: SM2PrivateKey | None = None,
) -> Answer:
    """Everything the SDK checks: the receipt's signature, request hash, data digest, scope.

    A sealed answer is opened with ``consumer_key`` (see :func:`answer_data`).
    """
    answer = a = Answer.model_validate_json(body)
    receipt = a.receipt.receipt
    gateway_key.verify(unb64(a.receipt.signature), signing_bytes(receipt))
    request_hash = "0x" + canonical_digest(signed.request.model_dump(mode="json")).hex()
    assert a.request_hash == request_hash == receipt.request_hash
    data, digest = _opened(a, consumer_key)
    assert a.data_digest == digest == receipt.response_hash
    assert a.request_id == signed.request.request_id
    assert (receipt.grant_id, receipt.consumer, receipt.resource, receipt.purpose) == (
        signed.request.grant_id,
        signed.request.consumer,
        signed.request.resource,
        signed.request.purpose,
    )
    assert (a.mode, a.served_at_ms) == (receipt.mode, receipt.served_at_ms)
    assert set(data) == set(fields)
    return answer


def answer_data(answer: Answer, consumer_key: SM2PrivateKey | None = None) -> dict[str, Any]:
    """The answer's data: in the clear, or opened with the consumer's key."""
    return _opened(answer, consumer_key)[0]


def _opened(a: Answer, consumer_key: SM2PrivateKey | None) -> tuple[dict[str, Any], str]:
    if a.sealed is None:
        assert a.data is not None
        return a.data, "0x" + canonical_digest(a.data).hex()
    assert consumer_key is not None, "a sealed answer: give the consumer's key"
    plaintext = open_sealed(
        consumer_key, base64.b64decode(a.sealed), aad=bytes.fromhex(a.request_hash[2:])
    )
    payload = json.loads(plaintext)
    assert set(payload) == {"data", "salt"} and len(payload["salt"]) == 66
    return payload["data"], "0x" + sm3(plaintext).hex()
