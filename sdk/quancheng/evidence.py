"""The consumer's side of the evidence, kept the way X-Road keeps logs on both sides.

A gateway keeps its receipt log; a consumer that keeps every receipt it received can prove,
with the gateway's own signature, what the gateway's log must hold. :class:`EvidenceStore` is
that record: a local SQLite file, written (and synced) before the answer reaches the caller,
append-only (the database itself refuses UPDATE and DELETE), exported as a bundle the auditor
cross-checks against the providers' logs (``quancheng audit --consumer-evidence FILE``)::

    store = EvidenceStore("var/evidence.sqlite3")
    with ConsumerClient(me, manifest, rpc_url, evidence=store) as client:
        client.query(grant_id, "tax.payment", ["tax_amount_fen"])
    store.export("evidence.json", consumer=me.code, key=me.sm2_key)   # signed acknowledgement

A receipt that conflicts with one already held — another receipt under the same id, or
another receipt the same provider placed at the same log index — is stored too and flagged
(``conflict``). Two receipts under one id are the proof, by the gateway's signature, that it
signed two different things as one receipt. Two at one index are a warning, not that proof:
since ``quancheng.receipt/4`` the index is stated beside the signature, not under it, so the
gateway's signature does not bind it. What binds it is the batch's Merkle root anchored on
chain; the auditor finds each held receipt in the log by its signed bytes, wherever it
stands (``RECEIPT_EQUIVOCATION`` charges the gateway for one that is missing).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from quancheng.crypto import SM2PrivateKey, sm3
from quancheng.evidence_bundle import (
    EvidenceBundle,
    EvidenceEntry,
    SignedEvidenceBundle,
    sign_evidence_bundle,
)
from quancheng.evidence_errors import EvidenceAppendOnly, EvidenceStoreError
from quancheng.protocol import Answer, SignedReceipt, SignedRequest, signing_bytes
from quancheng.verified import VerifiedAnswer

__all__ = [
    "EVIDENCE_DIR_ENV",
    "EvidenceOption",
    "EvidenceStore",
    "StoredReceipt",
    "deployment_id",
    "open_evidence",
]

_log = logging.getLogger("quancheng.evidence")

#: Where the clients keep a consumer's store when not told (``<dir>/<code>.sqlite3``).
EVIDENCE_DIR_ENV = "QC_EVIDENCE_DIR"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS receipts (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    digest         TEXT NOT NULL UNIQUE,     -- SM3 of the canonical signed receipt
    provider       TEXT NOT NULL,
    log_index      INTEGER NOT NULL,
    receipt_id     TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    endpoint       TEXT,
    conflict       INTEGER NOT NULL,
    signed_receipt TEXT NOT NULL,
    signed_request TEXT,
    answer         TEXT                      -- the answer as received (it is not signed)
);
CREATE INDEX IF NOT EXISTS receipts_position ON receipts (provider, log_index);
CREATE INDEX IF NOT EXISTS receipts_id ON receipts (receipt_id);
CREATE TRIGGER IF NOT EXISTS receipts_no_update BEFORE UPDATE ON receipts
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER IF NOT EXISTS receipts_no_delete BEFORE DELETE ON receipts
    BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
"""
_INSERT = (
    "INSERT INTO receipts (digest, provider, log_index, receipt_id, request_hash,"
    " received_at_ms, endpoint, conflict, signed_receipt, signed_request, answer)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_CLASH = (
    "SELECT 1 FROM receipts WHERE digest != ? AND ((provider = ? AND log_index = ?)"
    " OR receipt_id = ?) LIMIT 1"
)
_COLUMNS = "seq, signed_receipt, request_hash, received_at_ms, endpoint, conflict"


@dataclass(frozen=True)
class StoredReceipt:
    """A receipt as the store holds it.

    Attributes:
        seq: Its position in the store (order of arrival).
        receipt: The gateway's signed receipt.
        request_hash: SM3 of the request it answered.
        received_at_ms: When it was stored.
        endpoint: The gateway that sent it.
        conflict: Another receipt was already held under its id, or at the log index the
            gateway stated for it (an index the gateway's signature does not cover).
    """

    seq: int
    receipt: SignedReceipt
    request_hash: str
    received_at_ms: int
    endpoint: str | None
    conflict: bool


class EvidenceStore:
    """A durable, append-only record of every receipt a consumer received.

    One file per consumer institution; safe to share between threads and between the sync
    and async clients; reopened after a restart with everything it held.

    Args:
        path: The SQLite file (created, with its directory, if missing).
        clock: Wall-clock seconds, for ``received_at_ms`` (injectable for tests).

    Raises:
        EvidenceStoreError: The file cannot be opened or is not an evidence store.
    """

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            # FULL: a stored receipt survives a power cut, not only a crash of this process.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise EvidenceStoreError(self.path, f"cannot open it ({exc})") from None

    # ----------------------------------------------------------------------------- writes

    def record(self, answer: VerifiedAnswer) -> StoredReceipt:
        """Keep a verified answer's receipt, signed request and answer (synced to disk).

        Storing the same receipt again changes nothing and returns what is held.

        Raises:
            EvidenceStoreError: It could not be written.
        """
        return self.add(
            answer.receipt,
            request_hash=answer.request_hash,
            endpoint=answer.endpoint,
            request=answer.signed_request,
            answer=answer.answer,
        )

    def add(
        self,
        receipt: SignedReceipt,
        *,
        request_hash: str,
        endpoint: str | None = None,
        request: SignedRequest | None = None,
        answer: Answer | None = None,
    ) -> StoredReceipt:
        """Keep one signed receipt; see :meth:`record`.

        Raises:
            EvidenceStoreError: It could not be written.
        """
        text = signing_bytes(receipt).decode("utf-8")
        digest = "0x" + sm3(text.encode("utf-8")).hex()
        r = receipt.receipt
        now_ms = int(self._clock() * 1000)
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    held = self._by_digest(digest)
                    if held is None:
                        clash = self._db.execute(
                            _CLASH, (digest, r.provider, receipt.log_index, r.receipt_id)
                        ).fetchone()
                        self._db.execute(
                            _INSERT,
                            (
                                digest, r.provider, receipt.log_index, r.receipt_id, request_hash,
                                now_ms, endpoint, int(clash is not None), text,
                                _dump(request), _dump(answer),
                            ),
                        )  # fmt: skip
                        held = self._by_digest(digest)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise EvidenceStoreError(self.path, f"cannot store receipt ({exc})") from None
        assert held is not None
        if held.conflict:
            _log.warning(
                "receipt %s conflicts with another receipt of %s (same id, or the same stated "
                "log index %d): both kept in %s for the audit", r.receipt_id, r.provider,
                receipt.log_index, self.path,
            )  # fmt: skip
        return held

    def delete(self, receipt_id: str) -> None:
        """Never: the store is append-only.

        Raises:
            EvidenceAppendOnly: Always.
        """
        raise EvidenceAppendOnly(self.path, f"refused to delete receipt {receipt_id}")

    # ------------------------------------------------------------------------------ reads

    def receipts(self) -> Iterator[StoredReceipt]:
        """Every receipt held, in the order received."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM receipts ORDER BY seq").fetchall()
        return iter([_stored(row) for row in rows])

    def conflicts(self) -> list[StoredReceipt]:
        """The receipts that contradict one received earlier (equivocation evidence)."""
        return [r for r in self.receipts() if r.conflict]

    def get(self, receipt_id: str) -> list[StoredReceipt]:
        """The receipts held under ``receipt_id`` (more than one only on a conflict)."""
        sql = f"SELECT {_COLUMNS} FROM receipts WHERE receipt_id = ? ORDER BY seq"
        with self._lock:
            rows = self._db.execute(sql, (receipt_id,)).fetchall()
        return [_stored(row) for row in rows]

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM receipts").fetchone()[0])

    # ----------------------------------------------------------------------------- export

    def bundle(
        self,
        consumer: str,
        *,
        key: SM2PrivateKey | None = None,
        include_documents: bool = False,
    ) -> SignedEvidenceBundle:
        """Every receipt held, as a bundle for the auditor (signed with ``key`` if given).

        Args:
            consumer: The consumer's institution code (the auditor checks the signature with
                its registered key).
            key: The consumer's SM2 key, to sign the bundle as an acknowledgement.
            include_documents: Also carry the signed requests and answers (with their data:
                the consumer's confidential copy; the audit does not need them).
        """
        sql = f"SELECT {_COLUMNS}, signed_request, answer FROM receipts ORDER BY seq"
        with self._lock:
            rows = self._db.execute(sql).fetchall()
        entries = []
        for row in rows:
            held = _stored(row[:6])
            extra = {}
            if include_documents:
                extra = {
                    "request": json.loads(row[6]) if row[6] else None,
                    "answer": json.loads(row[7]) if row[7] else None,
                }
            entries.append(
                EvidenceEntry.model_validate(
                    {
                        "receipt": held.receipt.model_dump(mode="json"),
                        "request_hash": held.request_hash,
                        "received_at_ms": held.received_at_ms,
                        "endpoint": held.endpoint,
                        "conflict": held.conflict,
                        **extra,
                    }
                )
            )
        bundle = EvidenceBundle(
            consumer=consumer, exported_at_ms=int(self._clock() * 1000), entries=tuple(entries)
        )
        return sign_evidence_bundle(bundle, key)

    def export(
        self,
        path: Path | str,
        consumer: str,
        *,
        key: SM2PrivateKey | None = None,
        include_documents: bool = False,
    ) -> SignedEvidenceBundle:
        """Write :meth:`bundle` to ``path`` as JSON; returns it.

        Raises:
            EvidenceStoreError: The file cannot be written.
        """
        signed = self.bundle(consumer, key=key, include_documents=include_documents)
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(signed.model_dump_json(indent=1), encoding="utf-8")
        except OSError as exc:
            raise EvidenceStoreError(target, f"cannot write the bundle ({exc})") from None
        return signed

    # -------------------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Close the file (everything is already on disk)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> EvidenceStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _by_digest(self, digest: str) -> StoredReceipt | None:
        sql = f"SELECT {_COLUMNS} FROM receipts WHERE digest = ?"
        row = self._db.execute(sql, (digest,)).fetchone()
        return None if row is None else _stored(row)


#: What the clients accept as ``evidence=``: a store, a file, None (the default file) or False.
EvidenceOption = EvidenceStore | Path | str | None | Literal[False]


def open_evidence(
    evidence: EvidenceOption, consumer: str, deployment: str = ""
) -> tuple[EvidenceStore | None, bool]:
    """Resolve a client's ``evidence=`` argument: (the store or None, whether the client owns it).

    None opens ``$QC_EVIDENCE_DIR/<consumer>@<deployment>.sqlite3`` (default directory
    ``~/.quancheng/evidence``; one file per deployment, so a sandbox's receipts never mix with
    production's and a rebuilt test chain's log positions never look like equivocation);
    False keeps nothing; a path opens that file; a store is used as it is (and not closed by
    the client).

    Raises:
        EvidenceStoreError: The store cannot be opened.
    """
    if evidence is False:
        return None, False
    if isinstance(evidence, EvidenceStore):
        return evidence, False
    if evidence is None:
        base = os.environ.get(EVIDENCE_DIR_ENV) or Path.home() / ".quancheng" / "evidence"
        name = f"{consumer}@{deployment}" if deployment else consumer
        evidence = Path(base) / f"{name}.sqlite3"
    store = EvidenceStore(evidence)
    _log.info("keeping %s's receipts in %s", consumer, store.path)
    return store, True


def deployment_id(contracts: Any) -> str:
    """``<chain id>-<first 8 hex digits of the consortium registry's address>``."""
    registry = str(contracts.manifest.contracts["ConsortiumRegistry"].address)
    return f"{contracts.manifest.chain_id}-{registry[2:10].lower()}"


def _dump(doc: SignedRequest | Answer | None) -> str | None:
    return None if doc is None else signing_bytes(doc).decode("utf-8")


def _stored(row: tuple[object, ...]) -> StoredReceipt:
    seq, receipt, request_hash, received_at_ms, endpoint, conflict = row
    return StoredReceipt(
        seq=int(str(seq)),
        receipt=SignedReceipt.model_validate_json(str(receipt)),
        request_hash=str(request_hash),
        received_at_ms=int(str(received_at_ms)),
        endpoint=None if endpoint is None else str(endpoint),
        conflict=bool(conflict),
    )
