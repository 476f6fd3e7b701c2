"""Telling "the database is unavailable" apart from every other database error.

A database that is restarting, unreachable or out of connections is a temporary condition:
the gateway refuses with ``503 STORAGE_UNAVAILABLE`` (never data, never a 500) and recovers
by itself once the database answers again. Any other database error (a constraint broken,
a bad statement) is a bug or a conflict and stays an internal error.
"""

from __future__ import annotations

from sqlalchemy import exc as sa

from quancheng.protocol import refusals as r

__all__ = ["is_unavailable", "storage_refusal"]

#: Raised when the server cannot be reached, drops the connection, is shutting down, or the
#: pool cannot hand out a connection in time (SQLAlchemy wraps the driver's own classes).
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa.OperationalError,
    sa.InterfaceError,
    sa.DisconnectionError,
    sa.TimeoutError,
)


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database could not be used right now (retry later)."""
    if isinstance(exc, _UNAVAILABLE):
        return True
    return isinstance(exc, sa.DBAPIError) and bool(exc.connection_invalidated)


def storage_refusal(exc: BaseException) -> r.StorageUnavailable:
    """The typed refusal for an unavailable database (the driver's text stays in the log)."""
    return r.StorageUnavailable(
        "the gateway's database is unavailable; nothing was answered, ask again later",
        error=type(getattr(exc, "orig", None) or exc).__name__,
    )
