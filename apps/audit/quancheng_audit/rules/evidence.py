"""Consumers' evidence: what a gateway signed to a consumer is what its log holds.

A consumer keeps every receipt it received (:class:`quancheng.evidence.EvidenceStore`) and
hands the auditor a bundle of them. Each receipt carries the provider's SM2 signature, so it
proves by itself that the gateway issued it: when the provider's log does not hold that signed
receipt anywhere, although the log was exported after it was served, the gateway equivocated —
it deleted or rewrote a receipt it had signed and answered with. The receipt's position is not
signed (``quancheng.receipt/4``), so it is looked up by what is signed, not by the position the
consumer was told: a receipt found at another position is in the log (whoever changed the
position proves nothing with it), and the position the consumer holds only names, in the
finding, what the log holds there. A bundle signed
by the consumer is checked against the consumer's registered key (its acknowledgement of what
it received); a receipt that does not verify, or is another consumer's, proves nothing and is
set aside with a warning.
"""

from __future__ import annotations

from collections import defaultdict

from quancheng.evidence_bundle import SignedEvidenceBundle
from quancheng.protocol.documents import signing_bytes
from quancheng_audit.context import Context, Entry
from quancheng_audit.findings import Finding, Subject
from quancheng_audit.rules.logs import canonical_receipt_bytes
from quancheng_audit.sigs import verify_one

__all__ = ["check_consumer_evidence"]


def check_consumer_evidence(ctx: Context) -> None:
    """Bundle signatures, then every consumer-held receipt against its provider's log.

    Needs the logs parsed (:func:`~quancheng_audit.rules.logs.check_logs`); fills ``ctx.held``.
    """
    for source, signed in ctx.bundles:
        ctx.checked["evidence"] += 1
        _check_bundle_signature(ctx, source, signed.bundle.consumer, signed)
        for n, item in enumerate(signed.bundle.entries):
            receipt_bytes, leaf_bytes = canonical_receipt_bytes(item.receipt)
            entry = Entry(item.receipt.receipt.provider, -1 - n, item.receipt, receipt_bytes,
                          leaf_bytes)  # fmt: skip
            if _receipt_verifies(ctx, signed.bundle.consumer, source, entry):
                ctx.held.append((signed.bundle.consumer, entry))
    _cross_check(ctx)


def _check_bundle_signature(
    ctx: Context, source: str, consumer: str, signed: SignedEvidenceBundle
) -> None:
    if signed.signature is None:
        return
    at = signed.bundle.exported_at_ms
    tol = ctx.tolerance_ms
    keys = ctx.history.keys_between(consumer, at - tol, at + tol)
    message = signing_bytes(signed.bundle)
    ctx.signatures += max(1, len(keys))
    if any(verify_one(k, message, signed.signature) for k in keys):
        return
    found = "signature does not verify" if keys else f"{consumer} is not a member"
    ctx.add(
        Finding.of(
            "EVIDENCE_SIGNATURE_INVALID",
            Subject(kind="evidence", provider=consumer),
            f"the evidence bundle {source} says it is {consumer}'s, but its signature does not "
            f"verify with {consumer}'s registered SM2 key: nobody acknowledged these receipts",
            expected=f"signed by {consumer}",
            found=found,
        )
    )


def _receipt_verifies(ctx: Context, consumer: str, source: str, e: Entry) -> bool:
    r, tol = e.signed.receipt, ctx.tolerance_ms
    keys = ctx.history.keys_between(e.provider, e.served_at_ms - tol, e.served_at_ms + tol)
    ctx.signatures += max(1, len(keys))
    problem = None
    if not any(verify_one(k, e.receipt_bytes, e.signed.signature) for k in keys):
        problem = f"its signature does not verify with {e.provider}'s key at serve time"
    elif r.consumer != consumer:
        problem = f"it was issued to {r.consumer}, not to {consumer} whose evidence holds it"
    if problem is None:
        return True
    ctx.add(
        Finding.of(
            "EVIDENCE_RECEIPT_INVALID",
            e.subject(),
            f"a receipt in {consumer}'s evidence ({source}) proves nothing: {problem}",
            expected=f"signed by {e.provider} for {consumer}",
            found=problem,
        )
    )
    return False


def _cross_check(ctx: Context) -> None:
    exported = {log.provider: log.exported_at_ms for log in ctx.logs}
    by_position: dict[str, dict[int, list[Entry]]] = {}
    signed_in: dict[str, set[bytes]] = {}  # provider → the signed receipts its log holds
    latest: dict[str, int] = {}  # provider → the latest served_at its log holds
    for provider, entries in ctx.entries.items():
        positions: dict[int, list[Entry]] = defaultdict(list)
        for entry in entries:
            positions[entry.log_index].append(entry)
        by_position[provider] = positions
        genuine = [e for e in entries if (provider, e.position) not in ctx.forged]
        signed_in[provider] = {entry.receipt_bytes for entry in genuine}
        latest[provider] = max((entry.served_at_ms for entry in genuine), default=-1)
    order_tol = int(ctx.config.log_order_tolerance_s * 1000)
    unaudited: set[str] = set()
    for consumer, held in ctx.held:
        ctx.checked["evidence"] += 1
        if held.provider not in by_position:
            unaudited.add(held.provider)
            continue
        if held.receipt_bytes in signed_in[held.provider]:
            continue
        # Missing. It should be there if the log was exported after the serve, or if the log
        # holds a receipt the gateway itself dated later than the log's order allows to
        # precede it (both by the gateway's own signed times: no clock of ours is needed).
        after_export = held.served_at_ms > exported[held.provider] - ctx.tolerance_ms
        overtaken = latest[held.provider] > held.served_at_ms + order_tol
        if after_export and not overtaken:
            continue  # served after (or as) the log was exported: not in it yet
        _equivocation(ctx, consumer, held, by_position[held.provider].get(held.log_index, []))
    for provider in sorted(unaudited):
        ctx.add(
            Finding.of(
                "EVIDENCE_LOG_NOT_AUDITED",
                Subject(kind="log", provider=provider),
                f"consumers hold receipts of {provider}, whose receipt log was not audited: they "
                "could not be checked against it",
                expected="its receipt log",
                found="none",
            )
        )


def _equivocation(ctx: Context, consumer: str, held: Entry, logged: list[Entry]) -> None:
    r, at = held.signed.receipt, held.log_index
    if logged:
        other = logged[0].signed.receipt
        found = f"not in the log; receipt {other.receipt_id} at #{at}"
        what = f"the log holds another receipt ({other.receipt_id}) at #{at}, where it was placed"
    else:
        found = f"not in the log; nothing at #{at}"
        what = f"the log has nothing at #{at}, where it was placed"
    ctx.add(
        Finding.of(
            "RECEIPT_EQUIVOCATION",
            held.subject(),
            f"{consumer} holds this receipt, signed by {held.provider}, but the log exported "
            f"after the serve does not hold it at any position ({what}): the gateway deleted "
            "or rewrote a receipt it had signed and answered with",
            expected=f"receipt {r.receipt_id} in the log",
            found=found,
        )
    )
