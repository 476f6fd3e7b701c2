"""Browser sessions and CSRF protection.

The cookie holds a random token (HttpOnly, SameSite=Strict, Secure in production); the
database keeps only its SM3 digest, the CSRF token and, once signed in, the owner's pseudonym.
Every visitor gets a session (anonymous until sign-in) so that even the sign-in request is
CSRF-protected; signing in issues a new token (no session fixation).

State-changing requests must carry the session's CSRF token in ``X-CSRF-Token`` (the pages
embed it in a ``<meta>`` tag) and, when the browser sends them, an ``Origin`` equal to the
portal's own and ``Sec-Fetch-Site: same-origin``.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

from quancheng.crypto import sm3
from quancheng_portal.core.errors import CsrfRejected, NotSignedIn
from quancheng_portal.models import PortalSession

__all__ = ["COOKIE", "CSRF_HEADER", "SessionMiddleware", "SessionStore", "check_csrf"]

COOKIE = "qc_portal_session"
CSRF_HEADER = "x-csrf-token"
_NO_SESSION_PREFIXES = ("/static/", "/healthz", "/openapi.json", "/docs", "/redoc")


@dataclass
class SessionStore:
    """Sessions in the portal's database."""

    engine: Engine
    ttl: int
    clock: Callable[[], float] = time.time

    @staticmethod
    def digest(token: str) -> str:
        """What the database keeps of a cookie token."""
        return sm3(token.encode("ascii")).hex()

    def load(self, token: str | None) -> PortalSession | None:
        """The live session of a cookie token, or None."""
        if not token or len(token) > 100:
            return None
        with Session(self.engine) as session:
            row = session.get(PortalSession, self.digest(token))
        if row is None or row.expires_at <= self.clock():
            return None
        return row

    def create(self, *, person_key: str | None = None, pseudonym: str | None = None,
               replacing: PortalSession | None = None) -> tuple[str, PortalSession]:  # fmt: skip
        """A new session (and cookie token), dropping ``replacing`` and expired sessions."""
        token = secrets.token_urlsafe(32)
        now = int(self.clock())
        row = PortalSession(
            token_digest=self.digest(token), csrf_token=secrets.token_urlsafe(32),
            person_key=person_key, pseudonym=pseudonym, created_at=now,
            expires_at=now + self.ttl,
        )  # fmt: skip
        with Session(self.engine) as session:
            session.exec(delete(PortalSession).where(PortalSession.expires_at <= now))  # type: ignore[arg-type]
            if replacing is not None:
                old = session.get(PortalSession, replacing.token_digest)
                if old is not None:
                    session.delete(old)
            session.add(row)
            session.commit()
            session.refresh(row)
        return token, row

    def drop(self, row: PortalSession) -> None:
        """End a session."""
        with Session(self.engine) as session:
            old = session.get(PortalSession, row.token_digest)
            if old is not None:
                session.delete(old)
                session.commit()


class SessionMiddleware(BaseHTTPMiddleware):
    """Loads (or starts) the session into ``request.state`` and sets the cookie when it changes."""

    def __init__(self, app: object, store: SessionStore, secure: bool) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.store, self.secure = store, secure

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.new_token = None
        request.state.session = None
        if not request.url.path.startswith(_NO_SESSION_PREFIXES):
            row = await run_in_threadpool(self.store.load, request.cookies.get(COOKIE))
            if row is None:
                token, row = await run_in_threadpool(self.store.create)
                request.state.new_token = token
            request.state.session = row
        response = await call_next(request)
        if request.state.new_token:
            response.set_cookie(
                COOKIE, request.state.new_token, max_age=self.store.ttl, path="/",
                httponly=True, samesite="strict", secure=self.secure,
            )  # fmt: skip
        return response


def current_session(request: Request) -> PortalSession:
    """The request's session (every non-static request has one)."""
    row = getattr(request.state, "session", None)
    if row is None:  # pragma: no cover - the middleware always sets it
        raise NotSignedIn()
    assert isinstance(row, PortalSession)
    return row


def check_csrf(request: Request) -> None:
    """Refuse a state-changing request that did not come from the portal's own pages.

    Raises:
        CsrfRejected: Missing or wrong token, or a cross-site origin.
    """
    row = current_session(request)
    given = request.headers.get(CSRF_HEADER, "")
    if not given or not hmac.compare_digest(given.encode(), row.csrf_token.encode()):
        raise CsrfRejected()
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise CsrfRejected()
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise CsrfRejected()
