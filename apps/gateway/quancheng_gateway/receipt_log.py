"""The receipt log: durable before the answer, gap-free, shared by every replica.

A query takes two steps here. On the event loop, :meth:`GroupCommitter.reserve` refuses
early (synchronously, no await) what is certainly refused: a request id already stored or
in flight in this process, a resource whose uses under the grant are spent as far as this
process knows. Then,
after the data is read, :meth:`GroupCommitter.commit` hands the receipt draft to a single
writer thread, which takes every draft waiting, signs them (their time included, their
position not: ``quancheng.receipt/4``), then takes the write turn and appends them in **one
transaction**:

1. lock the log: ``UPDATE log_head`` (PostgreSQL: a row lock that serialises the replicas of
   a department sharing one database; SQLite: the database's write lock, taken first so
   that nothing read afterwards can be overtaken);
2. judge each draft against the database, which is the only authority every replica shares:
   request id already stored (``REPLAYED_REQUEST``), the served count of the (grant,
   resource) (``grant_resource_served``) against ``max_uses`` (``GRANT_EXHAUSTED``), the
   un-anchored backlog against its bound (``CHAIN_UNAVAILABLE``);
3. give the accepted ones the next positions, insert them, move the head and the served
   counts, commit — only then are the waiting answers released.

**Groups form under load, not by chance.** While drafts arrive less than ``linger_s`` apart
(an average of the gaps between them), the writer sleeps until the group's first draft has
been queued ``linger_s``, then takes every draft that came meanwhile (woken once per group,
not once per draft); drafts arriving further apart are committed as they come, and a writer
that is behind (its first draft already waited that long) does not sleep at all. Each group
costs a transaction, an fsync, the write turn and a wake-up of the event loop, whatever its
size, and the writer's Python takes the GIL from the event loop each time it wakes: taken
as they came, groups averaged 1.3–1.4 drafts at 750–850 queries/s in one process, and
lingering 4 ms (``QC_GW_COMMIT_LINGER_MS``'s default; 0 turns it off) cut the process's CPU
per query by 14–18 % (BENCHMARKS.md).

The SM2 signature is made before the write turn is taken, so worker processes sharing one
database do not queue behind each other's signing (the turn was held ~40 % longer when the
position was signed inside it), and on the writer's thread rather than the event loop's:
tongsuo releases the GIL while it signs, so the signing runs beside the loop's Python instead
of in its way (signed on the loop, the loop thread's CPU per query grew by ~0.4 ms; on a
signer thread of its own, one more thread contending for the GIL per receipt, one process
answered less at saturation).

A receipt that waited longer than :data:`RESIGN_AFTER_MS` for its position is signed again,
with the time it is placed, inside the turn: a receipt's ``served_at`` is never more than
that before its placement, so ``served_at`` goes back along the log by no more than that
(plus the replicas' clock skew), well inside the audit's ``log_order_tolerance`` (2 s), and a
receipt missing from a log that holds one dated later than that tolerance was dropped, not
yet to come.

Positions exist only inside a committed transaction, so the log has no gap whatever fails
and no position is used twice, across processes too. When the database is *unavailable*
(restart, network, see :mod:`quancheng_gateway.storage`) the group is refused with
``503 STORAGE_UNAVAILABLE`` and the next group simply starts from what the database holds:
if the failed COMMIT did land, its request ids are refused as replayed when resent, never
answered twice. Nothing in memory needs repairing.

``max_uses`` is a budget per resource (the contract's ``usesOf(grant, resource)``), and each
resource has exactly one provider: this one. So a query for resource R under grant G is
refused when the uses of R under G reach ``max_uses``, counting those recorded on chain, those
this provider served and has not recorded yet, and those in flight; served already includes
every use this log recorded, so the count is ``max(recorded, served + in flight)``. Another
resource's uses never enter it, whichever provider serves that one.
"""

from __future__ import annotations

import asyncio
import logging
import math
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from quancheng.crypto import SM2PrivateKey
from quancheng.protocol import SignedReceipt
from quancheng.protocol import refusals as r
from quancheng_gateway.answering import ReceiptDraft, SignedDraft
from quancheng_gateway.core.clock import Clock
from quancheng_gateway.hotsql import HotCursor, HotSql, Prepared
from quancheng_gateway.models import Batch, BatchStatus, GrantResourceServed, LogHead, ReceiptRow
from quancheng_gateway.storage import is_unavailable, storage_refusal
from quancheng_gateway.write_turn import turn_for

__all__ = [
    "GAP_WEIGHT",
    "RESIGN_AFTER_MS",
    "GroupCommit",
    "GroupCommitter",
    "LogFailed",
    "Reservation",
    "anchored_upto",
    "count_served",
    "init_log",
    "log_head",
    "set_anchored_upto",
]

_log = logging.getLogger("quancheng_gateway.receipts")
RCPT: Table = ReceiptRow.__table__  # type: ignore[attr-defined]
HEAD: Table = LogHead.__table__  # type: ignore[attr-defined]
SERVED: Table = GrantResourceServed.__table__  # type: ignore[attr-defined]
BATCH: Table = Batch.__table__  # type: ignore[attr-defined]
_KEY = "receipts"
#: A receipt placed later than this after it was signed is signed again, at its placement.
RESIGN_AFTER_MS = 500
#: The weight of each new gap between drafts in the average gap the writer lingers by.
GAP_WEIGHT = 0.1
#: Beyond this many (grant, resource) the early-refusal cache starts over (the writer stays
#: exact).
_CACHE_LIMIT = 100_000

# The writer's statements, built once (it runs them for every group).
#: A write first: it takes the lock before anything is read, and returns the head.
_LOCK = (
    update(HEAD)
    .where(HEAD.c.key == _KEY)
    .values(next_index=HEAD.c.next_index)
    .returning(HEAD.c.next_index, HEAD.c.anchored_upto)
)
_MOVE_HEAD = update(HEAD).where(HEAD.c.key == _KEY).values(next_index=bindparam("head"))
#: The served counts of one of the group's grants, every resource (a grant names a few).
_SERVED = select(SERVED.c.grant_id, SERVED.c.resource, SERVED.c.served).where(
    SERVED.c.grant_id == bindparam("grant")
)
_SERVED_ONE = select(SERVED.c.served).where(
    SERVED.c.grant_id == bindparam("grant"), SERVED.c.resource == bindparam("res")
)
_BUMP = (
    update(SERVED)
    .where(SERVED.c.grant_id == bindparam("g"), SERVED.c.resource == bindparam("res"))
    .values(served=bindparam("n"))
)
_ADD_SERVED = insert(SERVED).values(
    grant_id=bindparam("grant_id"), resource=bindparam("resource"), served=bindparam("served")
)
_SEEN = select(RCPT.c.log_index).where(RCPT.c.request_id == bindparam("request_id"))
_INSERT = insert(RCPT).values({c.name: bindparam(c.name) for c in RCPT.c})


@dataclass(frozen=True)
class _Statements:
    """The log's per-query and per-group statements, prepared for one engine."""

    lock: Prepared
    move_head: Prepared
    served: Prepared
    served_one: Prepared
    bump: Prepared
    add_served: Prepared
    seen: Prepared
    insert: Prepared

    @classmethod
    def of(cls, sql: HotSql) -> _Statements:
        p = sql.prepare
        return cls(
            p(_LOCK), p(_MOVE_HEAD), p(_SERVED), p(_SERVED_ONE), p(_BUMP), p(_ADD_SERVED),
            p(_SEEN), p(_INSERT),
        )  # fmt: skip


class LogFailed(r.InternalError):
    """The receipt could not be stored for another reason than an unavailable database."""


@dataclass
class Reservation:
    """One request on its way to the log: its id is held until it is stored or released."""

    request_id: str
    grant_id: str
    resource: str
    #: What the grant allowed when the request was judged (the chain view's snapshot).
    max_uses: int
    #: The resource's uses under the grant recorded on chain, in that snapshot.
    uses: int
    done: bool = False

    @property
    def budget(self) -> tuple[str, str]:
        """What the use is counted against: the (grant, resource)."""
        return self.grant_id, self.resource


@dataclass
class _Unsigned:
    reservation: Reservation
    draft: ReceiptDraft
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[SignedReceipt] = field(repr=False)
    #: When it was handed to the writer (``time.perf_counter()``).
    queued_at: float = 0.0


@dataclass
class _Pending:
    reservation: Reservation
    draft: SignedDraft
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[SignedReceipt] = field(repr=False)


# ------------------------------------------------------------------------ shared state


def init_log(engine: Engine) -> None:
    """Create the log's head row (and served counts) if missing, from the receipts stored.

    An existing head's anchored floor is brought up to the batches' (it only moves forward):
    a column added to a database an earlier build created starts at 0.
    """
    with engine.begin() as conn:
        if conn.execute(select(HEAD.c.next_index).where(HEAD.c.key == _KEY)).first():
            set_anchored_upto(conn, anchored_upto(conn))
            return
    try:
        with engine.begin() as conn:
            last = conn.execute(select(func.max(RCPT.c.log_index))).scalar()
            conn.execute(
                insert(HEAD).values(
                    key=_KEY,
                    next_index=0 if last is None else last + 1,
                    anchored_upto=anchored_upto(conn),
                )
            )
            count_served(conn)
    except IntegrityError:
        pass  # another replica starting at the same moment created it


def count_served(conn: Connection) -> None:
    """Fill the served counts from the receipts stored (a new log, or an upgraded one)."""
    counts = conn.execute(
        select(RCPT.c.grant_id, RCPT.c.resource, func.count()).group_by(
            RCPT.c.grant_id, RCPT.c.resource
        )
    ).all()
    if counts:
        conn.execute(
            insert(SERVED),
            [{"grant_id": g, "resource": res, "served": n} for g, res, n in counts],
        )


def log_head(conn: Connection) -> int:
    """The next log position, as committed."""
    return int(conn.execute(select(HEAD.c.next_index).where(HEAD.c.key == _KEY)).scalar_one())


def set_anchored_upto(conn: Connection, upto: int) -> None:
    """Record, in the anchorer's transaction, that positions below ``upto`` are anchored."""
    conn.execute(
        update(HEAD)
        .where(HEAD.c.key == _KEY, HEAD.c.anchored_upto < upto)
        .values(anchored_upto=upto)
    )


def anchored_upto(conn: Connection) -> int:
    """Log positions below this are in batches anchored on chain (from the batches)."""
    row = conn.execute(
        select(BATCH.c.first_index, BATCH.c.size)
        .where(BATCH.c.status != BatchStatus.CREATED)
        .order_by(BATCH.c.seq.desc())
        .limit(1)
    ).first()
    return 0 if row is None else int(row.first_index) + int(row.size)


@dataclass(frozen=True)
class GroupCommit:
    """One group the receipt writer committed."""

    size: int  # receipts (and refusals the log decided) in the group
    #: Seconds it waited for the write turn: another worker process's group, the chain
    #: view's or the anchorer's write.
    waited_s: float
    #: Seconds it held the turn: judged, signed, stored and committed (fsync included). The
    #: sum over a while, divided by that while, is how busy the database's write lock is.
    held_s: float
    #: Receipts of the group signed again at their placement (waited over RESIGN_AFTER_MS).
    resigned: int = 0
    #: Whether the writer waited for more drafts to join the group (``linger_s``).
    lingered: bool = False


class GroupCommitter:
    """Appends receipts in groups from one writer thread; the database decides."""

    def __init__(
        self,
        engine: Engine,
        *,
        key: SM2PrivateKey,
        clock: Clock,
        max_backlog: int,
        max_group: int = 512,
        linger_s: float = 0.0,
        on_group: Callable[[GroupCommit], None] | None = None,
    ) -> None:
        self.engine, self.key, self.clock = engine, key, clock
        self.max_backlog = max_backlog
        self.max_group = max_group
        #: The longest a group's first draft waits for others to join it (0: never waits).
        self.linger_s = linger_s
        #: Called from the writer for every group it commits (metrics).
        self.on_group = on_group
        self._sql = HotSql(engine)
        self._turn = turn_for(engine)  # the SQLite write lock, waited for woken (write_turn)
        self._q = _Statements.of(self._sql)
        init_log(engine)
        with engine.connect() as conn:
            #: The log's next position as this process last saw it committed (only grows).
            self.head = log_head(conn)
        #: Groups committed, and the drafts they held (their ratio: the average group size).
        self.groups = 0
        self.grouped = 0
        #: Groups refused because they could not be stored (their answers were never sent).
        self.failed_groups = 0
        #: The last failure to store a group (None once a group is stored again).
        self.last_error: str | None = None
        #: Receipts signed again at their placement, having waited over RESIGN_AFTER_MS.
        self.resigned = 0
        #: Groups committed that the writer had held open for more drafts (``linger_s``).
        self.lingered = 0
        #: Seconds between drafts' arrivals, on average (exponentially weighted), and the last.
        self._gap = math.inf
        self._last_arrival: float | None = None
        self._inflight: set[str] = set()
        self._inflight_uses: Counter[tuple[str, str]] = Counter()  # (grant, resource) → n
        #: (grant, resource) → served, as last read from the database.
        self._served: dict[tuple[str, str], int] = {}
        # reserve/release run on the event loop, the writer in its thread.
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Unsigned | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()  # wakes a lingering writer to stop

    def observe(self, head: int) -> None:
        """Another reader (the anchorer) saw the committed head at ``head``."""
        with self._lock:
            self.head = max(self.head, head)

    @property
    def average_group(self) -> float | None:
        """Drafts per committed group since start (None before the first)."""
        return self.grouped / self.groups if self.groups else None

    @property
    def inflight(self) -> int:
        """Requests of this process between reservation and commit."""
        return len(self._inflight)

    # ---------------------------------------------------------------- event-loop side

    def reserve(
        self, *, request_id: str, grant_id: str, resource: str, max_uses: int, uses: int
    ) -> Reservation:
        """Refuse early what is certainly refused; hold the request id (no await).

        ``uses``: the resource's uses under the grant recorded on chain, as the view knows.
        """
        res = Reservation(request_id, grant_id, resource, max_uses, uses)
        with self._lock:
            if request_id in self._inflight:
                raise r.ReplayedRequest(request_id=request_id)
        try:
            with self._sql.reading() as cur:
                if cur.first(self._q.seen, {"request_id": request_id}) is not None:
                    raise r.ReplayedRequest(request_id=request_id)
                served = self._served_count(cur, res.budget)
        except r.Refusal:
            raise
        except Exception as exc:
            if is_unavailable(exc):
                raise storage_refusal(exc) from None
            raise
        with self._lock:
            if request_id in self._inflight:
                raise r.ReplayedRequest(request_id=request_id)
            refusal = _spent(res, served + self._inflight_uses[res.budget])
            if refusal is not None:
                raise refusal
            self._inflight.add(request_id)
            self._inflight_uses[res.budget] += 1
        return res

    def release(self, reservation: Reservation) -> None:
        """Give back a reservation whose receipt will not be written."""
        with self._lock:
            self._settle_reservation(reservation)

    def _settle_reservation(self, reservation: Reservation) -> None:
        if reservation.done:
            return
        reservation.done = True
        self._inflight.discard(reservation.request_id)
        self._inflight_uses[reservation.budget] -= 1
        if self._inflight_uses[reservation.budget] <= 0:
            del self._inflight_uses[reservation.budget]

    async def commit(self, reservation: Reservation, draft: ReceiptDraft) -> SignedReceipt:
        """Sign the receipt and store it durably; the signed receipt at its position, or the
        refusal the log decided.

        Raises:
            LogFailed: The receipt could not be signed (nothing is stored), or stored.
        """
        loop = asyncio.get_running_loop()
        unsigned = _Unsigned(reservation, draft, loop, loop.create_future(), time.perf_counter())
        self._queue.put(unsigned)
        try:
            return await unsigned.future
        finally:
            self.release(reservation)

    def _served_count(self, cur: HotCursor, budget: tuple[str, str]) -> int:
        known = self._served.get(budget)
        if known is not None:
            return known
        grant_id, resource = budget
        row = cur.first(self._q.served_one, {"grant": grant_id, "res": resource})
        served = 0 if row is None else int(row[0])
        self._remember({budget: served})
        return served

    def _remember(
        self, served: dict[tuple[str, str], int], stored: Sequence[Reservation] = ()
    ) -> None:
        """Take the database's served counts; ``stored`` are now counted there, not in flight.

        Both in one step: a request judged in between must not count a use twice.
        """
        with self._lock:
            if len(self._served) > _CACHE_LIMIT:
                self._served.clear()
            for budget, n in served.items():  # counts only grow: never step back
                self._served[budget] = max(n, self._served.get(budget, 0))
            for reservation in stored:
                self._settle_reservation(reservation)

    # ------------------------------------------------------------------- writer side

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="receipt-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._stopping.set()
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            unsigned, stopping, lingered = self._take(first)
            group = self._sign(unsigned)  # before the turn: the turn only places them
            if not group:
                if stopping:
                    return
                continue
            asked, resigned = time.perf_counter(), self.resigned
            with self._turn():
                taken = time.perf_counter()
                placed, stored = self._write(group)
                held = time.perf_counter() - taken
            if stored and lingered:
                self.lingered += 1
            if stored and self.on_group is not None:
                resigned = self.resigned - resigned
                self.on_group(GroupCommit(len(group), taken - asked, held, resigned, lingered))
            # One wake-up of each waiting event loop per group, not one per answer.
            settled: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
            for p, at in zip(group, placed, strict=True):
                outcome = at if isinstance(at, r.Refusal) else p.draft.at(at)
                settled.setdefault(p.loop, []).append((p.future, outcome))
            for loop, items in settled.items():
                loop.call_soon_threadsafe(_settle_all, items)
            if stopping:
                return

    def _take(self, first: _Unsigned) -> tuple[list[_Unsigned], bool, bool]:
        """``first`` and what waits behind it, up to ``max_group``; then whether to stop
        after the group, and whether the writer lingered for it.

        While drafts have been arriving less than ``linger_s`` apart, the writer first sleeps
        until ``first`` has been queued ``linger_s`` (not at all if it already has: a writer
        that is behind adds no wait), then takes what came meanwhile, woken once per group
        rather than once per draft. ``stop()`` cuts the sleep short.
        """
        self._arrived(first)
        lingered = False
        if self.linger_s > 0 and self._gap < self.linger_s:
            left = first.queued_at + self.linger_s - time.perf_counter()
            if left > 0:
                lingered = True
                self._stopping.wait(left)
        group = [first]
        while len(group) < self.max_group:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return group, True, lingered
            group.append(item)
            self._arrived(item)
        return group, False, lingered

    def _arrived(self, item: _Unsigned) -> None:
        """Fold the gap since the previous draft's arrival into the average gap (a pause of
        the load counts as at most a second, so the average comes back within ~60 drafts)."""
        if self._last_arrival is not None:
            gap = min(1.0, max(0.0, item.queued_at - self._last_arrival))
            self._gap = gap if math.isinf(self._gap) else self._gap + GAP_WEIGHT * (gap - self._gap)
        self._last_arrival = item.queued_at

    def _sign(self, drafts: list[_Unsigned]) -> list[_Pending]:
        """The drafts signed, in order; one that cannot be signed is refused alone."""
        signed: list[_Pending] = []
        for item in drafts:
            try:
                receipt = item.draft.sign(self.key, now_ms=self.clock.now_ms())
            except Exception as exc:  # one bad draft must not sink the group
                _log.critical("receipt %s not signed: %s", item.draft.receipt_id, exc)
                failed = LogFailed("the receipt could not be signed")
                refused: list[_Outcome] = [(item.future, failed)]
                item.loop.call_soon_threadsafe(_settle_all, refused)
                continue
            signed.append(_Pending(item.reservation, receipt, item.loop, item.future))
        return signed

    def _write(self, group: list[_Pending]) -> tuple[list[int | r.Refusal], bool]:
        """Judge and store ``group`` in one transaction (the caller holds the turn): each
        receipt's outcome (its position, or the refusal), and whether the transaction
        committed."""
        try:
            try:
                with self._sql.transaction() as cur:
                    outcomes, served, head = self._append(cur, group, careful=False)
            except IntegrityError:
                # A request id stored meanwhile (another replica, or a COMMIT whose answer
                # was lost): the same group again, now looking every id up first.
                with self._sql.transaction() as cur:
                    outcomes, served, head = self._append(cur, group, careful=True)
        except Exception as exc:
            with self._lock:  # the counts may have moved (a COMMIT whose answer was lost)
                for p in group:
                    self._served.pop(p.reservation.budget, None)
            return [self._failure(exc)] * len(group), False
        self.groups += 1
        self.grouped += len(group)
        self.last_error = None
        self.observe(head)
        self._remember(
            served, [p.reservation for p, o in zip(group, outcomes, strict=True) if _stored(o)]
        )
        return outcomes, True

    def _failure(self, exc: BaseException) -> r.Refusal:
        self.failed_groups += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        if is_unavailable(exc):
            _log.error("receipt group not stored, database unavailable: %s", exc)
            return storage_refusal(exc)
        _log.critical("receipt group not stored: %s", exc, exc_info=exc)
        return LogFailed("the receipt could not be stored")

    def _append(
        self, cur: HotCursor, group: list[_Pending], *, careful: bool
    ) -> tuple[list[int | r.Refusal], dict[tuple[str, str], int], int]:
        """Judge and store one group inside the caller's transaction.

        Not ``careful``: request ids are left to the receipts table's unique constraint (the
        early check has looked each up already); a violation rolls the group back and the
        caller runs it again ``careful``, with every id looked up under the lock.
        """
        q = self._q
        head, floor = cur.execute(q.lock)[0]
        seen: set[str] = set()
        if careful:
            ids = {p.draft.request_id for p in group}
            seen = {i for i in ids if cur.first(q.seen, {"request_id": i}) is not None}
        stored = {
            (g, res): int(n)
            for grant in sorted({p.reservation.grant_id for p in group})
            for g, res, n in cur.execute(q.served, {"grant": grant})
        }
        served = {p.reservation.budget: stored.get(p.reservation.budget, 0) for p in group}
        outcomes: list[int | r.Refusal] = []
        rows: list[dict[str, Any]] = []
        now_ms = self.clock.now_ms()
        for p in group:
            refusal = self._judge(p, seen, served, head - floor)
            if refusal is not None:
                outcomes.append(refusal)
                continue
            if now_ms - p.draft.receipt.served_at_ms > RESIGN_AFTER_MS:
                p.draft = p.draft.draft.sign(self.key, now_ms=now_ms)  # signed before: it parses
                self.resigned += 1
            rows.append(p.draft.row(head))
            outcomes.append(head)
            seen.add(p.draft.request_id)
            served[p.reservation.budget] += 1
            head += 1
        if rows:
            cur.execute_many(q.insert, rows)
            moved = [
                {"g": g, "res": res, "n": n}
                for (g, res), n in served.items()
                if (g, res) in stored and n != stored[(g, res)]
            ]
            if moved:
                cur.execute_many(q.bump, moved)
            new = [
                {"grant_id": g, "resource": res, "served": n}
                for (g, res), n in served.items()
                if (g, res) not in stored and n
            ]
            if new:
                cur.execute_many(q.add_served, new)
            cur.execute(q.move_head, {"head": head})
        return outcomes, served, head

    def _judge(
        self, p: _Pending, seen: set[str], served: dict[tuple[str, str], int], backlog: int
    ) -> r.Refusal | None:
        res, draft = p.reservation, p.draft
        if draft.request_id in seen:
            return r.ReplayedRequest(request_id=draft.request_id)
        spent = _spent(res, served[res.budget])
        if spent is not None:
            return spent
        if backlog >= self.max_backlog:
            return r.ChainUnavailable(unanchored_receipts=backlog, bound=self.max_backlog)
        return None


def _spent(res: Reservation, counted: int) -> r.GrantExhausted | None:
    """GRANT_EXHAUSTED if the resource's budget under the grant leaves no room for one more.

    ``counted``: the uses of the resource this log holds (and, early, those in flight). The
    recorded uses are all this provider's, so they are in the log too, unless an earlier
    database of the provider recorded them: the larger of the two is what was used.
    """
    used = max(res.uses, counted)
    if used < res.max_uses:
        return None
    return r.GrantExhausted.of_resource(res.grant_id, res.resource, res.max_uses, used)


def _stored(outcome: int | r.Refusal) -> bool:
    return not isinstance(outcome, r.Refusal)


_Outcome = tuple["asyncio.Future[SignedReceipt]", SignedReceipt | r.Refusal]


def _settle_all(items: list[_Outcome]) -> None:
    """Resolve a group's waiting answers (on their event loop)."""
    for future, outcome in items:
        if future.done():
            continue
        if isinstance(outcome, r.Refusal):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
