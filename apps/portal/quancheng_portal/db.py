"""The portal's database engine (SQLite by default; PostgreSQL by configuration)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, event, inspect
from sqlmodel import SQLModel, create_engine

from quancheng_portal import models  # registers the tables

__all__ = ["make_engine"]


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the tables created (SQLite in WAL mode, directory made)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    else:
        engine = create_engine(url, pool_pre_ping=True)
    _drop_stale_sessions(engine)
    SQLModel.metadata.create_all(engine)
    return engine


def _drop_stale_sessions(engine: Engine) -> None:
    """Sessions are disposable: a table of an older layout is dropped (everyone signs in again)
    rather than migrated."""
    table = models.PortalSession.__table__  # type: ignore[attr-defined]
    if not inspect(engine).has_table(table.name):
        return
    present = {column["name"] for column in inspect(engine).get_columns(table.name)}
    if not {column.name for column in table.columns} <= present:
        table.drop(engine)
