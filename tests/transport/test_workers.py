"""Several uvicorn workers over TLS: each one is configured alike and sees client certificates."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from quancheng_appkit.devca import DevCa
from tests.transport.peer_app import PeerAppProcess, PeerSettings
from tests.utils.ports import free_port

WORKERS = 2


@pytest.fixture(scope="module")
def ready_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workers")


@pytest.fixture(scope="module")
def server(
    dev_ca: DevCa, ready_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PeerAppProcess]:
    settings = PeerSettings(
        port=free_port(),
        workers=WORKERS,
        ready_dir=ready_dir,
        tls_cert_file=dev_ca.server_cert_file,
        tls_key_file=dev_ca.server_key_file,
        tls_client_ca_file=dev_ca.ca_file,
    )
    log_file = tmp_path_factory.mktemp("workers-log") / "server.log"
    proc = PeerAppProcess(settings, log_file=log_file, tls=dev_ca.anonymous())
    proc.start()
    try:
        deadline = time.monotonic() + 60  # /healthz answered by one worker: wait for all
        while len(list(ready_dir.iterdir())) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.05)
        yield proc
    finally:
        proc.stop()


def test_every_worker_serves_tls_and_hands_the_client_certificate_to_the_app(
    server: PeerAppProcess, dev_ca: DevCa, ready_dir: Path
) -> None:
    workers = {int(p.name) for p in ready_dir.iterdir()}
    assert len(workers) == WORKERS
    tls = dev_ca.client("ins.qilu")
    seen: dict[int, set[str | None]] = {}
    for _ in range(400):  # a fresh connection each time, until every worker has answered
        with httpx.Client(verify=tls.ssl_context(), timeout=10) as client:
            answer = client.get(server.url + "/peer").json()
        seen.setdefault(answer["pid"], set()).add(answer["channel"])
        if set(seen) == workers:
            break
    assert set(seen) == workers
    assert all(channels == {tls.channel} for channels in seen.values())
