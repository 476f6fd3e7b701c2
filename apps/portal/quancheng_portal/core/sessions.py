"""Browser sessions and CSRF protection.

The cookie holds a random token (HttpOnly, SameSite=Strict; Secure and ``__Host-``-prefixed
in production); the database keeps only its SM3 digest, the CSRF token and, once signed in,
how (``auth``) and the owner's pseudonym. Every visitor gets a session (anonymous until
sign-in) so that even the sign-in request is CSRF-protected; signing in or entering an
enrollment code issues a new token (no session fixation). A session ends after its absolute
lifetime or when unused for ``idle`` seconds, whichever comes first (OWASP ASVS 3.3.2).

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

from sqlalchemy import Engine, delete, func, or_, update
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

from quancheng.crypto import sm3
from quancheng_portal.core.errors import CsrfRejected, NotSignedIn
from quancheng_portal.models import PortalSession

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "SECURE_COOKIE",
    "SessionMiddleware",
    "SessionStore",
    "check_csrf",
    "cookie_name",
]

COOKIE = "qc_portal_session"
#: The name over HTTPS: browsers accept a ``__Host-`` cookie only if Secure, on ``/`` and
#: without a Domain, so no subdomain or plain-HTTP page can plant or overwrite it.
SECURE_COOKIE = "__Host-" + COOKIE
CSRF_HEADER = "x-csrf-token"
#: Paths served without a browser session (no cookie, no row), consumers' API ``/v1/`` among them.
_NO_SESSION_PREFIXES = ("/static/", "/healthz", "/v1/", "/openapi.json", "/docs", "/redoc")
#: A session's last use is written at most this often (seconds): the idle timeout is exact to
#: within it, and a page load does not always write to the database.
_TOUCH_EVERY = 30


def cookie_name(secure: bool) -> str:
    """The session cookie's name (``__Host-`` prefixed when Secure)."""
    return SECURE_COOKIE if secure else COOKIE


@dataclass
class SessionStore:
    """Sessions in the portal's database: ``ttl`` absolute, ``idle`` since last use."""

    engine: Engine
    ttl: int
    idle: int
    clock: Callable[[], float] = time.time

    @staticmethod
    def digest(token: str) -> str:
        """What the database keeps of a cookie token."""
        return sm3(token.encode("ascii")).hex()

    def load(self, token: str | None) -> PortalSession | None:
        """The live session of a cookie token (its last use noted), or None."""
        if not token or len(token) > 100:
            return None
        now = int(self.clock())
        with Session(self.engine) as session:
            row = session.get(PortalSession, self.digest(token))
            if row is None or row.expires_at <= now or row.last_seen_at + self.idle <= now:
                return None
            if now - row.last_seen_at >= _TOUCH_EVERY:
                row.last_seen_at = now
                session.add(row)
                session.commit()
                session.refresh(row)
        return row

    def create(
        self, *, auth: str | None = None, pseudonym: str | None = None,
        person_key: str | None = None, owner_key: str | None = None,
        enrollment: str | None = None, replacing: PortalSession | None = None,
    ) -> tuple[str, PortalSession]:  # fmt: skip
        """A new session (and cookie token), dropping ``replacing`` and ended sessions."""
        token = secrets.token_urlsafe(32)
        now = int(self.clock())
        row = PortalSession(
            token_digest=self.digest(token), csrf_token=secrets.token_urlsafe(32), auth=auth,
            person_key=person_key, pseudonym=pseudonym, owner_key=owner_key,
            enrollment=enrollment, created_at=now, last_seen_at=now, expires_at=now + self.ttl,
        )  # fmt: skip
        ended = or_(
            col(PortalSession.expires_at) <= now, col(PortalSession.last_seen_at) <= now - self.idle
        )
        with Session(self.engine) as session:
            session.exec(delete(PortalSession).where(ended))
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

    def end_all(self, pseudonym: str, *, keep: PortalSession | None = None) -> int:
        """End every session of this owner (but ``keep``); how many were ended."""
        where = [col(PortalSession.pseudonym) == pseudonym]
        if keep is not None:
            where.append(col(PortalSession.token_digest) != keep.token_digest)
        with Session(self.engine) as session:
            result = session.exec(delete(PortalSession).where(*where))
            session.commit()
        return int(result.rowcount or 0)

    def live_count(self, pseudonym: str) -> int:
        """How many signed-in sessions this owner has now."""
        now = int(self.clock())
        query = select(func.count()).select_from(PortalSession).where(
            col(PortalSession.pseudonym) == pseudonym, col(PortalSession.expires_at) > now,
            col(PortalSession.last_seen_at) > now - self.idle,
        )  # fmt: skip
        with Session(self.engine) as session:
            return int(session.exec(query).one())

    def promote(self, row: PortalSession, *, owner_key: str) -> None:
        """An enrolling session whose key is now bound: signed in with that key."""
        with Session(self.engine) as session:
            session.exec(
                update(PortalSession)
                .where(col(PortalSession.token_digest) == row.token_digest)
                .values(auth="key", owner_key=owner_key, enrollment=None)
            )
            session.commit()

    def set_challenge(self, row: PortalSession, challenge: str, expires_at: int) -> None:
        """Give the session a sign-in challenge (replacing any earlier one)."""
        with Session(self.engine) as session:
            session.exec(
                update(PortalSession)
                .where(col(PortalSession.token_digest) == row.token_digest)
                .values(challenge=challenge, challenge_expires_at=expires_at)
            )
            session.commit()

    def take_challenge(self, row: PortalSession, challenge: str) -> int | None:
        """Spend the session's challenge if it is ``challenge``: its expiry, or None when the
        session has no such challenge (never issued, replaced, or already spent)."""
        with Session(self.engine) as session:
            current = session.get(PortalSession, row.token_digest)
            if current is None or current.challenge is None:
                return None
            if not hmac.compare_digest(current.challenge.encode(), challenge.encode()):
                return None
            expires_at = current.challenge_expires_at or 0
            spent = session.exec(
                update(PortalSession)
                .where(
                    col(PortalSession.token_digest) == row.token_digest,
                    col(PortalSession.challenge) == challenge,
                )
                .values(challenge=None, challenge_expires_at=None)
            )
            session.commit()
        return expires_at if spent.rowcount == 1 else None


class SessionMiddleware(BaseHTTPMiddleware):
    """Loads (or starts) the session into ``request.state`` and sets the cookie when it changes."""

    def __init__(self, app: object, store: SessionStore, secure: bool) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.store, self.secure, self.cookie = store, secure, cookie_name(secure)

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.new_token = None
        request.state.session = None
        if not request.url.path.startswith(_NO_SESSION_PREFIXES):
            row = await run_in_threadpool(self.store.load, request.cookies.get(self.cookie))
            if row is None:
                token, row = await run_in_threadpool(self.store.create)
                request.state.new_token = token
            request.state.session = row
        response = await call_next(request)
        if request.state.new_token:
            response.set_cookie(
                self.cookie, request.state.new_token, max_age=self.store.ttl, path="/",
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
