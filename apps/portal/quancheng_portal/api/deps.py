"""Dependencies of the routes: the portal, the session, the signed-in owner, CSRF."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from quancheng.protocol.ids import from_hex
from quancheng_portal.app_state import Portal
from quancheng_portal.core.errors import NotSignedIn
from quancheng_portal.core.people import DemoPerson
from quancheng_portal.core.sessions import check_csrf, current_session
from quancheng_portal.models import PortalSession

__all__ = ["Caller", "CallerDep", "CsrfDep", "PortalDep", "SessionDep"]


def get_portal(request: Request) -> Portal:
    portal = request.app.state.portal
    assert isinstance(portal, Portal)
    return portal


@dataclass(frozen=True)
class Caller:
    """The signed-in owner: who they are (to greet) and their pseudonym (to act)."""

    session: PortalSession
    person: DemoPerson
    pseudonym: bytes

    @property
    def pseudonym_hex(self) -> str:
        return "0x" + self.pseudonym.hex()


def get_caller(request: Request) -> Caller:
    """The signed-in owner.

    Raises:
        NotSignedIn: No signed-in session.
    """
    session = current_session(request)
    person = get_portal(request).person(session.person_key)
    if person is None or session.pseudonym is None:
        raise NotSignedIn()
    return Caller(session, person, from_hex(session.pseudonym))


PortalDep = Annotated[Portal, Depends(get_portal)]
SessionDep = Annotated[PortalSession, Depends(current_session)]
CallerDep = Annotated[Caller, Depends(get_caller)]
CsrfDep = Depends(check_csrf)
