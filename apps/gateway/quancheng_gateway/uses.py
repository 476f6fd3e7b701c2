"""Planning the uses a batch records on chain, in the transaction that anchors it.

``ReceiptLedger.anchorWithUses`` anchors the batch and records the uses of its receipts, per
(grant, resource): ``max_uses`` is a budget per resource (``usesOf(grant, resource)``). The
contract refuses the whole transaction — anchor included — if any entry would take its
resource past ``max_uses`` or hits a grant that is no longer ACTIVE (revoked or expired
between the answer and the anchor), so the plan records only what each resource's budget
still allows and notes the rest; the answers were given while the grant allowed them, and
their receipts are anchored either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Table, func, select

from quancheng.chain import ContractSet
from quancheng.chain.types import GrantStatus, code32
from quancheng_gateway.models import ReceiptRow

__all__ = ["UsePlan", "batch_uses", "plan_from_chain", "plan_uses"]

RCPT: Table = ReceiptRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class GrantState:
    """What the plan needs to know of a grant and one of its resources."""

    active: bool
    #: The resource's uses under the grant recorded on chain.
    uses: int
    #: Uses allowed of each resource.
    max_uses: int


@dataclass
class UsePlan:
    """The entries to record and what had to be left out."""

    grant_ids: list[bytes] = field(default_factory=list)
    resource_ids: list[bytes] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.counts

    @property
    def records(self) -> list[tuple[bytes, bytes, int]]:
        """The entries as ``IGrantRegistry.UseRecord`` tuples (grantId, resourceId, count)."""
        return list(zip(self.grant_ids, self.resource_ids, self.counts, strict=True))


def batch_uses(conn: Connection, first: int, size: int) -> list[tuple[str, str, int]]:
    """(grant_id, resource, count) of the receipts at positions first .. first+size-1."""
    rows = conn.execute(
        select(RCPT.c.grant_id, RCPT.c.resource, func.count())
        .where(RCPT.c.log_index >= first, RCPT.c.log_index < first + size)
        .group_by(RCPT.c.grant_id, RCPT.c.resource)
        .order_by(RCPT.c.grant_id, RCPT.c.resource)
    )
    return [(g, res, int(n)) for g, res, n in rows]


def plan_uses(
    entries: list[tuple[str, str, int]], state_of: Callable[[str, str], GrantState | None]
) -> UsePlan:
    """Record every use the resource's budget under the grant still allows; note the others.

    ``entries`` name each (grant, resource) once (:func:`batch_uses`).
    """
    plan = UsePlan()
    for grant_id, resource, count in entries:
        state = state_of(grant_id, resource)
        if state is None or not state.active:
            plan.notes.append(
                f"{grant_id}/{resource}: {count} uses not recorded (grant not active)"
            )
            continue
        allowed = max(0, min(count, state.max_uses - state.uses))
        if allowed < count:
            plan.notes.append(
                f"{grant_id}/{resource}: {count - allowed} of {count} uses not recorded "
                f"(max {state.max_uses} of the resource reached)"
            )
        if allowed:
            plan.grant_ids.append(bytes.fromhex(grant_id[2:]))
            plan.resource_ids.append(code32(resource))
            plan.counts.append(allowed)
    return plan


def plan_from_chain(contracts: ContractSet, now_s: int) -> Callable[[str, str], GrantState | None]:
    """A state lookup that asks the chain (used when the view's plan was refused)."""

    def _state(grant_id: str, resource: str) -> GrantState | None:
        raw = bytes.fromhex(grant_id[2:])
        grant = contracts.grant(raw)
        if grant.status == GrantStatus.NONE:
            return None
        status = contracts.grant_status(raw)
        active = status == GrantStatus.ACTIVE and grant.not_before <= now_s
        return GrantState(active, contracts.uses_of(raw, code32(resource)), grant.max_uses)

    return _state
