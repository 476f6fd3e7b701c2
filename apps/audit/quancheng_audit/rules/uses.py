"""Uses: what providers recorded on chain is backed by their anchored receipts.

A gateway records the uses of each anchored batch in the anchoring transaction itself
(``ReceiptLedger.anchorWithUses``; ``recordUses``/``recordUsesBatch`` remain), per grant and
resource (``max_uses`` is a budget per resource, which only the resource's provider records
and :func:`~quancheng_audit.rules.receipts.check_use_limits` judges). Each anchored position
of the log counts once (whatever else is wrong with the entry there, which other rules
report). Recorded uses without anchored receipts behind them
fail; anchored receipts whose uses were not recorded (the grant closed before the batch was
anchored, or the record is not mined yet) are a warning.
"""

from __future__ import annotations

from collections import Counter

from quancheng_audit.context import Context
from quancheng_audit.findings import Finding, Subject

__all__ = ["check_uses"]


def check_uses(ctx: Context) -> None:
    """USES_RECORDED_WITHOUT_RECEIPTS / USES_NOT_RECORDED per (grant, resource, provider)."""
    receipts: Counter[tuple[str, str, str]] = Counter()
    for provider, entries in ctx.entries.items():
        claimed: set[int] = set()  # one receipt per anchored position (duplicates: the first)
        for e in entries:
            if e.batch is None or e.log_index in claimed:
                continue
            claimed.add(e.log_index)
            r = e.signed.receipt
            receipts[(r.grant_id, r.resource, provider)] += 1
    recorded: Counter[tuple[str, str, str]] = Counter()
    for grant in ctx.history.grants.values():
        for event in grant.uses:
            key = (grant.grant_id, event.code("resourceId"), event.code("providerId"))
            recorded[key] += event.num("count")
    audited = set(ctx.entries)
    for key in sorted(set(receipts) | set(recorded)):
        grant_id, resource, provider = key
        if provider not in audited:
            continue
        ctx.checked["uses"] += 1
        have, said = receipts[key], recorded[key]
        if have == said:
            continue
        code = "USES_RECORDED_WITHOUT_RECEIPTS" if said > have else "USES_NOT_RECORDED"
        ctx.add(
            Finding.of(
                code,
                Subject(kind="grant", grant_id=grant_id, provider=provider),
                f"{provider} recorded {said} uses of {resource} on chain; its anchored log "
                f"holds {have} receipts",
                expected=have,
                found=said,
            )
        )
