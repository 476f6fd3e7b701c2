"""The gateway's chain view: SQL tables fed by the follower, read by every query.

The pipeline never calls the chain: membership and catalogue entries are kept in memory
(a few hundred rows, reloaded whenever an event touches them) and a grant is one indexed
read joined with its owner's attestation, the subject index and the uses recorded on chain of
the resource asked for (``max_uses`` is a budget per resource).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from sqlalchemy import Engine, Table, and_, bindparam, func, insert, literal, select, update

from quancheng.chain import ContractSet
from quancheng.chain.follower import FollowedEvent
from quancheng.crypto import SM2PublicKey
from quancheng_gateway.hotsql import HotSql
from quancheng_gateway.models import Subject, ViewState
from quancheng_gateway.view_apply import GR, INST, OWN, RES, USES, EventApplier
from quancheng_gateway.write_turn import turn_for

__all__ = ["ChainView", "GrantSnapshot", "MemberInfo", "ResourceInfo"]

STATE: Table = ViewState.__table__  # type: ignore[attr-defined]
SUBJ: Table = Subject.__table__  # type: ignore[attr-defined]
_STATE_KEY = "chain"


@dataclass(frozen=True)
class MemberInfo:
    """An institution as the pipeline needs it."""

    code: str
    role: int
    status: int
    key: SM2PublicKey | None


@dataclass(frozen=True)
class ResourceInfo:
    """A catalogue entry as the pipeline needs it."""

    code: str
    provider: str
    allowed_purposes: int
    active: bool
    fields: tuple[str, ...]
    #: 1 (public) to 4; from :data:`~quancheng.protocol.documents.SEALED_FROM_SENSITIVITY`
    #: up, answers are sealed to the consumer.
    sensitivity: int = 4


@dataclass(frozen=True)
class GrantSnapshot:
    """A grant with its owner's attestation and the subject it maps to, read at once."""

    grant_id: str
    consumer: str
    owner_pseudonym: str
    resources: tuple[str, ...]
    scope: dict[str, tuple[str, ...]]
    purpose: int
    mode: str
    data_from: int
    data_to: int
    not_before: int
    not_after: int
    #: Uses allowed of each resource.
    max_uses: int
    #: The resource the snapshot was read for (None: the grant alone).
    resource: str | None
    #: Uses of ``resource`` under the grant recorded on chain (``usesOf``) as the view knows.
    resource_uses: int
    status: int
    valid: bool
    owner_signature_valid: bool
    owner_key: str | None
    attested_key: str | None
    attestation_revoked: bool
    #: False when the owner's attestation did not verify on ingest (never served).
    attestation_valid: bool
    subject_kind: str | None
    subject_id: str | None


class ChainView:
    """The follower's sink and the pipeline's source of chain state."""

    def __init__(self, engine: Engine, contracts: ContractSet, provider: str) -> None:
        self.engine = engine
        self.provider = provider
        self._turn = turn_for(engine)  # the SQLite write lock, waited for woken (write_turn)
        self._applier = EventApplier(contracts, provider)
        self._lock = threading.Lock()
        self._members_stale = False
        self.members: dict[str, MemberInfo] = {}
        self.resources: dict[str, ResourceInfo] = {}
        self._scopes: dict[str, dict[str, tuple[str, ...]]] = {}
        grant_stmt = (
            select(
                GR,
                OWN.c.sm2_public_key.label("attested_key"),
                OWN.c.revoked.label("attestation_revoked"),
                OWN.c.attestation_valid.label("attestation_valid"),
                SUBJ.c.id_kind,
                SUBJ.c.subject_id,
                func.coalesce(USES.c.uses, literal(0)).label("resource_uses"),
            )
            .select_from(
                GR.outerjoin(OWN, OWN.c.pseudonym == GR.c.owner_pseudonym)
                .outerjoin(SUBJ, SUBJ.c.pseudonym == GR.c.owner_pseudonym)
                .outerjoin(
                    USES,
                    and_(
                        USES.c.grant_id == GR.c.grant_id, USES.c.resource == bindparam("resource")
                    ),
                )
            )
            .where(GR.c.grant_id == bindparam("grant_id"))
        )
        # Every query reads one grant: a prepared statement, rows as named tuples.
        self._sql = HotSql(engine)
        self._grant_sql = self._sql.prepare(grant_stmt)
        self.reload_members()

    # ----------------------------------------------------------------------- sink

    def processed_block(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(STATE.c.processed_block).where(STATE.c.key == _STATE_KEY)
            ).scalar()
        return -1 if value is None else int(value)

    def apply(self, events: list[FollowedEvent], to_block: int) -> None:
        """Apply a range in one transaction, skipping blocks the database already holds.

        The follower advances only after this returns, so a failed range is fetched again.
        If the failure hid a COMMIT that did happen (the connection dropped on the way back),
        or another replica's follower applied the range to a shared view, the stored
        ``processed_block`` (read under a row lock) says so and those events are not applied
        twice: use counts are increments.
        """
        self._applier.changed_members = False
        skipped = False
        try:
            with self._turn(), self.engine.begin() as conn:
                # A write first takes the lock before anything is read (SQLite's write lock;
                # PostgreSQL's row lock, as FOR UPDATE below), so no reader is overtaken.
                conn.execute(
                    update(STATE)
                    .where(STATE.c.key == _STATE_KEY)
                    .values(processed_block=STATE.c.processed_block)
                )
                stored = conn.execute(
                    select(STATE.c.processed_block)
                    .where(STATE.c.key == _STATE_KEY)
                    .with_for_update()
                ).scalar()
                done = -1 if stored is None else int(stored)
                for event in events:
                    if event.block_number <= done:
                        skipped = True
                        continue
                    self._applier.apply(conn, event)
                if stored is None:
                    conn.execute(insert(STATE).values(key=_STATE_KEY, processed_block=to_block))
                elif to_block > done:
                    conn.execute(
                        update(STATE)
                        .where(STATE.c.key == _STATE_KEY)
                        .values(processed_block=to_block)
                    )
        except BaseException:
            # The transaction may have committed: reload the members once it goes through.
            self._members_stale = self._members_stale or self._applier.changed_members
            raise
        if self._applier.changed_members or skipped or self._members_stale:
            self.reload_members()
            self._members_stale = False

    # ---------------------------------------------------------------------- reads

    def reload_members(self) -> None:
        """Reload institutions and resources into memory (they change rarely)."""
        with self.engine.connect() as conn:
            members = {
                r.code: MemberInfo(r.code, r.role, r.status, _key(r.sm2_public_key))
                for r in conn.execute(select(INST))
            }
            resources = {
                r.code: ResourceInfo(
                    r.code,
                    r.provider,
                    int(r.allowed_purposes),
                    bool(r.active),
                    tuple(json.loads(r.fields_json)),
                    int(r.sensitivity),
                )
                for r in conn.execute(select(RES))
            }
        with self._lock:
            self.members, self.resources = members, resources

    def grant(self, grant_id: str, resource: str | None = None) -> GrantSnapshot | None:
        """The grant, its owner's attestation, its subject and ``resource``'s recorded uses.

        None if the grant is unknown. Without ``resource``, ``resource_uses`` is 0.
        """
        with self._sql.reading() as cur:
            found = cur.first(self._grant_sql, {"grant_id": grant_id, "resource": resource})
        if found is None:
            return None
        row = self._grant_sql.named(found)
        scope = self._scopes.get(row.grant_id)
        if scope is None:
            scope = _scope_of(row.document)
            if len(self._scopes) < 100_000:
                self._scopes[row.grant_id] = scope
        return GrantSnapshot(
            grant_id=row.grant_id,
            consumer=row.consumer,
            owner_pseudonym=row.owner_pseudonym,
            resources=tuple(json.loads(row.resources_json)),
            scope=scope,
            purpose=row.purpose,
            mode=row.mode,
            data_from=row.data_from,
            data_to=row.data_to,
            not_before=row.not_before,
            not_after=row.not_after,
            max_uses=row.max_uses,
            resource=resource,
            resource_uses=int(row.resource_uses),
            status=row.status,
            valid=bool(row.valid),
            owner_signature_valid=bool(row.owner_signature_valid),
            owner_key=row.owner_key,
            attested_key=row.attested_key,
            attestation_revoked=bool(row.attestation_revoked)
            if row.attestation_revoked is not None
            else True,
            attestation_valid=bool(row.attestation_valid),
            subject_kind=row.id_kind,
            subject_id=row.subject_id,
        )

    def counts(self) -> dict[str, int]:
        """Rows per view table (for /healthz)."""
        from sqlalchemy import func

        with self.engine.connect() as conn:
            return {
                "grants": int(conn.execute(select(func.count()).select_from(GR)).scalar() or 0),
                "owners": int(conn.execute(select(func.count()).select_from(OWN)).scalar() or 0),
                "institutions": len(self.members),
                "resources": len(self.resources),
            }


def _key(hex_key: str) -> SM2PublicKey | None:
    try:
        return SM2PublicKey.from_bytes(bytes.fromhex(hex_key.removeprefix("0x")))
    except Exception:
        return None


def _scope_of(document: str) -> dict[str, tuple[str, ...]]:
    """Fields per resource from the (already verified) grant document."""
    try:
        scope = json.loads(document)["scope"]
        return {item["resource"]: tuple(item["fields"]) for item in scope}
    except (ValueError, KeyError, TypeError):
        return {}
