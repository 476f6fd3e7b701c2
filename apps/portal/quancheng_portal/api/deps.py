"""Dependencies of the routes: the portal, the session, the signed-in owner, CSRF."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from quancheng.crypto import SM2PublicKey
from quancheng.protocol.ids import from_hex
from quancheng_portal.app_state import Portal
from quancheng_portal.core.errors import EnrollmentRequired, NotSignedIn
from quancheng_portal.core.people import DemoPerson
from quancheng_portal.core.sessions import check_csrf, current_session
from quancheng_portal.models import PortalSession

__all__ = [
    "Binder",
    "BinderDep",
    "Caller",
    "CallerDep",
    "CsrfDep",
    "PortalDep",
    "SessionDep",
    "client_buckets",
    "get_caller",
]


def get_portal(request: Request) -> Portal:
    portal = request.app.state.portal
    assert isinstance(portal, Portal)
    return portal


def short_fingerprint(key_hex: str) -> str:
    """The first 16 hex digits of a key's SM3 fingerprint, in groups of four (as pages show)."""
    fp = SM2PublicKey.from_bytes(bytes.fromhex(key_hex.removeprefix("0x"))).fingerprint()
    return " ".join(fp[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class Caller:
    """The signed-in owner: their pseudonym (to act) and how to greet them."""

    session: PortalSession
    pseudonym: bytes
    #: Development's demo person; None for an owner signed in with their key.
    person: DemoPerson | None = None

    @property
    def pseudonym_hex(self) -> str:
        return "0x" + self.pseudonym.hex()

    @property
    def greeting(self) -> str:
        """Whom the header names: the demo person, or the key that signed in."""
        if self.person is not None:
            return f"{self.person.name}（{self.person.masked_id}）"
        if self.session.owner_key:
            return f"已用密钥登录（指纹 {short_fingerprint(self.session.owner_key)}）"
        return "已登录"


def get_caller(request: Request) -> Caller:
    """The signed-in owner (a key or, in development, a demo sign-in).

    Raises:
        NotSignedIn: No signed-in session (anonymous, or only enrolling).
    """
    session = current_session(request)
    if session.pseudonym is None or session.auth not in ("key", "demo"):
        raise NotSignedIn()
    person = None
    if session.auth == "demo":
        person = get_portal(request).person(session.person_key)
        if person is None:
            raise NotSignedIn()
    return Caller(session, from_hex(session.pseudonym), person)


@dataclass(frozen=True)
class Binder:
    """A session allowed to bind a key for ``pseudonym``; ``enrollment``: the code it spends."""

    session: PortalSession
    pseudonym: bytes
    enrollment: str | None


def get_binder(request: Request) -> Binder:
    """The session that may bind (or re-bind) a key: one that entered an enrollment code, or
    in development any signed-in session.

    Raises:
        NotSignedIn: No session of an owner.
        EnrollmentRequired: Signed in, but outside development a session alone never binds.
    """
    session = current_session(request)
    if session.pseudonym is None or session.auth is None:
        raise NotSignedIn()
    pseudonym = from_hex(session.pseudonym)
    if session.auth == "enrolling" and session.enrollment:
        return Binder(session, pseudonym, session.enrollment)
    if get_portal(request).settings.demo_identities:
        get_caller(request)
        return Binder(session, pseudonym, None)
    raise EnrollmentRequired()


def client_buckets(request: Request, session: PortalSession) -> tuple[str, str]:
    """The rate-limit buckets of a sign-in or enrollment attempt: its session and address."""
    address = request.client.host if request.client else "unknown"
    return f"session:{session.token_digest}", f"address:{address}"


PortalDep = Annotated[Portal, Depends(get_portal)]
SessionDep = Annotated[PortalSession, Depends(current_session)]
CallerDep = Annotated[Caller, Depends(get_caller)]
BinderDep = Annotated[Binder, Depends(get_binder)]
CsrfDep = Depends(check_csrf)
