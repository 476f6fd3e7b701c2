"""Protocol documents canonicalise once, and their bytes are still RFC 8785's."""

from __future__ import annotations

import pickle
import uuid
from typing import Any

import pytest
import rfc8785

from quancheng.crypto import canonical_json
from quancheng.protocol.documents import (
    AnchorDocument,
    QueryRequest,
    SignedRequest,
    signing_bytes,
)


def hex32(n: int) -> str:
    return "0x" + f"{n:064x}"


def request(**changes: Any) -> QueryRequest:
    fields: dict[str, Any] = {
        "request_id": str(uuid.UUID(int=7, version=4)),
        "grant_id": hex32(1),
        "consumer": "bank-a",
        "resource": "vehicle.registration",
        "fields": ("owner_name", "plate"),
        "purpose": 1,
        "params": {"plate": "鲁A12345", "year": 2024},
        "issued_at_ms": 1_700_000_000_000,
        "channel": hex32(2),
        "seal": False,
    }
    return QueryRequest(**(fields | changes))


@pytest.fixture
def canonicalisations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every value the documents module canonicalises during the test."""
    calls: list[Any] = []
    real = canonical_json

    def spy(obj: Any) -> bytes:
        calls.append(obj)
        return real(obj)

    monkeypatch.setattr("quancheng.protocol.documents.canonical_json", spy)
    return calls


def test_a_request_is_canonicalised_once_however_often_it_is_signed_hashed_or_checked(
    canonicalisations: list[Any],
) -> None:
    req = request()
    first = req.canonical()
    assert signing_bytes(req) is first
    assert req.digest_hex().startswith("0x")
    assert SignedRequest(request=req, signature="AA==").request.canonical() is first
    assert len(canonicalisations) == 1


def test_bytes_are_rfc8785_of_the_json_dump_as_before() -> None:
    req = request()
    signed = SignedRequest(request=req, signature="MEUCIQ==")
    anchor = AnchorDocument(provider="dmv", seq=3, root=hex32(9), size=2, first_index=0,
                            prev_root=hex32(8))  # fmt: skip
    for doc in (req, signed, anchor):
        expected = bytes(rfc8785.dumps(doc.model_dump(mode="json")))
        assert doc.canonical() == expected
        assert doc.canonical() == expected  # the kept bytes, too


def test_a_changed_copy_canonicalises_afresh() -> None:
    req = request()
    before = req.canonical()
    changed = req.model_copy(update={"issued_at_ms": 1})
    assert b'"issued_at_ms":1,' in changed.canonical()
    assert changed.canonical() != before
    assert req.canonical() == before
    assert req.model_copy().canonical() == before


def test_kept_bytes_are_invisible_to_dumps_equality_and_pickling() -> None:
    req = request()
    fresh = QueryRequest.model_validate_json(req.model_dump_json())
    before = req.model_dump(mode="json")
    req.canonical()
    assert req == fresh
    assert req.model_dump(mode="json") == before == fresh.model_dump(mode="json")
    assert "canonical" not in req.model_dump_json() and "canonical" not in repr(req)
    assert pickle.loads(pickle.dumps(req)).canonical() == fresh.canonical()
    anchor = AnchorDocument(provider="dmv", seq=3, root=hex32(9), size=2, first_index=0,
                            prev_root=hex32(8))  # fmt: skip
    twin = anchor.model_copy()
    anchor.canonical()
    assert anchor == twin and hash(anchor) == hash(twin)


def test_the_digest_is_sm3_of_the_kept_bytes() -> None:
    from quancheng.crypto import sm3

    req = request()
    assert req.digest_hex() == "0x" + sm3(req.canonical()).hex()
