"""Tools of the tamper suite: copy the honest evidence, change it, name the expected findings."""

from __future__ import annotations

import copy
import secrets
import uuid
from typing import Any

from quancheng import merkle
from quancheng.crypto import SM2PrivateKey
from quancheng.protocol import AnchorDocument, Receipt, SignedReceipt
from quancheng.protocol.documents import b64
from quancheng_audit import AuditConfig, AuditReport, ReceiptLog, audit
from quancheng_audit.findings import Finding
from tests.audit.trail import Trail

#: (code, subject as the report names it).
Key = tuple[str, str]


def keys(report: AuditReport) -> set[Key]:
    """The findings of a report as comparable keys."""
    return {key_of(f) for f in report.findings}


def key_of(f: Finding) -> Key:
    return f.code, f.subject.describe()


def copy_log(trail: Trail) -> ReceiptLog:
    """A deep copy of the honest trail's receipt log, to tamper with."""
    return ReceiptLog.model_validate(copy.deepcopy(trail.log().model_dump(mode="json")))


def run(trail: Trail, log: ReceiptLog, config: AuditConfig | None = None) -> AuditReport:
    return audit(trail.chain, [log], config or trail.config)


def receipt(log: ReceiptLog, position: int) -> dict[str, Any]:
    entry: dict[str, Any] = log.entries[position]["receipt"]
    return entry


def on_receipt(code: str, log: ReceiptLog, entry: dict[str, Any]) -> Key:
    r = entry["receipt"]
    return code, f"receipt {log.provider}#{entry['log_index']} ({r['receipt_id']})"


def on_batch(code: str, provider: str, seq: int) -> Key:
    return code, f"batch {provider}/{seq}"


def on_log(code: str, provider: str, index: int) -> Key:
    return code, f"log of {provider} at #{index}"


def on_grant(code: str, grant_id: str) -> Key:
    return code, f"grant {grant_id}"


def anchors(trail: Trail) -> list[dict[str, Any]]:
    """The provider's anchors (seq, first_index, size, root) from the chain evidence."""
    return [
        {k: e.args[a] for k, a in (("seq", "seq"), ("first", "firstIndex"), ("size", "size"))}
        for e in trail.chain.events
        if e.name == "BatchAnchored"
    ]


def batch_of(trail: Trail, index: int) -> int:
    """The seq of the anchored batch holding ``index``."""
    for a in anchors(trail):
        if a["first"] <= index < a["first"] + a["size"]:
            return int(a["seq"])
    raise AssertionError(f"log_index {index} is in no anchored batch")


def signed(fields: dict[str, Any], key: SM2PrivateKey) -> dict[str, Any]:
    """A signed receipt entry of ``fields``, signed with ``key``, at ``fields["log_index"]``
    (the position is the entry's, not signed)."""
    fields = dict(fields)
    at = fields.pop("log_index")
    r = Receipt.model_validate(fields)
    out: dict[str, Any] = SignedReceipt(
        log_index=at, receipt=r, signature=b64(key.sign(r.canonical()))
    ).model_dump(mode="json")
    return out


def fresh_fields(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of receipt fields for another request (new receipt id and request hash) with
    the given changes; keeping the request hash would also answer one request twice."""
    fresh = {"receipt_id": str(uuid.uuid4()), "request_hash": "0x" + secrets.token_hex(32)}
    return {**base, **fresh, **changes}


def key_of_batch(trail: Trail, seq: int) -> SM2PrivateKey:
    """The provider key that signed batch ``seq`` (before or after the rotation)."""
    assert trail.old_key is not None
    chain_sig = next(
        e.raw("signature") for e in trail.chain.events
        if e.name == "BatchAnchored" and e.args["seq"] == seq
    )  # fmt: skip
    a = next(x for x in trail.log().batches if x["seq"] == seq)
    doc = AnchorDocument.model_validate(a["document"])
    try:
        trail.old_key.public_key().verify(chain_sig, doc.canonical())
        return trail.old_key
    except Exception:
        return trail.sc.provider.sm2


def rewrite_batch(log: ReceiptLog, seq: int, key: SM2PrivateKey) -> list[dict[str, Any]]:
    """Rewrite every receipt of the gateway's batch ``seq`` (new response hashes), re-sign
    them, the new root and its anchor document with ``key``; returns the new entries."""
    batch = next(b for b in log.batches if b["seq"] == seq)
    first, size = batch["first_index"], batch["size"]
    for i in range(first, first + size):
        fields = {**receipt(log, i), "response_hash": "0x" + "ab" * 32, "log_index": i}
        log.entries[i] = signed(fields, key)
    leaves = [
        merkle.leaf_hash(SignedReceipt.model_validate(e).canonical())
        for e in log.entries[first : first + size]
    ]
    root = "0x" + merkle.root(leaves).hex()
    doc = AnchorDocument.model_validate({**batch["document"], "root": root})
    batch.update(
        root=root, document=doc.model_dump(mode="json"), signature=b64(key.sign(doc.canonical()))
    )
    return list(log.entries[first : first + size])
