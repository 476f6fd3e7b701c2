"""A throwaway PostgreSQL server for tests: initdb + pg_ctl on a free port in a temp dir.

``initdb`` and ``pg_ctl`` refuse to run as root, so as root they run as the ``postgres``
user on a directory handed to it. Skips only when the server binaries are absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.utils.ports import free_port

PG_BIN = Path(os.environ.get("QC_PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass(frozen=True)
class PostgresServer:
    """A running server and the SQLAlchemy URL of its ``postgres`` database."""

    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


def _run(args: list[str]) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)


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
    options = f"-p {server.port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=on"
    _run(
        [
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(base / "pg.log"),
            "-w",
            "start",
        ]
    )
    try:
        yield server
    finally:
        _run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)
