"""Receipts judged by block: the chain's state after the block the gateway's view had applied.

Each receipt carries ``view_block``, signed by the gateway: the block up to which its chain
view had applied events when it judged the grant, read before its checks — a lower bound, as
the view may have applied more blocks by the time it checked, but never more than were
mined by then. Beside the clock rules (which judge ``served_at`` against block times with a
tolerance), three rules read it:

* RECEIPT_GRANT_NOT_ACTIVE_AT_VIEW — the grant was not ACTIVE in the state after
  ``view_block`` (revoked, paused, rejected, exhausted, not yet approved, or expired by that
  block's time) and did not become ACTIVE in a later block the view may have applied after
  ``view_block`` was read (one mined by ``served_at`` plus the clock tolerance, and before
  the receipt's anchor). No tolerance applies to the status itself: the gateway's own
  signature says it had the block. A receipt served after the evidence's head and not
  anchored yet is judged only on final states (revoked, rejected, exhausted, expired).
* RECEIPT_VIEW_AHEAD — ``view_block`` had not been mined by ``served_at`` (plus the
  tolerance): no view holds a block from its future.
* RECEIPT_VIEW_STALE — the view lag, ``served_at`` minus the time of the first block the view
  had not applied, exceeds ``view_lag_bound_s``. A gateway that claims an old view to serve a
  revoked grant lies low and is caught here; one that lies high is caught by the first two.

The lag is measured against the first *known* block after ``view_block`` (:mod:`quancheng_audit
.blocks`): a lower bound of the lag behind block ``view_block + 1``, exact where it matters —
that block is where the view missed a change of the deployment's state. Its end of second is
used (block times are whole seconds), and a block mined after the answer counts as no lag.
"""

from __future__ import annotations

from quancheng.chain.types import GrantStatus
from quancheng_audit.context import Context, Entry
from quancheng_audit.findings import Finding
from quancheng_audit.history import GrantHistory

__all__ = ["check_view", "evidence_covers_view", "view_lag_ms", "view_may_include"]

#: States no later event turns back into ACTIVE.
_FINAL = frozenset(
    {GrantStatus.REVOKED, GrantStatus.REJECTED, GrantStatus.EXHAUSTED, GrantStatus.EXPIRED}
)


def check_view(ctx: Context) -> None:
    """The view rules for every receipt of every log; the view lags per provider."""
    for provider, entries in ctx.entries.items():
        lags = ctx.view_lags.setdefault(provider, [])
        for e in entries:
            _check_ahead(ctx, e)
            grant = ctx.history.grants.get(e.signed.receipt.grant_id)
            if grant is not None:  # RECEIPT_UNKNOWN_GRANT says so otherwise
                _check_grant(ctx, e, grant)
            lag = view_lag_ms(ctx, e)
            if (provider, e.position) not in ctx.forged:  # a forged receipt proves nothing
                lags.append(lag)
            _check_stale(ctx, e, lag)


def view_lag_ms(ctx: Context, e: Entry) -> int:
    """How long before serving the first known block the view had not applied was mined."""
    after = ctx.blocks.first_after(e.signed.receipt.view_block)
    if after is None:
        return 0
    return max(0, e.served_at_ms - (after[1] + 1) * 1000)


def _check_ahead(ctx: Context, e: Entry) -> None:
    view = e.signed.receipt.view_block
    mined = ctx.blocks.time_from(view)
    if mined is None or mined * 1000 <= e.served_at_ms + ctx.tolerance_ms:
        return
    ctx.add(
        Finding.of(
            "RECEIPT_VIEW_AHEAD",
            e.subject(),
            f"claims a view of block {view}, mined at {mined} s or later: "
            f"{(mined * 1000 - e.served_at_ms) / 1000:.1f} s after it served (clock tolerance "
            f"{ctx.config.clock_tolerance_s:g} s)",
            expected=f"a block mined by {e.served_at_ms + ctx.tolerance_ms} ms",
            found=view,
        )
    )


def _check_grant(ctx: Context, e: Entry, grant: GrantHistory) -> None:
    view = e.signed.receipt.view_block
    status = grant.status_after_block(view, ctx.blocks.time_from(view))
    if status is GrantStatus.ACTIVE or _may_have_turned_active(ctx, e, grant, status):
        return
    since = [pos[0] for _, pos, _ in grant.changes if pos[0] <= view]
    where = f" since block {since[-1]}" if since and status is not GrantStatus.EXPIRED else ""
    ctx.add(
        Finding.of(
            "RECEIPT_GRANT_NOT_ACTIVE_AT_VIEW",
            e.subject(),
            f"the grant was {status.name}{where} in the chain's state after block {view}, which "
            "the gateway signed as applied when it served",
            expected=f"ACTIVE after block {view}",
            found=status.name,
        )
    )


def _may_have_turned_active(
    ctx: Context, e: Entry, grant: GrantHistory, status: GrantStatus
) -> bool:
    """Whether the view may have applied, after ``view_block`` was read, a block that made
    the grant ACTIVE (or one the evidence does not reach)."""
    if status in _FINAL:
        return False
    if not evidence_covers_view(ctx, e):
        return True
    return any(
        s is GrantStatus.ACTIVE and view_may_include(ctx, e, pos[0], at)
        for at, pos, s in grant.changes
    )


def evidence_covers_view(ctx: Context, e: Entry) -> bool:
    """Whether every block the gateway's view may have applied when it served is in the
    evidence: the receipt's batch was anchored in it (a receipt is served before its anchor
    is mined), or it was served (plus the tolerance) before the head's second."""
    return e.batch is not None or ctx.blocks.all_read_by(e.served_at_ms + ctx.tolerance_ms)


def view_may_include(ctx: Context, e: Entry, block: int, time_s: int) -> bool:
    """Whether the view may have applied ``block`` (mined at ``time_s``) although it had not
    when ``view_block`` was read: a later block, mined by ``served_at`` plus the tolerance and
    before the receipt's anchor."""
    if block <= e.signed.receipt.view_block or time_s * 1000 > e.served_at_ms + ctx.tolerance_ms:
        return False
    return e.batch is None or block < e.batch.event.block


def _check_stale(ctx: Context, e: Entry, lag_ms: int) -> None:
    bound_s = ctx.config.view_lag_bound_s
    if lag_ms <= bound_s * 1000:
        return
    view = e.signed.receipt.view_block
    after = ctx.blocks.first_after(view)
    missed = f"block {after[0]}" if after else "a later block"
    ctx.add(
        Finding.of(
            "RECEIPT_VIEW_STALE",
            e.subject(),
            f"served {lag_ms / 1000:.1f} s after {missed} was mined, which its view (block "
            f"{view}) had not applied; the bound is view_lag_bound_s = {bound_s:g} s",
            expected=f"<= {bound_s:g} s",
            found=round(lag_ms / 1000, 3),
        )
    )
