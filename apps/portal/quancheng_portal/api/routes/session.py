"""Sign-in (the real-name check's result), sign-out, and attesting the browser's key."""

from __future__ import annotations

from fastapi import APIRouter, Request

from quancheng.crypto import sm3
from quancheng.protocol.ids import from_hex, hex32
from quancheng_portal.api.deps import CallerDep, CsrfDep, PortalDep, SessionDep
from quancheng_portal.api.schemas import (
    KeyBindingOut,
    KeyIn,
    SessionOut,
    SignInIn,
    error_responses,
    unb64,
)
from quancheng_portal.app_state import Portal
from quancheng_portal.core.errors import UnknownPerson
from quancheng_portal.models import PortalSession
from quancheng_portal.services.owners import key_proof_challenge

router = APIRouter(prefix="/api", tags=["session"])
_ERRORS = error_responses(400, 401, 403, 404, 409, 503)


def key_slot(pseudonym: bytes) -> str:
    """Where the browser keeps the owner's key: not the pseudonym itself, nor the ID."""
    return sm3(b"quancheng/portal/key-slot/v1\x00" + pseudonym).hex()[:32]


def session_out(portal: Portal, session: PortalSession) -> SessionOut:
    person = portal.person(session.person_key)
    if person is None or session.pseudonym is None:
        return SessionOut(signed_in=False, csrf_token=session.csrf_token)
    pseudonym = from_hex(session.pseudonym)
    return SessionOut(
        signed_in=True, name=person.name, masked_id=person.masked_id,
        key_slot=key_slot(pseudonym), attested_key=portal.owners.attested_key(pseudonym),
        key_challenge=key_proof_challenge(session.token_digest), csrf_token=session.csrf_token,
    )  # fmt: skip


@router.get("/session", response_model=SessionOut, responses=_ERRORS)
def get_session(portal: PortalDep, session: SessionDep) -> SessionOut:
    """Who is signed in, and their key as attested on chain."""
    return session_out(portal, session)


@router.post("/session", response_model=SessionOut, responses=_ERRORS, dependencies=[CsrfDep])
def sign_in(body: SignInIn, request: Request, portal: PortalDep, session: SessionDep) -> SessionOut:
    """Sign in as the person the real-name check returned (a new session: new cookie)."""
    person = portal.person(body.person)
    if person is None:
        raise UnknownPerson(person=body.person)
    pseudonym = hex32(portal.owners.pseudonym_of(person))
    token, row = portal.sessions.create(
        person_key=person.key, pseudonym=pseudonym, replacing=session
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


@router.post("/owner/key", response_model=KeyBindingOut, responses=_ERRORS, dependencies=[CsrfDep])
def bind_key(body: KeyIn, portal: PortalDep, caller: CallerDep) -> KeyBindingOut:
    """Attest the browser's public key for the signed-in owner (once it proved possession)."""
    binding = portal.owners.bind_key(
        person=caller.person,
        pseudonym=caller.pseudonym,
        public_key=body.public_key,
        proof=unb64(body.proof, "proof"),
        challenge=key_proof_challenge(caller.session.token_digest),
        replace=body.replace,
    )
    return KeyBindingOut(
        public_key=binding.public_key, tx_hash=binding.tx_hash, rotated=binding.rotated
    )
