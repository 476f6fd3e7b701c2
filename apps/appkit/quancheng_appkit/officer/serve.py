"""Serving an officer service: logging as the settings say, within their bounds."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from quancheng_appkit.officer.settings import OfficerSettings
from quancheng_appkit.serving import serve

__all__ = ["serve_officer"]


def serve_officer(app: FastAPI, settings: OfficerSettings) -> None:
    """Serve ``app`` until SIGTERM (TLS, bounds and the plaintext rule from ``settings``)."""
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    serve(app, settings, host=settings.host, port=settings.port,
          log_level=settings.log_level.lower(), access_log=False)  # fmt: skip
