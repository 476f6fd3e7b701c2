"""Serve an app under :class:`~quancheng_appkit.serving.ServerLimits` (uvicorn.run's tail),
over TLS unless plain HTTP is allowed (loopback, in development or test)."""

from __future__ import annotations

import sys
from typing import Any

from uvicorn import Server
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from quancheng_appkit.serving.protocol import BoundedConfig
from quancheng_appkit.serving.settings import ServerLimits

__all__ = ["bounded_config", "serve"]


def bounded_config(app: Any, limits: ServerLimits, **options: Any) -> BoundedConfig:
    """uvicorn's config for ``app`` with every bound and the TLS of ``limits`` applied.

    ``options`` are uvicorn's own (host, port, workers, loop, log_level, ...); ``host``
    defaults to the settings' own.

    Raises:
        PlaintextRefused: No TLS certificate, on a host that is not loopback or in production.
        TlsConfigError: A TLS file is missing, incomplete or does not load.
    """
    options.setdefault("host", limits.host)
    return BoundedConfig(
        app,
        limits=limits.connection_limits(),
        limit_concurrency=limits.max_connections,
        timeout_keep_alive=limits.keep_alive_timeout_s,
        forwarded_allow_ips=limits.forwarded_allow_ips,
        **limits.uvicorn_options(options["host"]),
        **options,
    )


def serve(app: Any, limits: ServerLimits, **options: Any) -> None:
    """Serve until SIGTERM, as ``uvicorn.run(app, **options)`` would, within ``limits``.

    With ``workers`` > 1, ``app`` must be an import string (each worker imports it).
    """
    config = bounded_config(app, limits, **options)
    if config.workers > 1:
        if not isinstance(app, str):
            raise TypeError("several workers need the app as an import string")
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server = Server(config)
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
