"""Membership: every write on chain was made by an ACTIVE member, from its own account.

Each event names the institution that acted (the consumer that requested a grant, the
committee member that relayed an owner's decision or attested an owner, the provider that
anchored a batch or recorded uses, the proposer and voters of a committee vote). From the
registry's events the auditor knows each institution's role, status and account at every
block: the actor must have been ACTIVE with the role the write needs, and the transaction
must have been sent from the actor's account at that block. The contracts refuse anything
else; this rule re-proves it from the trail, without trusting them.
"""

from __future__ import annotations

from quancheng.chain.types import InstitutionStatus, Role
from quancheng_audit.context import Context
from quancheng_audit.evidence import ChainEvent
from quancheng_audit.findings import Finding, Subject

__all__ = ["check_membership"]

_C, _P, _N = (Role.COMMITTEE,), (Role.PROVIDER,), (Role.CONSUMER,)

#: Event → (argument naming the actor, roles allowed to make that write).
ACTORS: dict[str, tuple[str, tuple[Role, ...]]] = {
    "ProposalCreated": ("proposerId", _C),
    "ProposalVoted": ("voterId", _C),
    "GrantRequested": ("consumerId", _N),
    "GrantActivated": ("relayerId", _C),
    "GrantRejected": ("relayerId", _C),
    "GrantPaused": ("relayerId", _C),
    "GrantResumed": ("relayerId", _C),
    "GrantRevoked": ("relayerId", _C),
    "GrantUsesRecorded": ("providerId", _P),
    "BatchAnchored": ("providerId", _P),
    "OwnerAttested": ("attesterId", _C),
    "OwnerAttestationRevoked": ("attesterId", _C),
    "ResourceRegistered": ("committeeMemberId", _C),
    "ResourceUpdated": ("committeeMemberId", _C),
    "ResourceDeactivated": ("committeeMemberId", _C),
    "ResourceReactivated": ("committeeMemberId", _C),
    "ResourceEndpointChanged": ("changedBy", (Role.COMMITTEE, Role.PROVIDER)),
}


def _subject(e: ChainEvent) -> Subject:
    return Subject(
        kind="event", block=e.block, tx_hash=e.tx, event=e.name, event_log_index=e.log_index
    )


def check_membership(ctx: Context) -> None:
    """WRITE_BY_INACTIVE_MEMBER and WRITE_SENDER_MISMATCH over every acting event."""
    for e in ctx.chain.events:
        actor = ACTORS.get(e.name)
        if actor is None:
            continue
        ctx.checked["membership"] += 1
        arg, roles = actor
        code = e.code(arg)
        pos = (e.block, e.log_index)
        state = ctx.history.member_at_pos(code, pos)
        if state is None or state.status is not InstitutionStatus.ACTIVE or state.role not in roles:
            found = f"{state.status.name} {state.role.name}" if state else "not a member"
            ctx.add(
                Finding.of(
                    "WRITE_BY_INACTIVE_MEMBER",
                    _subject(e),
                    f"{code} wrote {e.name} while {found}",
                    expected=f"ACTIVE {'/'.join(r.name for r in roles)}",
                    found=found,
                )
            )
            continue
        sender = ctx.chain.senders.get(e.tx)
        if sender is not None and sender.lower() != state.account.lower():
            ctx.add(
                Finding.of(
                    "WRITE_SENDER_MISMATCH",
                    _subject(e),
                    f"{e.name} by {code} was sent from {sender}, not {code}'s account",
                    expected=state.account,
                    found=sender,
                )
            )
