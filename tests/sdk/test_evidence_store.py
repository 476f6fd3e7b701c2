"""The consumer's evidence store: append-only, durable across a reopen, exported and signed."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from quancheng.crypto import SM2PrivateKey
from quancheng.evidence import EvidenceStore, open_evidence
from quancheng.evidence_bundle import (
    load_evidence_bundle,
    parse_evidence_bundle,
    verify_evidence_bundle,
)
from quancheng.evidence_errors import (
    EvidenceAppendOnly,
    EvidenceBundleInvalid,
    EvidenceSignatureInvalid,
)
from quancheng.protocol import Purpose, Receipt, SignedReceipt
from quancheng.protocol.documents import b64

GATEWAY = SM2PrivateKey.generate()
CONSUMER = SM2PrivateKey.generate()


def _receipt(log_index: int, *, request_hash: str | None = None) -> SignedReceipt:
    r = Receipt(
        receipt_id=str(uuid.uuid4()),
        grant_id="0x" + "11" * 32,
        consumer="bank.test",
        provider="jinan.vmo",
        resource="vehicle.registration",
        purpose=Purpose.MOTOR_CLAIM,
        tier="SCENARIO",
        mode="RAW",
        request_hash=request_hash or "0x" + uuid.uuid4().hex * 2,
        response_hash="0x" + "33" * 32,
        view_block=1,
        served_at_ms=1_767_225_600_000 + log_index,
    )
    return SignedReceipt(log_index=log_index, receipt=r, signature=b64(GATEWAY.sign(r.canonical())))


def _add(store: EvidenceStore, signed: SignedReceipt) -> bool:
    return store.add(signed, request_hash=signed.receipt.request_hash).conflict


def test_a_second_receipt_at_a_held_position_is_kept_and_flagged(tmp_path: Path) -> None:
    with EvidenceStore(tmp_path / "e.sqlite3") as store:
        first, other = _receipt(0), _receipt(0)

        assert _add(store, first) is False
        assert _add(store, other) is True
        assert _add(store, first) is False  # the same receipt again changes nothing

        assert [r.receipt.receipt.receipt_id for r in store.receipts()] == [
            first.receipt.receipt_id,
            other.receipt.receipt_id,
        ]
        assert [r.receipt.receipt.receipt_id for r in store.conflicts()] == [
            other.receipt.receipt_id
        ]


def test_the_store_refuses_to_delete_or_change_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    with EvidenceStore(path) as store:
        signed = _receipt(0)
        _add(store, signed)
        with pytest.raises(EvidenceAppendOnly) as caught:
            store.delete(signed.receipt.receipt_id)
        assert caught.value.code == "EVIDENCE_APPEND_ONLY"
    raw = sqlite3.connect(path)
    for sql in ("DELETE FROM receipts", "UPDATE receipts SET request_hash = 'x'"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(sql)
    raw.close()
    with EvidenceStore(path) as store:
        assert len(store) == 1


def test_receipts_survive_a_restart_of_the_process(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "e.sqlite3"
    held = [_receipt(i) for i in range(3)]
    store = EvidenceStore(path)
    for signed in held:
        _add(store, signed)
    store.close()

    with EvidenceStore(path) as reopened:
        assert [r.receipt for r in reopened.receipts()] == held
        assert reopened.get(held[1].receipt.receipt_id)[0].request_hash == (
            held[1].receipt.request_hash
        )


def test_a_signed_export_round_trips_and_verifies_with_the_consumers_key(
    tmp_path: Path,
) -> None:
    with EvidenceStore(tmp_path / "e.sqlite3", clock=lambda: 1_767_225_700.0) as store:
        for signed in (_receipt(0), _receipt(0), _receipt(1)):
            _add(store, signed)
        written = store.export(tmp_path / "out" / "evidence.json", "bank.test", key=CONSUMER)

    loaded = load_evidence_bundle(tmp_path / "out" / "evidence.json")

    assert loaded == written
    assert loaded.bundle.type == "quancheng.consumer-evidence/1"
    assert loaded.bundle.consumer == "bank.test"
    assert loaded.bundle.exported_at_ms == 1_767_225_700_000
    assert [e.conflict for e in loaded.bundle.entries] == [False, True, False]
    verify_evidence_bundle(loaded, CONSUMER.public_key())
    with pytest.raises(EvidenceSignatureInvalid):
        verify_evidence_bundle(loaded, SM2PrivateKey.generate().public_key())
    trimmed = loaded.bundle.model_copy(update={"entries": loaded.bundle.entries[:1]})
    with pytest.raises(EvidenceSignatureInvalid):
        verify_evidence_bundle(loaded.model_copy(update={"bundle": trimmed}), CONSUMER.public_key())


def test_a_file_that_is_not_a_bundle_is_refused_with_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(EvidenceBundleInvalid):
        parse_evidence_bundle(b'{"bundle": {"type": "quancheng.receipt-log/1"}}')
    with pytest.raises(EvidenceBundleInvalid):
        load_evidence_bundle(tmp_path / "missing.json")


def test_clients_keep_evidence_by_default_in_the_configured_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QC_EVIDENCE_DIR", str(tmp_path))
    store, owned = open_evidence(None, "bank.test")
    assert store is not None and owned and store.path == tmp_path / "bank.test.sqlite3"
    store.close()
    assert open_evidence(False, "bank.test") == (None, False)
    with EvidenceStore(tmp_path / "mine.sqlite3") as mine:
        assert open_evidence(mine, "bank.test") == (mine, False)
