"""The session: who is signed in, sign-out (here or everywhere), and development's demo sign-in."""

from __future__ import annotations

from fastapi import APIRouter, Request

from quancheng.crypto import sm3
from quancheng.protocol.ids import from_hex, hex32
from quancheng_portal.api.deps import (
    Caller,
    CallerDep,
    CsrfDep,
    PortalDep,
    SessionDep,
    session_owner,
)
from quancheng_portal.api.schemas import SessionOut, SignInIn, error_responses
from quancheng_portal.app_state import Portal
from quancheng_portal.core.enterprises import DemoEnterprise
from quancheng_portal.core.errors import DemoSignInDisabled, NotSignedIn, UnknownPerson
from quancheng_portal.models import PortalSession
from quancheng_portal.services.owners import key_proof_challenge

router = APIRouter(prefix="/api", tags=["session"])
_ERRORS = error_responses(400, 401, 403, 404, 409, 503)


def key_slot(pseudonym: bytes) -> str:
    """Where the browser keeps the owner's key: not the pseudonym itself, nor the ID."""
    return sm3(b"quancheng/portal/key-slot/v1\x00" + pseudonym).hex()[:32]


def session_out(portal: Portal, session: PortalSession) -> SessionOut:
    anonymous = SessionOut(signed_in=False, csrf_token=session.csrf_token)
    if session.pseudonym is None or session.auth is None:
        return anonymous
    try:
        person = session_owner(portal, session)
    except NotSignedIn:
        return anonymous
    pseudonym = from_hex(session.pseudonym)
    signed_in = session.auth in ("key", "demo")
    caller = Caller(session, pseudonym, person)
    return SessionOut(
        signed_in=signed_in, auth=session.auth,
        name=person.name if person else None, masked_id=person.masked_id if person else None,
        greeting=caller.greeting if signed_in else None,
        enterprise=caller.enterprise,
        legal_rep=person.legal_rep if isinstance(person, DemoEnterprise) else None,
        key_slot=key_slot(pseudonym),
        attested_key=portal.owners.attested_key(pseudonym),
        key_challenge=key_proof_challenge(session.token_digest), csrf_token=session.csrf_token,
    )  # fmt: skip


@router.get("/session", response_model=SessionOut, responses=_ERRORS)
def get_session(portal: PortalDep, session: SessionDep) -> SessionOut:
    """Who is signed in (or enrolling), and their key as attested on chain."""
    return session_out(portal, session)


@router.post("/session", response_model=SessionOut, responses=_ERRORS, dependencies=[CsrfDep])
def demo_sign_in(
    body: SignInIn, request: Request, portal: PortalDep, session: SessionDep
) -> SessionOut:
    """Development only: sign in as a demo person or enterprise (a new session: new cookie)."""
    if not portal.settings.demo_identities:
        raise DemoSignInDisabled()
    person = portal.person(body.person)
    if person is None:
        raise UnknownPerson(person=body.person)
    pseudonym = hex32(portal.owners.pseudonym_of(person))
    token, row = portal.sessions.create(
        auth="demo", person_key=person.key, pseudonym=pseudonym, replacing=session
    )
    request.state.new_token = token
    return session_out(portal, row)


@router.post(
    "/session/logout", response_model=SessionOut, responses=_ERRORS, dependencies=[CsrfDep]
)
def sign_out(request: Request, portal: PortalDep, session: SessionDep) -> SessionOut:
    """End the session (the browser keeps the owner's key)."""
    token, row = portal.sessions.create(replacing=session)
    request.state.new_token = token
    return SessionOut(signed_in=False, csrf_token=row.csrf_token)


@router.post(
    "/session/logout-all", response_model=SessionOut, responses=_ERRORS, dependencies=[CsrfDep]
)
def sign_out_everywhere(request: Request, portal: PortalDep, caller: CallerDep) -> SessionOut:
    """End every session of the signed-in owner, on every device (this one included)."""
    ended = portal.sessions.end_all(hex32(caller.pseudonym))
    token, row = portal.sessions.create(replacing=caller.session)
    request.state.new_token = token
    return SessionOut(signed_in=False, csrf_token=row.csrf_token, sessions_ended=ended)
