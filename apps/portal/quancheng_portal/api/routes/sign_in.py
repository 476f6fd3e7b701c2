"""Signing in with the key bound on chain, and entering an enrollment code."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from quancheng.protocol.ids import hex32
from quancheng_portal.api.deps import CsrfDep, PortalDep, SessionDep, client_buckets
from quancheng_portal.api.routes.session import session_out
from quancheng_portal.api.schemas import (
    ChallengeOut,
    EnrollIn,
    KeySignInIn,
    SessionOut,
    error_responses,
    unb64,
)
from quancheng_portal.core.enterprises import ENTERPRISE_PREFIX
from quancheng_portal.services.sign_in import SIGN_IN_TYPE

router = APIRouter(prefix="/api", tags=["sign-in"])
_ERRORS = error_responses(400, 401, 403, 409, 410, 429, 503)
_log = logging.getLogger("quancheng_portal.auth")


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


@router.post("/sign-in/challenge", response_model=ChallengeOut, responses=_ERRORS,
             dependencies=[CsrfDep])  # fmt: skip
def sign_in_challenge(request: Request, portal: PortalDep, session: SessionDep) -> ChallengeOut:
    """A fresh single-use challenge for this session to sign (replaces any earlier one)."""
    challenge, expires_at = portal.sign_in.challenge(session)
    return ChallengeOut(
        challenge=challenge, expires_at=expires_at, origin=_origin(request), type=SIGN_IN_TYPE
    )


@router.post("/sign-in", response_model=SessionOut, responses=_ERRORS, dependencies=[CsrfDep])
def sign_in(body: KeySignInIn, request: Request, portal: PortalDep,
            session: SessionDep) -> SessionOut:  # fmt: skip
    """Sign in with a signature over this session's challenge by the key bound on chain now
    (a new session: new cookie and CSRF token)."""
    with portal.limiter.attempt(client_buckets(request, session)):
        signed = portal.sign_in.verify(
            session, challenge=body.challenge, owner_key=body.owner_key,
            signature=unb64(body.signature, "signature"), origin=body.origin,
            expected_origin=_origin(request), uscc=body.uscc,
            enterprises=portal.enterprise_pseudonyms,
        )  # fmt: skip
    token, row = portal.sessions.create(
        auth="key", pseudonym=hex32(signed.pseudonym), owner_key=signed.owner_key,
        person_key=ENTERPRISE_PREFIX + signed.uscc if signed.uscc else None, replacing=session,
    )  # fmt: skip
    request.state.new_token = token
    _log.info("signed in with key: owner %s…", row.pseudonym and row.pseudonym[:12])
    return session_out(portal, row)


@router.post("/enroll", response_model=SessionOut, responses=_ERRORS, dependencies=[CsrfDep])
def enroll(body: EnrollIn, request: Request, portal: PortalDep, session: SessionDep) -> SessionOut:
    """Enter an enrollment code: a new session that may bind one key for the code's owner
    (the code is spent when the key is attested)."""
    with portal.limiter.attempt(client_buckets(request, session)):
        code = portal.enrollment.check(body.code)
    token, row = portal.sessions.create(
        auth="enrolling", pseudonym=code.pseudonym, enrollment=code.code_digest,
        replacing=session,
    )  # fmt: skip
    request.state.new_token = token
    _log.info("enrollment code entered: owner %s…", code.pseudonym[:12])
    return session_out(portal, row)
