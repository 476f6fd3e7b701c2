"""The owner portal (数字保险箱) as a FastAPI app: ``create_app(settings)``."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from quancheng_appkit.serving import BodyLimit, ClientConcurrencyLimit, install_offline_docs
from quancheng_portal.api.routes import (
    grants,
    history,
    invitations,
    meta,
    owner_key,
    pages,
    session,
    sign_in,
)
from quancheng_portal.app_state import PACKAGE_DIR, Portal
from quancheng_portal.core.config import PortalSettings
from quancheng_portal.core.errors import MalformedInput, NotSignedIn, PortalError, TooManyAttempts
from quancheng_portal.core.sessions import SessionMiddleware

__all__ = ["create_app"]

_log = logging.getLogger("quancheng_portal")

#: No script, style, font or image from anywhere but the portal itself.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def create_app(settings: PortalSettings, *, clock: Callable[[], float] = time.time) -> FastAPI:
    """The portal app: pages, JSON API (OpenAPI at ``/docs``), static files.

    Raises:
        ConfigError: Keys, manifest or demo identities cannot be loaded.
    """
    portal = Portal.build(settings, clock=clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        portal.close()

    app = FastAPI(
        title="数字保险箱 · 泉城链 owner portal",
        version="0.1.0",
        description="Data owners approve, reject, pause, resume and revoke grants (signed in "
        "their browser) and see every access to their data with its verified receipt.",
        lifespan=lifespan,
    )
    app.state.portal = portal
    install_offline_docs(app)  # /docs loads nothing from elsewhere; its page has its own CSP
    app.add_middleware(SessionMiddleware, store=portal.sessions, secure=settings.cookie_secure)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    for module in (pages, session, sign_in, owner_key, grants, history, invitations, meta):
        app.include_router(module.router)
    # Around the session middleware (no session is read for a refused request), inside the
    # security headers (a refusal carries them too).
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ClientConcurrencyLimit, max_in_flight=settings.max_requests_per_client)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable) -> Response:  # type: ignore[type-arg]
        response: Response = await call_next(request)
        response.headers.setdefault("content-security-policy", _CSP)
        response.headers.setdefault("x-content-type-options", "nosniff")
        response.headers.setdefault("referrer-policy", "same-origin")
        return response

    @app.exception_handler(PortalError)
    async def portal_error(request: Request, exc: PortalError) -> Response:
        if isinstance(exc, NotSignedIn) and not request.url.path.startswith("/api/"):
            return RedirectResponse("/login", 303)
        if exc.status >= 500:
            _log.warning("refused %s %s: %s", request.method, request.url.path, exc.code)
        headers = {}
        if isinstance(exc, TooManyAttempts):
            headers["retry-after"] = str(exc.details["retry_after_s"])
        return JSONResponse(exc.to_body(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "请求"
        error = MalformedInput(reason=f"{where}: {first.get('msg', '格式不对')}")
        return JSONResponse(error.to_body(), status_code=error.status)

    return app
