"""The chain's events replayed into state that can be asked "as of" any moment.

Gateways judge by time (a receipt's ``served_at_ms``) and say which block their view had
applied (its ``view_block``), contracts by position in the chain (a write's block and log
index); :class:`ChainHistory` answers all three: the institution, key and
account in force, the catalogue's provider of a resource, an owner's attestation, a grant's
status (``statusAt`` semantics, EXPIRED derived) and the anchors of each provider.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field, replace

from quancheng.chain.types import GrantStatus, InstitutionStatus, Role
from quancheng_audit.evidence import ChainEvent, ChainEvidence, ChainGrant

__all__ = ["Anchor", "Attestation", "ChainHistory", "GrantHistory", "MemberState", "Pos"]

#: A position in the chain: (block, log index).
Pos = tuple[int, int]

_GRANT_STATUS = {
    "GrantRequested": GrantStatus.PENDING,
    "GrantActivated": GrantStatus.ACTIVE,
    "GrantRejected": GrantStatus.REJECTED,
    "GrantPaused": GrantStatus.PAUSED,
    "GrantResumed": GrantStatus.ACTIVE,
    "GrantRevoked": GrantStatus.REVOKED,
    "GrantExhausted": GrantStatus.EXHAUSTED,
}
_OPEN = frozenset({GrantStatus.PENDING, GrantStatus.ACTIVE, GrantStatus.PAUSED})


@dataclass(frozen=True)
class MemberState:
    """An institution as it stood from ``pos`` (time ``since``) on."""

    code: str
    role: Role
    status: InstitutionStatus
    account: str
    key: bytes
    pos: Pos
    since: int
    #: Whether the committee had voted it identity authority (it alone binds owner keys).
    identity_authority: bool = False


@dataclass(frozen=True)
class Attestation:
    """One ``OwnerAttested`` event."""

    pseudonym: str
    key_version: int
    key: bytes
    attester: str
    document: bytes
    signature: bytes
    event: ChainEvent


@dataclass
class GrantHistory:
    """A grant: its request, terms, status changes, owner actions and recorded uses."""

    grant_id: str
    request: ChainEvent
    terms: ChainGrant | None
    changes: list[tuple[int, Pos, GrantStatus]] = field(default_factory=list)
    approval: ChainEvent | None = None
    actions: list[ChainEvent] = field(default_factory=list)
    uses: list[ChainEvent] = field(default_factory=list)

    def status_at(self, t_ms: int) -> GrantStatus:
        """``statusAt`` at a time in milliseconds (EXPIRED after notAfter unless closed)."""
        stored = GrantStatus.NONE
        for at, _, status in self.changes:
            if at * 1000 > t_ms:
                break
            stored = status
        return self._expired(stored, t_ms)

    def status_after_block(self, block: int, block_time: int | None) -> GrantStatus:
        """``statusAt`` in the state after ``block`` (every change up to it applied).

        ``block_time`` is a lower bound of the block's time (None: unknown): EXPIRED is
        derived only when even that bound is past ``notAfter``.
        """
        stored = GrantStatus.NONE
        for _, pos, status in self.changes:
            if pos[0] > block:
                break
            stored = status
        return stored if block_time is None else self._expired(stored, block_time * 1000)

    def _expired(self, status: GrantStatus, t_ms: int) -> GrantStatus:
        if status in _OPEN and self.terms is not None and t_ms // 1000 > self.terms.not_after:
            return GrantStatus.EXPIRED
        return status

    def statuses_in_second(self, t_ms: int) -> list[GrantStatus]:
        """Every status the grant had during the second of ``t_ms``, in order.

        Block times are whole seconds: a change stamped second S happened somewhere in
        [S, S+1), so a moment inside S may fall before or after each change stamped S.
        """
        second = t_ms // 1000
        within = [status for at, _, status in self.changes if at == second]
        return [self._expired(s, t_ms) for s in (self.status_at(second * 1000 - 1), *within)]

    def servable_at(self, t_ms: int) -> tuple[bool, str]:
        """(True, "ACTIVE") when ACTIVE and inside [notBefore, notAfter]; else (False, why).

        ACTIVE at any point of the receipt's second counts (see :meth:`statuses_in_second`).
        """
        if GrantStatus.ACTIVE not in self.statuses_in_second(t_ms):
            return False, self.status_at(t_ms).name
        if self.terms is not None and t_ms // 1000 < self.terms.not_before:
            return False, "NOT_YET_VALID"
        return True, GrantStatus.ACTIVE.name

    def servable_near(self, t_ms: int, tolerance_ms: int) -> bool:
        """Whether a serve stamped ``t_ms`` by a clock ``tolerance_ms`` off the chain's is fine.

        Two clocks meet here: the grant's states change at block times (the chain's clock,
        whole seconds), while the receipt's time and the grant's ``notBefore`` /
        ``notAfter`` come from the gateway's and the owner's clocks. So the state is judged
        anywhere within the tolerance around ``t_ms`` (including each change that falls in
        it), and the validity window by ``t_ms`` widened by the tolerance — not the one at
        the other's moment: a grant requested, approved and revoked within one block-second
        that lags the wall clock is served after its ``notBefore`` yet within that second.
        """
        window = (t_ms - tolerance_ms, t_ms + tolerance_ms)
        near = [at * 1000 for at, _, _ in self.changes if window[0] <= at * 1000 <= window[1]]
        moments = [*window, *near, *(m - 1 for m in near)]
        if not any(GrantStatus.ACTIVE in self.statuses_in_second(m) for m in moments):
            return False
        if self.terms is None:
            return True
        return (
            window[1] // 1000 >= self.terms.not_before and window[0] // 1000 <= self.terms.not_after
        )


@dataclass(frozen=True)
class Anchor:
    """One ``BatchAnchored`` event."""

    provider: str
    seq: int
    root: str
    size: int
    first_index: int
    prev_root: str
    signature: bytes
    event: ChainEvent


class ChainHistory:
    """State of the deployment at any position or time, from its events."""

    def __init__(self, evidence: ChainEvidence) -> None:
        self.evidence = evidence
        self.members: dict[str, list[MemberState]] = defaultdict(list)
        self.accounts: dict[str, list[tuple[Pos, str]]] = defaultdict(list)
        self.resource_provider: dict[str, str] = {}
        self.attestations: dict[str, list[Attestation]] = defaultdict(list)
        self.revocations: dict[str, list[Pos]] = defaultdict(list)
        self.grants: dict[str, GrantHistory] = {}
        self.anchors: dict[str, list[Anchor]] = defaultdict(list)
        for event in evidence.events:
            self._apply(event)

    # ------------------------------------------------------------------------ replay

    def _apply(self, e: ChainEvent) -> None:
        pos = (e.block, e.log_index)
        if e.contract == "ConsortiumRegistry":
            self._member_event(e, pos)
        elif e.name == "ResourceRegistered":
            self.resource_provider[e.code("resourceId")] = e.code("providerId")
        elif e.name == "OwnerAttested":
            self.attestations[e.hex("pseudonym")].append(
                Attestation(
                    e.hex("pseudonym"),
                    e.num("keyVersion"),
                    e.raw("sm2PublicKey"),
                    e.code("attesterId"),
                    e.raw("attestationDocument"),
                    e.raw("attestation"),
                    e,
                )
            )
        elif e.name == "OwnerAttestationRevoked":
            self.revocations[e.hex("pseudonym")].append(pos)
        elif e.contract == "GrantRegistry":
            self._grant_event(e, pos)
        elif e.name == "BatchAnchored":
            self.anchors[e.code("providerId")].append(
                Anchor(
                    e.code("providerId"),
                    e.num("seq"),
                    e.hex("root"),
                    e.num("size"),
                    e.num("firstIndex"),
                    e.hex("prevRoot"),
                    e.raw("signature"),
                    e,
                )
            )

    def _member_event(self, e: ChainEvent, pos: Pos) -> None:
        if "institutionId" not in e.args or e.name.startswith("Proposal"):
            return
        code = e.code("institutionId")
        history = self.members[code]
        if e.name == "InstitutionAdmitted":
            state = MemberState(
                code,
                Role(e.num("role")),
                InstitutionStatus.ACTIVE,
                str(e.args["account"]),
                e.raw("sm2PublicKey"),
                pos,
                e.time,
            )
        elif not history:
            return
        elif e.name == "InstitutionKeyRotated":
            state = replace(
                history[-1],
                account=str(e.args["newAccount"]),
                key=e.raw("newSm2PublicKey"),
                pos=pos,
                since=e.time,
            )
        elif e.name in {"IdentityAuthorityGranted", "IdentityAuthorityRevoked"}:
            granted = e.name == "IdentityAuthorityGranted"
            state = replace(history[-1], identity_authority=granted, pos=pos, since=e.time)
        else:
            status = {
                "InstitutionSuspended": InstitutionStatus.SUSPENDED,
                "InstitutionReinstated": InstitutionStatus.ACTIVE,
                "InstitutionRemoved": InstitutionStatus.REMOVED,
            }.get(e.name)
            if status is None:
                return
            state = replace(history[-1], status=status, pos=pos, since=e.time)
        history.append(state)
        bound = self.accounts[state.account.lower()]
        if not bound or bound[-1][1] != code:
            bound.append((pos, code))

    def _grant_event(self, e: ChainEvent, pos: Pos) -> None:
        gid = e.hex("grantId")
        if e.name == "GrantRequested":
            self.grants[gid] = GrantHistory(gid, e, self.evidence.grants.get(gid))
        grant = self.grants.get(gid)
        if grant is None:
            return
        status = _GRANT_STATUS.get(e.name)
        if status is not None:
            grant.changes.append((e.time, pos, status))
        if e.name == "GrantActivated":
            grant.approval = e
        elif e.name in {"GrantRejected", "GrantPaused", "GrantResumed", "GrantRevoked"}:
            grant.actions.append(e)
        elif e.name == "GrantUsesRecorded":
            grant.uses.append(e)

    # ------------------------------------------------------------------------- reads

    def member_at_pos(self, code: str, pos: Pos) -> MemberState | None:
        """The institution as it stood at ``pos`` (before the event at ``pos`` itself)."""
        history = self.members.get(code, [])
        i = bisect.bisect_left([s.pos for s in history], pos)
        return history[i - 1] if i else None

    def member_at_time(self, code: str, t_ms: int) -> MemberState | None:
        """The institution as it stood at time ``t_ms`` (milliseconds)."""
        found = None
        for state in self.members.get(code, []):
            if state.since * 1000 > t_ms:
                break
            found = state
        return found

    def keys_between(self, code: str, t0_ms: int, t1_ms: int) -> list[bytes]:
        """Every SM2 key ``code`` held at some moment in [t0, t1], the one at t0 first."""
        keys: list[bytes] = []
        first = self.member_at_time(code, t0_ms)
        if first is not None:
            keys.append(first.key)
        for state in self.members.get(code, []):
            if t0_ms < state.since * 1000 <= t1_ms and state.key not in keys:
                keys.append(state.key)
        return keys

    def code_of_account(self, account: str, pos: Pos) -> str | None:
        """The institution ``account`` was bound to at ``pos``."""
        found = None
        for at, code in self.accounts.get(account.lower(), []):
            if at >= pos:
                break
            found = code
        return found

    def attestation_at(self, pseudonym: str, pos: Pos) -> tuple[Attestation | None, bool]:
        """(The owner's latest attestation before ``pos``, whether it was revoked since)."""
        latest = None
        for att in self.attestations.get(pseudonym, []):
            if (att.event.block, att.event.log_index) >= pos:
                break
            latest = att
        if latest is None:
            return None, False
        start = (latest.event.block, latest.event.log_index)
        revoked = any(start < r < pos for r in self.revocations.get(pseudonym, []))
        return latest, revoked
