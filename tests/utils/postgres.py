"""A throwaway PostgreSQL server for tests: initdb + pg_ctl on a free port in a temp dir.

``initdb`` and ``pg_ctl`` refuse to run as root, so as root they run as the ``postgres``
user on a directory handed to it. Skips only when the server binaries are absent. Fault
tests stop and start the same server (same data, same port) under a running gateway.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.utils.ports import free_port

PG_BIN = Path(os.environ.get("QC_PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass(frozen=True)
class PostgresServer:
    """A server (running between :meth:`start` and :meth:`stop`) and its SQLAlchemy URL."""

    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the ``postgres`` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def base(self) -> Path:
        return self.data_dir.parent

    def start(self) -> None:
        """Start on the same data directory and port; returns once it accepts connections."""
        options = (
            f"-p {self.port} -k {self.base / 'sock'} -c listen_addresses=127.0.0.1 -c fsync=on"
        )
        _pg_ctl(self, "-o", options, "-l", str(self.base / "pg.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop (``fast``: open connections are terminated, as in a restart by an operator;
        ``immediate``: no shutdown checkpoint, as in a crash)."""
        _pg_ctl(self, "-m", mode, "-w", "stop")

    def create_database(self) -> str:
        """A fresh, empty database on this server; its SQLAlchemy URL."""
        name = f"gw_{secrets.token_hex(4)}"
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url.rsplit("/", 1)[0] + "/" + name


def _run(args: list[str]) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)


def _pg_ctl(server: PostgresServer, *args: str) -> None:
    _run([str(PG_BIN / "pg_ctl"), "-D", str(server.data_dir), *args])


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a server (trust auth on 127.0.0.1 only); stop and delete it afterwards."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL server binaries not found in {PG_BIN}")
    base = Path(tempfile.mkdtemp(prefix="qc-pg-"))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
    server = PostgresServer(data, free_port())
    _run([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"])
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # a test may have stopped it
            server.stop()
        shutil.rmtree(base, ignore_errors=True)
