"""The receipt log and its group commit: one durable transaction for many answers.

Every answered query appends one receipt at the next position of the provider's log. The
event loop reserves the position (after the replay and use-count checks, which it settles
synchronously, so no two requests can race past them), signs the receipt and the answer,
and hands the row to a single writer thread. The writer takes every row waiting, inserts
them in one transaction, commits (SQLite WAL + ``synchronous=FULL``: on disk; PostgreSQL:
``synchronous_commit``), and only then releases the waiting answers.

A storage failure fails the rows of that group (and of every group queued behind it) and
stops the log. When the failure means the database is *unavailable* (restart, network,
see :mod:`quancheng_gateway.storage`), the log recovers in-process: once every outstanding
reservation has settled and nothing waits for the writer, :meth:`GroupCommitter.recover`
re-reads the log position and the served counts from the database and clears the failure.
The failed group's COMMIT may or may not have reached the database; the database is the
only one that knows, which is why positions and counts are re-read rather than rolled
back: the log stays gap-free and a request id whose receipt did land is refused as
replayed. Any other failure (a constraint broken, a reserved position abandoned) stays
fail-stop until a restart, which resumes after the last committed receipt the same way.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table, func, insert, select

from quancheng.protocol import refusals as r
from quancheng_gateway.models import ReceiptRow
from quancheng_gateway.storage import is_unavailable, storage_refusal

__all__ = ["GroupCommitter", "LogFailed", "Reservation"]

_log = logging.getLogger("quancheng_gateway.receipts")
RCPT: Table = ReceiptRow.__table__  # type: ignore[attr-defined]


class LogFailed(r.InternalError):
    """The receipt log could not be written; the gateway stops answering."""


@dataclass
class Reservation:
    """A log position held for one request until its receipt commits (or is released)."""

    log_index: int
    request_id: str
    grant_id: str
    done: bool = False


@dataclass
class _Pending:
    row: dict[str, Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None] = field(repr=False)


class GroupCommitter:
    """Reserves log positions and commits receipts in groups from one writer thread."""

    def __init__(
        self, engine: Engine, *, max_group: int = 512, probe_interval_s: float = 0.2
    ) -> None:
        self.engine = engine
        self.max_group = max_group
        self.probe_interval_s = probe_interval_s
        self.next_index, self.served = self._read_state()
        #: Receipts durably in the log (positions 0 .. committed-1).
        self.committed = self.next_index
        self.groups = 0
        self.failed: str | None = None
        #: The failure is the database being unavailable: :meth:`recover` may clear it.
        self.recoverable = False
        self.recoveries = 0
        self._inflight: set[str] = set()
        self._queued = 0  # rows handed to the writer and not settled yet
        self._probed_at = float("-inf")
        # reserve/release run on the event loop, the writer in its thread, recover also from
        # /healthz's worker thread: state changes happen under this lock.
        self._lock = threading.RLock()
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def _read_state(self) -> tuple[int, Counter[str]]:
        """The next log position and each grant's served count, as the database has them."""
        with self.engine.connect() as conn:
            last = conn.execute(select(func.max(RCPT.c.log_index))).scalar()
            served: Counter[str] = Counter(
                {
                    g: int(n)
                    for g, n in conn.execute(
                        select(RCPT.c.grant_id, func.count()).group_by(RCPT.c.grant_id)
                    )
                }
            )
        return (0 if last is None else int(last) + 1), served

    # ---------------------------------------------------------------- event-loop side

    def reserve(
        self, *, request_id: str, grant_id: str, max_uses: int, uses: int, provider_uses: int
    ) -> Reservation:
        """Check replay and uses, then hold the next log position (synchronous, no await)."""
        with self._lock:
            self.check()
            if request_id in self._inflight or self._seen(request_id):
                raise r.ReplayedRequest(request_id=request_id)
            pending = self.served[grant_id] - provider_uses
            if uses + max(pending, 0) >= max_uses:
                raise r.GrantExhausted(grant_id=grant_id, max_uses=max_uses)
            self._inflight.add(request_id)
            self.served[grant_id] += 1
            index = self.next_index
            self.next_index += 1
            return Reservation(index, request_id, grant_id)

    def check(self) -> None:
        """Refuse while the log is stopped (after trying to recover it)."""
        if self.failed and self.recoverable:
            self.recover()
        if not self.failed:
            return
        raise self._refusal()

    def release(self, reservation: Reservation) -> None:
        """Give back a reservation whose receipt will not be written.

        Only the newest position can be handed back; an older one would leave a hole, so the
        log stops instead (this only happens if signing fails between reserve and commit).
        """
        with self._lock:
            if reservation.done:
                return
            reservation.done = True
            self._inflight.discard(reservation.request_id)
            self.served[reservation.grant_id] -= 1
            if reservation.log_index == self.next_index - 1:
                self.next_index -= 1
            else:
                self._fail("a reserved log position was abandoned", recoverable=False)

    async def commit(self, reservation: Reservation, row: dict[str, Any]) -> None:
        """Write the receipt durably; returns once it is committed."""
        loop = asyncio.get_running_loop()
        pending = _Pending(row, loop, loop.create_future())
        with self._lock:
            self._queued += 1
        self._queue.put(pending)
        try:
            await pending.future
        finally:
            with self._lock:
                reservation.done = True
                self._inflight.discard(reservation.request_id)

    def _seen(self, request_id: str) -> bool:
        with self.engine.connect() as conn:
            stmt = select(RCPT.c.log_index).where(RCPT.c.request_id == request_id)
            return conn.execute(stmt).first() is not None

    # --------------------------------------------------------------------- recovery

    def recover(self) -> bool:
        """Resume after the database came back; True when the log is running.

        Only once every reservation has settled (answered, refused or released) and the
        writer holds no row: then no position is held in memory and the database alone says
        where the log ends. Probes at most every ``probe_interval_s``.
        """
        with self._lock:
            if not self.failed:
                return True
            if not self.recoverable or self._inflight or self._queued:
                return False
            now = time.monotonic()
            if now - self._probed_at < self.probe_interval_s:
                return False
            self._probed_at = now
            try:
                next_index, served = self._read_state()
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                return False
            lost = self.committed  # what this process knew was durable
            self.next_index = self.committed = next_index
            self.served = served
            _log.warning(
                "receipt log recovered after a storage failure (%s): resuming at position %d "
                "(%d receipt(s) of the failed group were committed)",
                self.failed,
                next_index,
                next_index - lost,
            )
            self.failed, self.recoverable = None, False
            self.recoveries += 1
            return True

    def _fail(self, reason: str, *, recoverable: bool) -> None:
        # An unrecoverable failure is never downgraded by a later, recoverable one.
        if self.failed and not self.recoverable:
            return
        self.failed, self.recoverable = reason, recoverable

    # ------------------------------------------------------------------- writer side

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="receipt-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.max_group:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                group.append(item)
            self._write(group)

    def _write(self, group: list[_Pending]) -> None:
        error: BaseException | None = None
        if self.failed:
            error = self._refusal()
        else:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(RCPT), [p.row for p in group])
                with self._lock:
                    top = max(p.row["log_index"] for p in group) + 1
                    self.committed = max(self.committed, top)
                self.groups += 1
            except Exception as exc:
                unavailable = is_unavailable(exc)
                with self._lock:
                    self._fail(f"{type(exc).__name__}: {exc}", recoverable=unavailable)
                if unavailable:
                    _log.error("receipt log write failed, database unavailable: %s", exc)
                    error = storage_refusal(exc)
                else:
                    _log.critical("receipt log write failed; stopping the log: %s", exc)
                    error = LogFailed("the receipt could not be stored")
        with self._lock:
            self._queued -= len(group)
        for p in group:
            p.loop.call_soon_threadsafe(_settle, p.future, error)

    def _refusal(self) -> r.Refusal:
        if self.recoverable:
            return r.StorageUnavailable("the receipt log is waiting for its database to answer")
        return LogFailed("the receipt log is stopped after a storage failure")


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
