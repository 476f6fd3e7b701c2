"""A small app that shows what it sees of its TLS connections, served by the bounded layer.

In process (a thread) through :func:`serving`, or as ``python -m tests.transport.peer_app``
with its settings in ``QC_PEER_*`` (several workers: the app is imported by each).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, ClassVar, Literal

import uvicorn
from fastapi import FastAPI, Request
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from quancheng.tls import channel_of_certificate
from quancheng_appkit.managed_server import ManagedServer
from quancheng_appkit.serving import ServerLimits, bounded_config, peer_certificate, serve
from tests.utils.ports import free_port


class PeerSettings(ServerLimits):
    """The peer app's settings; env prefix ``QC_PEER_``."""

    model_config = SettingsConfigDict(env_prefix="QC_PEER_", extra="ignore")

    environment: Literal["development", "test", "production"] = "test"
    port: int = 0
    workers: int = Field(default=1, ge=1)
    #: Each worker drops a file named by its pid here once it serves.
    ready_dir: Path | None = None


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    ready = PeerSettings().ready_dir
    if ready is not None:
        (ready / str(os.getpid())).touch()
    yield


def create_app() -> FastAPI:
    """``/healthz``, and ``/peer``: this process, the client's channel and the TLS scope."""
    app = FastAPI(lifespan=_lifespan)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/peer")
    def peer(request: Request) -> dict[str, Any]:
        der = peer_certificate(request.scope)
        return {
            "pid": os.getpid(),
            "channel": None if der is None else channel_of_certificate(der),
            "tls": (request.scope.get("extensions") or {}).get("tls"),
        }

    return app


app = create_app()


class PeerAppProcess(ManagedServer):
    """The peer app in a child process (``python -m tests.transport.peer_app``)."""

    module: ClassVar[str] = "tests.transport.peer_app"
    env_prefix: ClassVar[str] = "QC_PEER_"
    settings: PeerSettings


@contextmanager
def serving(settings: PeerSettings, *, loop: str = "asyncio") -> Iterator[str]:
    """Serve the peer app in a thread of this process; yields its base URL."""
    port = free_port()
    config = bounded_config(create_app(), settings, port=port, loop=loop, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the peer app did not start")
        time.sleep(0.01)
    try:
        scheme = "https" if settings.serves_tls else "http"
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def main() -> None:
    settings = PeerSettings()
    serve("tests.transport.peer_app:app", settings, port=settings.port,
          workers=settings.workers, loop="uvloop", log_level="warning")  # fmt: skip


if __name__ == "__main__":
    main()
