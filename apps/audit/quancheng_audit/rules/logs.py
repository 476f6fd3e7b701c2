"""Receipt logs and their batches: nothing dropped, inserted, reordered or rewritten.

Per provider: the log's entries parse as signed receipts; every log_index from 0 to the last
one is there exactly once and in order; the chain's anchors run seq 0, 1, 2… linked by
prev_root with first_index the running total and a valid signature; the Merkle root
recomputed from the log's receipts equals each anchored root; the gateway's own batch records
say what the chain says; receipts beyond the last anchored batch are pending (a failure only
once older than the pending bound).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from typing import Any

from pydantic import ValidationError

from quancheng import merkle
from quancheng.crypto import canonical_json
from quancheng.protocol import AnchorDocument, SignedReceipt
from quancheng_audit.context import Context, Entry
from quancheng_audit.evidence import ReceiptLog
from quancheng_audit.findings import Finding, Subject
from quancheng_audit.history import Anchor
from quancheng_audit.sigs import verify_one

__all__ = ["canonical_receipt_bytes", "check_logs", "parse_log"]

ZERO_ROOT = "0x" + "00" * 32
_JS_SAFE = 2**53


def _simple_jcs(value: Any) -> bytes:
    # Receipts hold only pattern-checked ASCII strings and integers below 2**53, for which
    # sorted-key compact JSON is byte for byte RFC 8785 (no escapes, no number formatting).
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_receipt_bytes(signed: SignedReceipt) -> tuple[bytes, bytes]:
    """(canonical receipt, canonical signed receipt): what is signed, and the Merkle entry."""
    data = signed.model_dump(mode="json")
    r = signed.receipt
    if max(signed.log_index, r.served_at_ms) >= _JS_SAFE:
        return canonical_json(data["receipt"]), canonical_json(data)
    return _simple_jcs(data["receipt"]), _simple_jcs(data)


def _batch_subject(provider: str, seq: int, anchor: Anchor | None = None) -> Subject:
    if anchor is None:
        return Subject(kind="batch", provider=provider, seq=seq)
    e = anchor.event
    return Subject(kind="batch", provider=provider, seq=seq, block=e.block, tx_hash=e.tx)


def parse_log(ctx: Context, log: ReceiptLog) -> list[Entry]:
    """The log's entries that are signed receipts; RECEIPT_MALFORMED for the others."""
    entries: list[Entry] = []
    for position, raw in enumerate(log.entries):
        try:
            signed = SignedReceipt.model_validate_json(json.dumps(raw), strict=True)
        except (ValidationError, TypeError, ValueError) as exc:
            reason = f"{exc.error_count()} errors" if isinstance(exc, ValidationError) else str(exc)
            ctx.add(
                Finding.of(
                    "RECEIPT_MALFORMED",
                    Subject(kind="log", provider=log.provider, log_index=position),
                    f"entry at position {position} is not a signed receipt ({reason})",
                    expected="quancheng.receipt/4 with signature",
                    found=reason,
                )
            )
            continue
        receipt_bytes, leaf_bytes = canonical_receipt_bytes(signed)
        entries.append(Entry(log.provider, position, signed, receipt_bytes, leaf_bytes))
    return entries


def check_logs(ctx: Context) -> None:
    """Log continuity and batch findings for every provider; sets ``Entry.batch``."""
    audited = set()
    for log in ctx.logs:
        audited.add(log.provider)
        entries = parse_log(ctx, log)
        ctx.entries[log.provider] = entries
        by_index: dict[int, list[Entry]] = defaultdict(list)
        for entry in entries:
            by_index[entry.log_index].append(entry)
        anchors = ctx.history.anchors.get(log.provider, [])
        anchored_total = _check_anchor_chain(ctx, log.provider, anchors)
        _check_order(ctx, log.provider, entries)
        _check_continuity(ctx, log.provider, by_index, anchors, anchored_total)
        _check_batches(ctx, log.provider, by_index, anchors)
        _check_gateway_batches(ctx, log, anchors)
        _pending(ctx, log.provider, entries, anchored_total)
    for provider, anchors in ctx.history.anchors.items():
        if provider not in audited and anchors:
            ctx.add(
                Finding.of(
                    "LOG_MISSING",
                    Subject(kind="log", provider=provider),
                    f"{provider} anchored {len(anchors)} batches but its receipt log was not "
                    "audited (gateway unreachable or not given)",
                    expected="its receipt log",
                    found="none",
                )
            )


def _check_anchor_chain(ctx: Context, provider: str, anchors: list[Anchor]) -> int:
    prev_root, total = ZERO_ROOT, 0
    for i, a in enumerate(anchors):
        ctx.checked["batches"] += 1
        wrong = {
            k: (want, got)
            for k, want, got in (
                ("seq", i, a.seq),
                ("prev_root", prev_root, a.prev_root),
                ("first_index", total, a.first_index),
            )
            if want != got
        }
        if wrong:
            ctx.add(
                Finding.of(
                    "BATCH_CHAIN_BROKEN",
                    _batch_subject(provider, a.seq, a),
                    f"the chain of batches breaks at seq {a.seq}: {', '.join(wrong)}",
                    expected={k: v[0] for k, v in wrong.items()},
                    found={k: v[1] for k, v in wrong.items()},
                )
            )
        prev_root, total = a.root, a.first_index + a.size
    return total


def _check_order(ctx: Context, provider: str, entries: list[Entry]) -> None:
    ranked = sorted(range(len(entries)), key=lambda i: (entries[i].log_index, i))
    for rank, i in enumerate(ranked):
        if rank != i:
            e = entries[i]
            ctx.add(
                Finding.of(
                    "LOG_OUT_OF_ORDER",
                    e.subject(),
                    f"log_index {e.log_index} is stored at position {e.position}, out of order",
                    expected=f"position {entries[rank].position}",
                    found=f"position {e.position}",
                )
            )


def _batch_of(anchors: list[Anchor], index: int) -> Anchor | None:
    for a in anchors:
        if a.first_index <= index < a.first_index + a.size:
            return a
    return None


def _check_continuity(
    ctx: Context,
    provider: str,
    by_index: dict[int, list[Entry]],
    anchors: list[Anchor],
    anchored_total: int,
) -> None:
    last = max([*by_index, anchored_total - 1], default=-1)
    missing = [i for i in range(last + 1) if i not in by_index]
    for _, group in itertools.groupby(enumerate(missing), key=lambda p: p[1] - p[0]):
        run = [i for _, i in group]
        batch = _batch_of(anchors, run[0])
        where = f" (anchored batch {batch.seq})" if batch else ""
        span = str(run[0]) if len(run) == 1 else f"{run[0]}..{run[-1]}"
        ctx.add(
            Finding.of(
                "LOG_GAP",
                Subject(
                    kind="log",
                    provider=provider,
                    log_index=run[0],
                    seq=batch.seq if batch else None,
                ),
                f"log_index {span} missing from the log{where}",
                expected=f"entries {span}",
                found="missing",
            )
        )
    for index, dupes in sorted(by_index.items()):
        if len(dupes) > 1:
            ids = [e.signed.receipt.receipt_id for e in dupes]
            ctx.add(
                Finding.of(
                    "LOG_DUPLICATE_INDEX",
                    Subject(kind="log", provider=provider, log_index=index),
                    f"{len(dupes)} entries claim log_index {index}: {', '.join(ids)}",
                    expected="one entry",
                    found=ids,
                )
            )


def _anchor_keys(ctx: Context, provider: str, a: Anchor, entries: list[Entry]) -> list[bytes]:
    tol = ctx.tolerance_ms
    start = min((e.served_at_ms for e in entries), default=a.event.time * 1000)
    return ctx.history.keys_between(provider, start - tol, a.event.time * 1000 + tol)


def _check_batches(
    ctx: Context, provider: str, by_index: dict[int, list[Entry]], anchors: list[Anchor]
) -> None:
    for a in anchors:
        slots = [by_index.get(i, []) for i in range(a.first_index, a.first_index + a.size)]
        members = [e for slot in slots for e in slot]
        for e in members:
            e.batch = a
        doc = AnchorDocument(
            provider=provider,
            seq=a.seq,
            root=a.root,
            size=a.size,
            first_index=a.first_index,
            prev_root=a.prev_root,
        )
        keys = _anchor_keys(ctx, provider, a, members)
        ctx.signatures += 1
        if not any(verify_one(k, doc.canonical(), a.signature) for k in keys):
            ctx.add(
                Finding.of(
                    "BATCH_SIGNATURE_INVALID",
                    _batch_subject(provider, a.seq, a),
                    f"the anchored signature of batch {a.seq} does not verify with "
                    f"{provider}'s key",
                    expected=f"signed by {provider}",
                    found="signature does not verify",
                )
            )
        if any(not slot for slot in slots):
            continue  # reported as LOG_GAP: the root cannot be recomputed
        roots = set()
        for combo in itertools.islice(itertools.product(*slots), 16):
            roots.add("0x" + merkle.root([merkle.leaf_hash(e.leaf_bytes) for e in combo]).hex())
            if a.root in roots:
                break
        if a.root not in roots:
            ctx.add(
                Finding.of(
                    "BATCH_ROOT_MISMATCH",
                    _batch_subject(provider, a.seq, a),
                    f"the root of log_index {a.first_index}..{a.first_index + a.size - 1} is not "
                    f"the root anchored for batch {a.seq}",
                    expected=a.root,
                    found=sorted(roots)[0],
                )
            )


_BATCH_FIELDS = ("root", "size", "first_index", "prev_root")


def _check_gateway_batches(ctx: Context, log: ReceiptLog, anchors: list[Anchor]) -> None:
    provider = log.provider
    for raw in log.batches:
        try:
            seq = int(raw["seq"])
            doc = AnchorDocument.model_validate(raw["document"])
            signature = str(raw["signature"])
        except (KeyError, TypeError, ValueError, ValidationError):
            ctx.add(
                Finding.of(
                    "GATEWAY_BATCH_MISMATCH",
                    Subject(kind="batch", provider=provider),
                    "a batch record of the gateway is malformed",
                    expected="a batch record",
                    found=str(raw)[:120],
                )
            )
            continue
        anchor = anchors[seq] if 0 <= seq < len(anchors) else None
        if anchor is None:
            if raw.get("status") not in (None, "created"):
                ctx.add(
                    Finding.of(
                        "GATEWAY_BATCH_NOT_ANCHORED",
                        _batch_subject(provider, seq),
                        f"the gateway reports batch {seq} {raw.get('status')}; the chain has no "
                        "such anchor",
                        expected="an anchor on chain",
                        found="none",
                    )
                )
            continue
        _compare_batch(ctx, provider, raw, doc, signature, anchor)


def _compare_batch(
    ctx: Context, provider: str, raw: dict[str, Any], doc: AnchorDocument, sig: str, a: Anchor
) -> None:
    chain = {"root": a.root, "size": a.size, "first_index": a.first_index, "prev_root": a.prev_root}
    wrong = {
        k: (chain[k], raw.get(k))
        for k in _BATCH_FIELDS
        if raw.get(k) != chain[k] or getattr(doc, k) != chain[k]
    }
    if raw.get("anchor_block") not in (None, a.event.block):
        wrong["anchor_block"] = (a.event.block, raw.get("anchor_block"))
    if wrong:
        ctx.add(
            Finding.of(
                "GATEWAY_BATCH_MISMATCH",
                _batch_subject(provider, a.seq, a),
                f"the gateway's batch {a.seq} differs from the anchor: {', '.join(wrong)}",
                expected={k: v[0] for k, v in wrong.items()},
                found={k: v[1] for k, v in wrong.items()},
            )
        )
    keys = ctx.history.keys_between(provider, 0, a.event.time * 1000 + ctx.tolerance_ms)
    ctx.signatures += 1
    if not any(verify_one(k, doc.canonical(), sig) for k in keys):
        ctx.add(
            Finding.of(
                "BATCH_SIGNATURE_INVALID",
                _batch_subject(provider, a.seq, a),
                f"the gateway's signature over batch {a.seq} does not verify with {provider}'s key",
                expected=f"signed by {provider}",
                found="signature does not verify",
            )
        )


def _pending(ctx: Context, provider: str, entries: list[Entry], anchored_total: int) -> None:
    bound = ctx.now_ms - int(ctx.config.max_pending_age_s * 1000)
    for e in entries:
        if e.log_index < anchored_total:
            continue
        r = e.signed.receipt
        ctx.pending.append(
            {
                "provider": provider,
                "log_index": e.log_index,
                "receipt_id": r.receipt_id,
                "served_at_ms": r.served_at_ms,
            }
        )
        if r.served_at_ms < bound:
            ctx.add(
                Finding.of(
                    "RECEIPT_UNANCHORED_STALE",
                    e.subject(),
                    f"not anchored {(ctx.now_ms - r.served_at_ms) // 1000} s after it was served",
                    expected=f"anchored within {ctx.config.max_pending_age_s:.0f} s",
                    found="not anchored",
                )
            )
