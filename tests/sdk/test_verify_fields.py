"""verify_answer refuses an answer lacking a requested field or indicator, and accepts null."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from quancheng.crypto import SM2PrivateKey
from quancheng.protocol import (
    Answer,
    GrantMode,
    Purpose,
    QueryRequest,
    Receipt,
    SignedReceipt,
)
from quancheng.protocol.documents import b64
from quancheng.verify import data_digest, request_hash, verify_answer
from quancheng.verify_errors import MissingFields

KEY = SM2PrivateKey.generate()
PROVIDER = "jinan.tax"


def _answer(request: QueryRequest, data: dict[str, Any], mode: GrantMode) -> Answer:
    digest = data_digest(data)
    receipt = Receipt(
        receipt_id=str(uuid.uuid4()),
        grant_id=request.grant_id,
        consumer=request.consumer,
        provider=PROVIDER,
        resource=request.resource,
        purpose=request.purpose,
        tier="SCENARIO",
        mode=mode,
        request_hash=request_hash(request),
        response_hash=digest,
        view_block=7,
        served_at_ms=request.issued_at_ms + 5,
    )
    answer = Answer(
        request_id=request.request_id,
        request_hash=request_hash(request),
        grant_id=request.grant_id,
        provider=PROVIDER,
        resource=request.resource,
        mode=mode,
        data=data,
        sealed=None,
        data_digest=digest,
        receipt=SignedReceipt(
            log_index=0, receipt=receipt, signature=b64(KEY.sign(receipt.canonical()))
        ),
        served_at_ms=receipt.served_at_ms,
    )
    return answer


def _request(fields: tuple[str, ...]) -> QueryRequest:
    return QueryRequest(
        request_id=str(uuid.uuid4()),
        grant_id="0x" + "22" * 32,
        consumer="bank.test",
        resource="tax.payment",
        fields=fields,
        purpose=Purpose.SME_CREDIT,
        issued_at_ms=1_767_225_600_000,
        channel=None,
        seal=False,
    )


def _verify(request: QueryRequest, signed: Answer, mode: GrantMode) -> None:
    verify_answer(
        signed, request=request, provider=PROVIDER, provider_key=KEY.public_key(), mode=mode
    )


def test_derived_answer_lacking_a_requested_indicator_is_refused() -> None:
    request = _request(("tax_paid_12m_fen", "months_paid_12m"))
    signed = _answer(request, {"tax_paid_12m_fen": 120_000}, GrantMode.DERIVED)

    with pytest.raises(MissingFields) as caught:
        _verify(request, signed, GrantMode.DERIVED)

    assert (caught.value.fields, caught.value.mode) == (("months_paid_12m",), "DERIVED")
    assert "indicators: months_paid_12m" in str(caught.value)


def test_raw_answer_with_null_for_a_value_the_source_lacks_verifies() -> None:
    request = _request(("tax_amount_fen", "period_end"))
    signed = _answer(request, {"tax_amount_fen": 5_000, "period_end": None}, GrantMode.RAW)

    _verify(request, signed, GrantMode.RAW)
