"""Requests: each one answered once, whoever holds the receipts.

A gateway refuses a request id it has seen, so one request (its SM3 hash, which covers the
request id) has one receipt. Two receipts with the same request hash — in one log, in two, or
one in a log and one in a consumer's evidence — mean the gateway answered one request twice,
under two receipt ids: two uses charged for one question, or an answer replayed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from quancheng_audit.context import Context, Entry
from quancheng_audit.findings import Finding

__all__ = ["check_request_reuse", "trail_receipts"]


def trail_receipts(ctx: Context) -> Iterator[Entry]:
    """Every distinct receipt whose signature verified: the logs', then consumers' others.

    A receipt id seen twice is yielded once (the duplicate-id and equivocation rules say why).
    """
    seen: set[str] = set()
    for provider, entries in ctx.entries.items():
        for e in entries:
            rid = e.signed.receipt.receipt_id
            if (provider, e.position) in ctx.forged or rid in seen:
                continue
            seen.add(rid)
            yield e
    for _, e in ctx.held:
        rid = e.signed.receipt.receipt_id
        if rid not in seen:
            seen.add(rid)
            yield e


def check_request_reuse(ctx: Context) -> None:
    """RECEIPT_DUPLICATE_REQUEST for every receipt after the first of its request hash."""
    by_request: dict[str, list[Entry]] = defaultdict(list)
    for e in trail_receipts(ctx):
        by_request[e.signed.receipt.request_hash].append(e)
    for request_hash, receipts in by_request.items():
        if len(receipts) < 2:
            continue
        ordered = sorted(receipts, key=lambda x: (x.served_at_ms, x.provider, x.log_index))
        first = ordered[0]
        where = f"{first.provider}#{first.log_index} ({first.signed.receipt.receipt_id})"
        for e in ordered[1:]:
            ctx.add(
                Finding.of(
                    "RECEIPT_DUPLICATE_REQUEST",
                    e.subject(),
                    f"request {request_hash} was already answered by receipt {where}: one "
                    "request answered twice under two receipt ids",
                    expected="one receipt per request",
                    found=where,
                )
            )
