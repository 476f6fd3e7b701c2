"""Owner attestations at serve time: no answer about an owner whose key was unbound.

The identity authority can revoke an owner's attestation (``OwnerAttestationRevoked``) or bind
a new key (``OwnerAttested``); from then on gateways refuse the owner's grants
(``OWNER_NOT_ATTESTED``) although the grants themselves stay ACTIVE. So each receipt is judged
against the owner's attestation as it stood when it was served: one in force, not revoked,
naming the key the grant document names. Block times are whole seconds and clocks differ, so a
receipt served within the clock tolerance of a change is ambiguous (counted, not a finding).

By block there is no such ambiguity (RECEIPT_OWNER_NOT_ATTESTED_AT_VIEW): in the state after the
receipt's ``view_block``, which the gateway signed as applied, the owner was attested with the
grant's key — or became so in a block the view may have applied before serving (see
:func:`~quancheng_audit.rules.view.view_may_include`).
"""

from __future__ import annotations

from collections import defaultdict

from quancheng.grants import MalformedGrantDocument, parse_grant_document
from quancheng_audit.context import Context, Entry
from quancheng_audit.evidence import ChainEvent
from quancheng_audit.findings import Finding
from quancheng_audit.history import GrantHistory
from quancheng_audit.rules.requests import trail_receipts
from quancheng_audit.rules.view import evidence_covers_view, view_may_include

__all__ = ["check_attestation_window"]

#: Pseudonym → its ``OwnerAttestationRevoked`` events, in chain order.
Revocations = dict[str, list[ChainEvent]]
#: (pseudonym, the key the grant document names or None, the revocations).
Owner = tuple[str, bytes | None, Revocations]


def check_attestation_window(ctx: Context) -> None:
    """RECEIPT_OWNER_NOT_ATTESTED for each receipt served while its owner was not attested,
    RECEIPT_OWNER_NOT_ATTESTED_AT_VIEW for each whose view shows the owner not attested."""
    keys: dict[str, bytes | None] = {}
    revoked: Revocations = defaultdict(list)
    for event in ctx.chain.events:
        if event.name == "OwnerAttestationRevoked":
            revoked[event.hex("pseudonym")].append(event)
    for e in trail_receipts(ctx):
        grant = ctx.history.grants.get(e.signed.receipt.grant_id)
        if grant is None or grant.terms is None:
            continue  # RECEIPT_UNKNOWN_GRANT says so
        if grant.grant_id not in keys:
            keys[grant.grant_id] = _document_key(grant)
        pseudonym = grant.terms.owner_pseudonym.lower()
        owner = (pseudonym, keys[grant.grant_id], revoked)
        _check_at_view(ctx, e, owner)
        state = _state(ctx, owner, e.served_at_ms)
        if state == "ATTESTED":
            continue
        if _attested_near(ctx, owner, e.served_at_ms):
            ctx.near_changes += 1
            continue
        _finding(ctx, e, pseudonym, state)


def _document_key(grant: GrantHistory) -> bytes | None:
    try:
        document = parse_grant_document(grant.request.raw("document"))
    except (MalformedGrantDocument, ValueError):
        return None  # the grant rules report it; judge by the attestation alone
    return bytes.fromhex(document.owner_key.removeprefix("0x"))


def _state(ctx: Context, owner: Owner, t_ms: int) -> str:
    """``ATTESTED``, ``NOT_ATTESTED``, ``REVOKED`` or ``KEY_REBOUND`` at ``t_ms``."""
    pseudonym, key, revoked = owner
    latest = None
    for att in ctx.history.attestations.get(pseudonym, []):
        if att.event.time * 1000 > t_ms:
            break
        latest = att
    if latest is None:
        return "NOT_ATTESTED"
    start = (latest.event.block, latest.event.log_index)
    for revocation in revoked.get(pseudonym, []):
        if (revocation.block, revocation.log_index) > start and revocation.time * 1000 <= t_ms:
            return "REVOKED"
    if key is not None and latest.key != key:
        return "KEY_REBOUND"
    return "ATTESTED"


def _attested_near(ctx: Context, owner: Owner, t_ms: int) -> bool:
    """Whether the owner was attested at some moment within the tolerance around ``t_ms``.

    A change stamped second S happened somewhere in [S, S+1): both sides of each change in the
    window are tried.
    """
    pseudonym, _, revoked = owner
    tol = ctx.tolerance_ms
    lo, hi = t_ms - tol, t_ms + tol
    events = [a.event for a in ctx.history.attestations.get(pseudonym, [])]
    events += revoked.get(pseudonym, [])
    moments = [lo, hi]
    for ev in events:
        for m in (ev.time * 1000 - 1, ev.time * 1000 + 999):
            if lo <= m <= hi:
                moments.append(m)
    return any(_state(ctx, owner, m) == "ATTESTED" for m in moments)


def _state_at_view(ctx: Context, owner: Owner, view: int) -> str:
    """The owner's state (as :func:`_state`) after every event up to block ``view``."""
    pseudonym, key, _ = owner
    latest, revoked = ctx.history.attestation_at(pseudonym, (view + 1, 0))
    if latest is None:
        return "NOT_ATTESTED"
    if revoked:
        return "REVOKED"
    if key is not None and latest.key != key:
        return "KEY_REBOUND"
    return "ATTESTED"


def _check_at_view(ctx: Context, e: Entry, owner: Owner) -> None:
    pseudonym, key, _ = owner
    view = e.signed.receipt.view_block
    state = _state_at_view(ctx, owner, view)
    if state == "ATTESTED":
        return
    if not evidence_covers_view(ctx, e):
        return  # a block the evidence does not reach may have attested the owner again
    for att in ctx.history.attestations.get(pseudonym, []):
        later = view_may_include(ctx, e, att.event.block, att.event.time)
        if later and (key is None or att.key == key):
            return  # attested again in a block the view may have applied before serving
    ctx.add(
        Finding.of(
            "RECEIPT_OWNER_NOT_ATTESTED_AT_VIEW",
            e.subject(),
            f"served while, in the chain's state after block {view} (which the gateway signed "
            f"as applied), {_WHY[state]} (owner {pseudonym})",
            expected=f"an attestation in force after block {view} naming the grant's key",
            found=state,
        )
    )


_WHY = {
    "NOT_ATTESTED": "the owner had no attested key",
    "REVOKED": "the identity authority had revoked the owner's attestation",
    "KEY_REBOUND": "the owner's key had been re-bound: the grant's key was no longer theirs",
}


def _finding(ctx: Context, e: Entry, pseudonym: str, state: str) -> None:
    why = _WHY[state]
    ctx.add(
        Finding.of(
            "RECEIPT_OWNER_NOT_ATTESTED",
            e.subject(),
            f"served while {why} (owner {pseudonym}); gateways must refuse with OWNER_NOT_ATTESTED",
            expected="an attestation in force naming the grant's key",
            found=state,
        )
    )
