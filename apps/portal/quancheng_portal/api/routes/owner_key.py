"""Attesting the browser's key: with an enrollment code (in development, any sign-in)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter

from quancheng.protocol.ids import hex32
from quancheng_portal.api.deps import BinderDep, CsrfDep, PortalDep
from quancheng_portal.api.schemas import KeyBindingOut, KeyIn, error_responses, unb64
from quancheng_portal.core.enrollment import EnrollmentCodes
from quancheng_portal.services.owners import key_proof_challenge

router = APIRouter(prefix="/api", tags=["session"])
_ERRORS = error_responses(400, 401, 403, 409, 410, 503)


@dataclass(frozen=True)
class _Claim:
    """The session's enrollment code, spent by the binding."""

    codes: EnrollmentCodes
    digest: str

    def claim(self, owner_key: str) -> None:
        self.codes.claim(self.digest, owner_key)

    def release(self) -> None:
        self.codes.release(self.digest)


@router.post("/owner/key", response_model=KeyBindingOut, responses=_ERRORS, dependencies=[CsrfDep])
def bind_key(body: KeyIn, portal: PortalDep, binder: BinderDep) -> KeyBindingOut:
    """Attest the browser's public key for the session's owner (once it proved possession),
    spending the session's enrollment code; the session is then signed in with that key and
    the owner's other sessions end."""
    claim = _Claim(portal.enrollment, binder.enrollment) if binder.enrollment else None
    binding = portal.owners.bind_key(
        pseudonym=binder.pseudonym,
        public_key=body.public_key,
        proof=unb64(body.proof, "proof"),
        challenge=key_proof_challenge(binder.session.token_digest),
        replace=body.replace,
        enrollment=claim,
    )
    if claim is not None:
        portal.sessions.promote(binder.session, owner_key=binding.public_key)
        portal.sessions.end_all(hex32(binder.pseudonym), keep=binder.session)
    return KeyBindingOut(
        public_key=binding.public_key, tx_hash=binding.tx_hash, rotated=binding.rotated
    )
