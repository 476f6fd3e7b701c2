"""Taking turns at a SQLite gateway database's write lock: woken, not polling.

SQLite lets one write transaction at a time hold a database, and a writer that finds it held
polls: its busy handler sleeps 1, 2, 5, 10 … 100 ms between tries. Under load the receipt
writer holds the lock nearly back to back (one group commit after another, a few hundred
microseconds apart), so a chain-view update or an anchorer's batch write that polls can miss
every gap for seconds: the view then looks stale (the gateway refuses ``CHAIN_UNAVAILABLE``)
and anchoring falls behind. Measured at 650 queries/s for 30 s: the view fell ~2 s behind and
anchor cycles of 0.13 s took up to 3.5 s.

:func:`writer_turn` gives the hot writers (the receipt writer, the chain follower, the
anchorer) an ``flock`` on a file beside the database, taken before their transaction begins:
a writer that waits sleeps in the kernel and is woken when the lock is released, so it goes
next instead of guessing when to try. Each thread holds its own open file (``flock`` locks
belong to one), so threads of one process and worker processes sharing the file take turns
alike; a thread that holds its turn may nest. Writers that do not take a turn (rare ones:
leadership, reader nonces, the subject index) still meet SQLite's busy handler as before.
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

__all__ = ["WriterTurn", "turn_for", "writer_turn"]


class WriterTurn:
    """One turn at a time at the write lock of the SQLite database at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        local = self._local
        depth: int = getattr(local, "depth", 0)
        if depth:  # this thread holds the turn already
            local.depth = depth + 1
            try:
                yield
            finally:
                local.depth = depth
            return
        handle: IO[str] | None = getattr(local, "handle", None)
        if handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = local.handle = self.path.open("a")  # kept: one open file per thread
        fcntl.flock(handle, fcntl.LOCK_EX)  # sleeps, the GIL released, until woken
        local.depth = 1
        try:
            yield
        finally:
            local.depth = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


_turns: dict[str, WriterTurn] = {}
_turns_lock = threading.Lock()


def writer_turn(engine: Engine) -> WriterTurn | None:
    """The turn at ``engine``'s SQLite file (None for PostgreSQL or an in-memory database)."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database).resolve()
    with _turns_lock:
        turn = _turns.get(str(path))
        if turn is None:
            turn = _turns[str(path)] = WriterTurn(path.with_name(f"{path.name}.writer.lock"))
        return turn


def turn_for(engine: Engine) -> Callable[[], AbstractContextManager[None]]:
    """What a writer calls for each transaction: ``with turn(): …`` (nothing off SQLite)."""
    turn = writer_turn(engine)
    return nullcontext if turn is None else turn
