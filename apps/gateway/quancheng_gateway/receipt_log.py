"""The receipt log and its group commit: one durable transaction for many answers.

Every answered query appends one receipt at the next position of the provider's log. The
event loop reserves the position (after the replay and use-count checks, which it settles
synchronously, so no two requests can race past them), signs the receipt and the answer,
and hands the row to a single writer thread. The writer takes every row waiting, inserts
them in one transaction, commits (SQLite WAL + ``synchronous=FULL``: on disk; PostgreSQL:
``synchronous_commit``), and only then releases the waiting answers. A storage failure
fails the rows of that group and stops the log (fail-stop): a restart resumes after the
last committed receipt, so the log never has a hole.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table, func, insert, select

from quancheng.protocol import refusals as r
from quancheng_gateway.models import ReceiptRow

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

    def __init__(self, engine: Engine, *, max_group: int = 512) -> None:
        self.engine = engine
        self.max_group = max_group
        with engine.connect() as conn:
            last = conn.execute(select(func.max(RCPT.c.log_index))).scalar()
            self.served: Counter[str] = Counter(
                {
                    g: int(n)
                    for g, n in conn.execute(
                        select(RCPT.c.grant_id, func.count()).group_by(RCPT.c.grant_id)
                    )
                }
            )
        self.next_index = 0 if last is None else int(last) + 1
        #: Receipts durably in the log (positions 0 .. committed-1).
        self.committed = self.next_index
        self.groups = 0
        self.failed: str | None = None
        self._inflight: set[str] = set()
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- event-loop side

    def reserve(
        self, *, request_id: str, grant_id: str, max_uses: int, uses: int, provider_uses: int
    ) -> Reservation:
        """Check replay and uses, then hold the next log position (synchronous, no await)."""
        if self.failed:
            raise LogFailed("the receipt log is stopped after a storage failure")
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

    def release(self, reservation: Reservation) -> None:
        """Give back a reservation whose receipt will not be written.

        Only the newest position can be handed back; an older one would leave a hole, so the
        log stops instead (this only happens if signing fails between reserve and commit).
        """
        if reservation.done:
            return
        reservation.done = True
        self._inflight.discard(reservation.request_id)
        self.served[reservation.grant_id] -= 1
        if reservation.log_index == self.next_index - 1:
            self.next_index -= 1
        else:
            self.failed = "a reserved log position was abandoned"

    async def commit(self, reservation: Reservation, row: dict[str, Any]) -> None:
        """Write the receipt durably; returns once it is committed."""
        loop = asyncio.get_running_loop()
        pending = _Pending(row, loop, loop.create_future())
        self._queue.put(pending)
        try:
            await pending.future
        finally:
            reservation.done = True
            self._inflight.discard(reservation.request_id)

    def _seen(self, request_id: str) -> bool:
        with self.engine.connect() as conn:
            stmt = select(RCPT.c.log_index).where(RCPT.c.request_id == request_id)
            return conn.execute(stmt).first() is not None

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
            error = LogFailed("the receipt log is stopped after a storage failure")
        else:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(RCPT), [p.row for p in group])
                self.committed = max(self.committed, max(p.row["log_index"] for p in group) + 1)
                self.groups += 1
            except Exception as exc:
                _log.critical("receipt log write failed; stopping the log: %s", exc)
                self.failed = f"{type(exc).__name__}: {exc}"
                error = LogFailed("the receipt could not be stored")
        for p in group:
            p.loop.call_soon_threadsafe(_settle, p.future, error)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
