"""Database engines: the gateway's own (durable) and the department's data (read only).

SQLite runs in WAL mode with ``synchronous=FULL``: a commit returns only once the WAL is on
disk, so a receipt that was committed survives a kill -9 or a power cut. PostgreSQL is
used as configured (its default ``synchronous_commit=on`` gives the same guarantee).
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from quancheng_gateway import models  # noqa: F401  (registers the tables)
from quancheng_gateway.receipt_log import count_served
from quancheng_gateway.write_turn import lock_file, sqlite_file

__all__ = [
    "create_data_engine",
    "create_gateway_engine",
    "exclusive",
    "init_schema",
    "lock_file",
]


def _sqlite_pragmas(durable: bool) -> Any:
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return _on_connect


def _server_engine(url: str) -> Engine:
    """A client-server engine: pre-ping replaces pooled connections a restart made stale."""
    # An unreachable server fails a connection attempt in seconds, not the OS's minutes.
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = 5
    return create_engine(
        url, pool_size=8, max_overflow=4, pool_pre_ping=True, connect_args=connect_args
    )


def create_gateway_engine(url: str) -> Engine:
    """The gateway's engine: durable commits, one connection per thread for SQLite."""
    path = sqlite_file(url)
    if make_url(url).get_backend_name() == "sqlite":
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=8)
        event.listen(engine, "connect", _sqlite_pragmas(durable=True))
        return engine
    return _server_engine(url)


def create_data_engine(url: str) -> Engine:
    """The department's data engine (read by the handlers)."""
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=8)
        event.listen(engine, "connect", _sqlite_pragmas(durable=False))
        return engine
    return _server_engine(url)


#: Columns added to existing tables since their first release: ``create_all`` creates
#: missing tables only, so these are added to a database an earlier build created.
_ADDED_COLUMNS: dict[tuple[str, str], str] = {
    ("log_head", "anchored_upto"): "BIGINT NOT NULL DEFAULT 0",
    # Unknown until the view is followed again: the most sensitive, so answers are sealed.
    ("view_resources", "sensitivity"): "INTEGER NOT NULL DEFAULT 4",
}


def init_schema(engine: Engine) -> None:
    """Create the gateway's tables if missing, and bring an earlier build's database up."""
    with engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        inspector = inspect(conn)
        for (table, column), ddl in _ADDED_COLUMNS.items():
            if column not in {c["name"] for c in inspector.get_columns(table)}:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}"))
                if table.startswith("view_"):  # only the chain's events fill it: follow again
                    conn.execute(text("DELETE FROM view_state"))
        _uses_per_resource(conn, existing)


def _uses_per_resource(conn: Connection, existing: set[str]) -> None:
    """Upgrade a database from before ``max_uses`` was a budget per resource.

    The served counts per grant give way to counts per (grant, resource), taken from the
    receipts themselves. The view's uses per grant give way to each resource's uses, which
    only the chain's events carry: the view is followed again from the deployment's first
    block (every event applies idempotently over the rows it holds).
    """
    if "grant_served" in existing:
        if "grant_resource_served" not in existing:
            count_served(conn)
        conn.execute(text("DROP TABLE grant_served"))
    if "view_grants" in existing and "view_grant_uses" not in existing:
        columns = {c["name"] for c in inspect(conn).get_columns("view_grants")}
        for column in ("uses", "provider_uses"):
            if column in columns:
                conn.execute(text(f"ALTER TABLE view_grants DROP COLUMN {column}"))
        conn.execute(text("DELETE FROM view_state"))


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[None]:
    """Run the block alone among the processes sharing ``engine``'s database.

    For work every replica or worker does at start (creating tables, rebuilding the subject
    index) that two of them must not interleave: a PostgreSQL session advisory lock, or an
    ``flock`` on a file beside a SQLite database.
    """
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(f"quancheng.{name}".encode()) - 2**31
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    path = lock_file(engine, name)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
