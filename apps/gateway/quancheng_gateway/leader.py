"""Which replica of a department anchors: one at a time, the others stand by.

Every replica answers queries (the receipt log is shared through the database), but only
one should close batches and send the department's chain transactions: they come from one
chain account, whose nonces one sender manages. On PostgreSQL the anchorer is the holder of
a session-level advisory lock, taken on a connection kept for that purpose: when the
holder's process dies or its connection drops, the server releases the lock and a standby
takes it at its next try. On SQLite (the workers of one gateway sharing its database file)
it is an ``flock`` on a file beside the database, released by the kernel when its holder
dies; an in-memory database has one process, which always holds it.

The lock is an efficiency, not the safety net: every change of a batch's state is a
compare-and-set on its row (see :mod:`quancheng_gateway.anchorer`), so even two anchorers
at once — a holder that lost its connection mid-step — cannot record a batch's uses twice.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import zlib
from typing import IO

from sqlalchemy import Connection, Engine, text

from quancheng_gateway.db import lock_file

__all__ = ["Leadership"]

_log = logging.getLogger("quancheng_gateway.leader")


class Leadership:
    """``held()`` says (and tries to become) whether this process anchors for ``provider``."""

    def __init__(self, engine: Engine, provider: str) -> None:
        self.engine = engine
        self.shared = engine.dialect.name == "postgresql"
        # One database per department; the provider in the key guards a shared one anyway.
        self.key = zlib.crc32(f"quancheng.anchorer:{provider}".encode()) - 2**31
        self.path = None if self.shared else lock_file(engine, "anchorer")
        self._conn: Connection | None = None
        self._file: IO[str] | None = None
        self._lock = threading.Lock()  # one connection: never used by two threads at once

    @property
    def holding(self) -> bool:
        """Whether this process held the lock at its last try (tries nothing)."""
        return (
            self._file is not None
            or self._conn is not None
            or (not self.shared and self.path is None)
        )

    def held(self) -> bool:
        """True while this process holds the lock (taking it if it is free)."""
        with self._lock:
            if self.shared:
                return self._hold()
            return self.path is None or self._hold_file()

    def _hold_file(self) -> bool:
        if self._file is not None:
            return True
        assert self.path is not None
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another worker anchors
            handle.close()
            return False
        self._file = handle
        _log.info("this process anchors now (%s)", self.path.name)
        return True

    def _hold(self) -> bool:
        try:
            if self._conn is not None:
                self._conn.execute(text("SELECT 1"))  # still ours while the session lives
                self._conn.rollback()  # never sit "idle in transaction" holding a snapshot
                return True
            self._conn = self.engine.connect()
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            taken = bool(got.scalar())
            self._conn.commit()  # the lock belongs to the session, not to this transaction
        except Exception as exc:
            self._release()
            _log.warning("anchoring lock lost or unavailable: %s", exc)
            return False
        if not taken:  # held elsewhere: this session holds nothing, back to the pool with it
            conn, self._conn = self._conn, None
            conn.close()
            return False
        _log.info("this replica anchors now (advisory lock %d)", self.key)
        return True

    def release(self) -> None:
        """Give the lock up (closing its session releases it on the server)."""
        with self._lock:
            self._release()

    def _release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            handle.close()  # closing the descriptor drops the flock
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.invalidate()  # do not return a lock-holding session to the pool
            conn.close()
        except Exception:  # already gone with its server: nothing to give back
            pass
