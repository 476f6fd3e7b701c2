"""Receipts: each one signed by its provider, served under a grant that allowed it then.

Signatures are verified in bulk (:func:`~quancheng_audit.sigs.verify_many`) with the key the
provider held at serve time; a receipt that fails is tried again with any other key the
provider held within the clock tolerance (a rotation in flight). Every other check is a
lookup in the replayed chain: the provider was an ACTIVE PROVIDER and the resource's provider,
the grant was ACTIVE and inside its validity, consumer and resource are in its scope, the
receipt's scenario purpose is one the grant's purpose covers and its tier is that purpose's.
Then no resource has more receipts under a grant than max_uses: a budget per resource, which
the resource's one provider enforces (counted over every log all the same).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from quancheng.chain.types import InstitutionStatus, Role, decode_code32
from quancheng.grants import protocol_mode
from quancheng.protocol.purposes import covered_purposes, covers, tier_of
from quancheng_audit.context import Context, Entry
from quancheng_audit.findings import Finding
from quancheng_audit.history import GrantHistory
from quancheng_audit.sigs import Item, verify_many, verify_one

__all__ = ["check_receipts", "check_signatures", "check_use_limits"]


def _all_entries(ctx: Context) -> Iterable[Entry]:
    for entries in ctx.entries.values():
        yield from entries


def check_signatures(ctx: Context) -> None:
    """RECEIPT_SIGNATURE_INVALID for each receipt its provider's key does not verify."""
    entries = list(_all_entries(ctx))
    items: list[Item] = []
    for e in entries:
        state = ctx.history.member_at_time(e.provider, e.served_at_ms)
        items.append((state.key if state else b"", e.receipt_bytes, e.signed.signature))
    task = ctx.progress.task("receipt signatures", total=max(1, len(items)))
    results = verify_many(items, workers=ctx.config.workers)
    task.advance(len(items))
    ctx.signatures += len(items)
    tol = ctx.tolerance_ms
    for e, ok in zip(entries, results, strict=True):
        if ok:
            continue
        others = ctx.history.keys_between(e.provider, e.served_at_ms - tol, e.served_at_ms + tol)
        ctx.signatures += len(others)
        if any(verify_one(k, e.receipt_bytes, e.signed.signature) for k in others):
            continue
        ctx.forged.add((e.provider, e.position))
        ctx.add(
            Finding.of(
                "RECEIPT_SIGNATURE_INVALID",
                e.subject(),
                f"the signature does not verify with {e.provider}'s key in force at serve time",
                expected=f"signed by {e.provider}",
                found="signature does not verify",
            )
        )


def check_receipts(ctx: Context) -> None:
    """Provider, grant status, scope, time order and duplicate findings of each receipt."""
    seen: dict[str, Entry] = {}
    for provider, entries in ctx.entries.items():
        latest = 0
        for e in sorted(entries, key=lambda x: (x.log_index, x.position)):
            ctx.checked["receipts"] += 1
            r = e.signed.receipt
            first = seen.setdefault(r.receipt_id, e)
            if first is not e:
                ctx.add(
                    Finding.of(
                        "RECEIPT_DUPLICATE_ID",
                        e.subject(),
                        f"receipt id also at {first.provider}#{first.log_index}",
                        expected="a unique receipt id",
                        found=f"{first.provider}#{first.log_index}",
                    )
                )
            if r.provider != provider:
                ctx.add(
                    Finding.of(
                        "RECEIPT_PROVIDER_MISMATCH",
                        e.subject(),
                        f"the receipt names provider {r.provider} but sits in {provider}'s log",
                        expected=provider,
                        found=r.provider,
                    )
                )
            _check_provider(ctx, e)
            _check_grant(ctx, e)
            _check_times(ctx, e, latest)
            latest = max(latest, r.served_at_ms)


def _active_provider(ctx: Context, provider: str, t_ms: int) -> bool:
    state = ctx.history.member_at_time(provider, t_ms)
    return state is not None and (state.status, state.role) == (
        InstitutionStatus.ACTIVE,
        Role.PROVIDER,
    )


def _check_provider(ctx: Context, e: Entry) -> None:
    r, t, tol = e.signed.receipt, e.served_at_ms, ctx.tolerance_ms
    if not any(_active_provider(ctx, e.provider, at) for at in (t, t - tol, t + tol)):
        state = ctx.history.member_at_time(e.provider, t)
        found = f"{state.status.name} {state.role.name}" if state else "not a member"
        ctx.add(
            Finding.of(
                "RECEIPT_PROVIDER_NOT_ACTIVE",
                e.subject(),
                f"{e.provider} was not an ACTIVE PROVIDER when it served ({found})",
                expected="ACTIVE PROVIDER",
                found=found,
            )
        )
    owner = ctx.history.resource_provider.get(r.resource)
    if owner != r.provider:
        ctx.add(
            Finding.of(
                "RECEIPT_NOT_RESOURCE_PROVIDER",
                e.subject(),
                f"the catalogue names {owner or 'no provider'} for {r.resource}, not {r.provider}",
                expected=owner,
                found=r.provider,
            )
        )


def _check_grant(ctx: Context, e: Entry) -> None:
    r = e.signed.receipt
    grant = ctx.history.grants.get(r.grant_id)
    if grant is None:
        ctx.add(
            Finding.of(
                "RECEIPT_UNKNOWN_GRANT",
                e.subject(),
                f"no grant {r.grant_id} was requested on chain",
                expected="a grant on chain",
                found=None,
            )
        )
        return
    _check_status(ctx, e, grant)
    if r.grant_id in ctx.invalid_grants:
        ctx.add(
            Finding.of(
                "RECEIPT_UNDER_INVALID_GRANT",
                e.subject(),
                "served under a grant whose document or signatures do not verify",
                expected="a grant without failing findings",
                found="invalid grant",
            )
        )
    terms = grant.terms
    if terms is None:
        return
    consumer = decode_code32(bytes.fromhex(terms.consumer_id[2:]))
    resources = [decode_code32(bytes.fromhex(x[2:])) for x in terms.resource_ids]
    if consumer != r.consumer:
        ctx.add(
            Finding.of(
                "RECEIPT_CONSUMER_NOT_GRANTEE",
                e.subject(),
                f"the receipt's consumer is {r.consumer}; the grant's is {consumer}",
                expected=consumer,
                found=r.consumer,
            )
        )
    _check_purpose(ctx, e, terms.purpose)
    mode = protocol_mode(terms.mode)
    if r.mode != mode:
        ctx.add(
            Finding.of(
                "RECEIPT_MODE_MISMATCH",
                e.subject(),
                f"the receipt says {r.mode.value}; the grant on chain is {mode.value}",
                expected=mode.value,
                found=r.mode.value,
            )
        )
    if r.resource not in resources:
        ctx.add(
            Finding.of(
                "RECEIPT_RESOURCE_NOT_GRANTED",
                e.subject(),
                f"{r.resource} is not in the grant's scope",
                expected=resources,
                found=r.resource,
            )
        )


def _check_purpose(ctx: Context, e: Entry, grant_purpose: int) -> None:
    """The receipt's scenario is one its grant's purpose covers, under the grant's tier.

    ``covered_purposes`` and ``tier_of`` are the contract's ``purposesOf`` and ``tierOf``
    (the SDK's tests check all 256 codes against the deployed contract).
    """
    r = e.signed.receipt
    if not covers(grant_purpose, r.purpose):
        covered = sorted(int(p) for p in covered_purposes(grant_purpose))
        ctx.add(
            Finding.of(
                "RECEIPT_PURPOSE_NOT_GRANTED",
                e.subject(),
                f"the receipt's purpose {int(r.purpose)} is not covered by the grant's "
                f"purpose {grant_purpose} ({tier_of(grant_purpose).name})",
                expected=covered,
                found=int(r.purpose),
            )
        )
    tier = tier_of(grant_purpose).name
    if r.tier != tier:
        ctx.add(
            Finding.of(
                "RECEIPT_TIER_MISMATCH",
                e.subject(),
                f"the receipt says it was served under a {r.tier} grant; the grant's purpose "
                f"{grant_purpose} is {tier} on chain",
                expected=tier,
                found=r.tier,
            )
        )


def _check_status(ctx: Context, e: Entry, grant: GrantHistory) -> None:
    t, tol = e.served_at_ms, ctx.tolerance_ms
    ok, status = grant.servable_at(t)
    if ok:
        return
    if grant.servable_near(t, tol):
        ctx.near_changes += 1  # ambiguous within the clock tolerance: not evidence of a breach
        return
    ctx.add(
        Finding.of(
            "RECEIPT_GRANT_NOT_ACTIVE",
            e.subject(),
            f"grant was {status} at serve time",
            expected="ACTIVE",
            found=status,
        )
    )


def _check_times(ctx: Context, e: Entry, latest: int) -> None:
    t, tol = e.served_at_ms, ctx.tolerance_ms
    order_tol = int(ctx.config.log_order_tolerance_s * 1000)
    if t < latest - order_tol:
        ctx.add(
            Finding.of(
                "RECEIPT_TIME_REGRESSION",
                e.subject(),
                f"served_at is {(latest - t) / 1000:.1f} s before an earlier receipt of the log",
                expected=f">= {latest - order_tol}",
                found=t,
            )
        )
    # The anchor's block time is a whole second: it happened before the end of that second.
    if e.batch is not None and t > (e.batch.event.time + 1) * 1000 - 1 + tol:
        ctx.add(
            Finding.of(
                "RECEIPT_SERVED_AFTER_ANCHOR",
                e.subject(),
                f"served {(t - e.batch.event.time * 1000) / 1000:.1f} s after batch "
                f"{e.batch.seq} holding it was anchored",
                expected=f"<= {e.batch.event.time * 1000}",
                found=t,
            )
        )
    if t > ctx.now_ms + tol:
        ctx.add(
            Finding.of(
                "RECEIPT_FROM_THE_FUTURE",
                e.subject(),
                "dated after the evidence was collected",
                expected=f"<= {ctx.now_ms}",
                found=t,
            )
        )


def check_use_limits(ctx: Context) -> None:
    """RECEIPT_BEYOND_MAX_USES for every receipt past max_uses of its (grant, resource)."""
    per_budget: dict[tuple[str, str], dict[str, Entry]] = defaultdict(dict)
    for e in _all_entries(ctx):
        if (e.provider, e.position) not in ctx.forged:
            r = e.signed.receipt
            per_budget[(r.grant_id, r.resource)].setdefault(r.receipt_id, e)
    for (gid, resource), by_id in per_budget.items():
        grant = ctx.history.grants.get(gid)
        if grant is None or grant.terms is None:
            continue
        allowed = grant.terms.max_uses
        ordered = sorted(by_id.values(), key=lambda x: (x.served_at_ms, x.provider, x.log_index))
        for n, e in enumerate(ordered[allowed:], start=allowed + 1):
            ctx.add(
                Finding.of(
                    "RECEIPT_BEYOND_MAX_USES",
                    e.subject(),
                    f"use {n} of {resource} under a grant allowing {allowed} uses of each resource",
                    expected=f"<= {allowed} uses",
                    found=n,
                )
            )
