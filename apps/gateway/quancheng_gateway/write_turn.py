"""Taking turns at a SQLite gateway database's write lock: woken, not polling.

SQLite lets one write transaction at a time hold a database, and a writer that finds it held
polls: its busy handler sleeps 1, 2, 5, 10 … 100 ms between tries. Under load the receipt
writer holds the lock nearly back to back (one group commit after another, a few hundred
microseconds apart), so a chain-view update or an anchorer's batch write that polls can miss
every gap for seconds: the view then looks stale (the gateway refuses ``CHAIN_UNAVAILABLE``)
and anchoring falls behind. Measured at 650 queries/s for 30 s: the view fell ~2 s behind and
anchor cycles of 0.13 s took up to 3.5 s.

:func:`writer_turn` gives the hot writers (the receipt writer, the chain follower, the
anchorer) a turn taken before their transaction begins: a writer that waits sleeps and is
woken when the turn is released, so it goes next instead of guessing when to try. Threads of
one process queue on a lock; worker processes of one gateway (``QC_GW_WORKERS`` > 1) also
take an ``flock`` on a file beside the database, ``<database>.writer.lock``. Not on one
process: ``flock`` releases the GIL on every call, and the receipt writer would then wait
for the busy event loop twice more per group. The subject index's rebuild (at start and after
a data load) takes the turn too; only the start-up writes (schema, log head: before this
process answers anything) meet SQLite's busy handler alone. Leadership (an ``flock``) and
reader nonces (memory) write nothing to the database.
PostgreSQL locks rows and wakes its waiters: there a turn is nothing.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import IO

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

__all__ = ["WriterTurn", "lock_file", "sqlite_file", "turn_for", "writer_turn"]


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL (None for other databases, or in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return None if parsed.database == ":memory:" else Path(parsed.database)


def lock_file(engine: Engine, name: str) -> Path | None:
    """The lock file beside a SQLite database (None for other databases, or in memory)."""
    path = sqlite_file(str(engine.url))
    return None if path is None else path.with_name(f"{path.name}.{name}.lock")


class WriterTurn:
    """One turn at a time at the write lock of the SQLite database beside ``path``.

    The threads of one process queue on a lock (uncontended it is taken without releasing the
    GIL, so the receipt writer pays nothing when no one else writes); with
    ``across_processes`` the holder also takes an ``flock`` on ``path``, so worker processes
    sharing the database queue too. A thread that holds the turn may nest.
    """

    def __init__(self, path: Path, *, across_processes: bool = False) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0  # touched by the lock's holder only
        self._handle: IO[str] | None = None
        if across_processes:
            self.share_across_processes()

    @property
    def across_processes(self) -> bool:
        return self._handle is not None

    def share_across_processes(self) -> None:
        """From now on the turn is taken against other processes too (``flock``)."""
        with self._lock:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = self.path.open("a")  # kept open: the flock is on it

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:  # a waiting thread sleeps, the GIL released, until woken
            self._depth += 1
            handle = self._handle if self._depth == 1 else None
            try:
                if handle is None:
                    yield
                else:
                    fcntl.flock(handle, fcntl.LOCK_EX)  # likewise, other processes
                    try:
                        yield
                    finally:
                        fcntl.flock(handle, fcntl.LOCK_UN)
            finally:
                self._depth -= 1


_turns: dict[str, WriterTurn] = {}
_turns_lock = threading.Lock()


def writer_turn(engine: Engine) -> WriterTurn | None:
    """The turn at ``engine``'s SQLite file (None for PostgreSQL or an in-memory database).

    Within one process; a gateway of several worker processes makes it shared across them
    (:meth:`WriterTurn.share_across_processes`) before its writers start.
    """
    path = lock_file(engine, "writer")
    if path is None:
        return None
    path = path.resolve()  # one turn per file, however its URL names it
    with _turns_lock:
        turn = _turns.get(str(path))
        if turn is None:
            turn = _turns[str(path)] = WriterTurn(path)
        return turn


def turn_for(engine: Engine) -> Callable[[], AbstractContextManager[None]]:
    """What a writer calls for each transaction: ``with turn(): …`` (nothing off SQLite)."""
    turn = writer_turn(engine)
    return nullcontext if turn is None else turn
