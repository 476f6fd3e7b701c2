"""Dependencies of the routes: the portal, the session, the signed-in owner, CSRF."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from quancheng.crypto import SM2PublicKey
from quancheng.protocol.ids import from_hex
from quancheng_portal.app_state import Portal
from quancheng_portal.core.enterprises import DemoEnterprise, DemoOwner
from quancheng_portal.core.errors import EnrollmentRequired, NotSignedIn
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
    #: Development's demo person or enterprise, or the enterprise a key session acts for;
    #: None for a person signed in with their key.
    person: DemoOwner | None = None

    @property
    def pseudonym_hex(self) -> str:
        return "0x" + self.pseudonym.hex()

    @property
    def greeting(self) -> str:
        """Whom the header names: the demo person or enterprise, the enterprise acted for,
        and the key that signed in."""
        key = None
        if self.session.auth == "key" and self.session.owner_key:
            key = f"已用密钥登录（指纹 {short_fingerprint(self.session.owner_key)}）"
        if self.person is not None:
            return f"{self.person.greeting}，{key}" if key else self.person.greeting
        return key or "已登录"

    @property
    def enterprise(self) -> bool:
        """Whether the session acts for an enterprise (its legal representative signed in)."""
        return isinstance(self.person, DemoEnterprise)

    @property
    def owner_kind(self) -> str:
        """The catalogue's subject kind of this owner: ``business`` or ``person``."""
        return "business" if self.enterprise else "person"


def get_caller(request: Request) -> Caller:
    """The signed-in owner (a key or, in development, a demo sign-in).

    Raises:
        NotSignedIn: No signed-in session (anonymous, or only enrolling).
    """
    session = current_session(request)
    if session.pseudonym is None or session.auth not in ("key", "demo"):
        raise NotSignedIn()
    return Caller(session, from_hex(session.pseudonym), session_owner(get_portal(request), session))


def session_owner(portal: Portal, session: PortalSession) -> DemoOwner | None:
    """Whom a signed-in session names: the demo identity, or the enterprise a key session acts
    for (None: a person signed in with their key).

    Raises:
        NotSignedIn: A demo session whose identity is no longer in the list.
    """
    if session.auth == "demo":
        person = portal.person(session.person_key)
        if person is None:
            raise NotSignedIn()
        return person
    if session.person_key is None and session.pseudonym is not None:
        # A key session that enrolled an enterprise's key: the enterprise, if registered.
        return portal.enterprise_of(from_hex(session.pseudonym))
    return portal.session_enterprise(session.person_key)


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
