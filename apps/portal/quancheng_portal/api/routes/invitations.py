"""Invitations: consumers send and follow them (``/v1/invitations``), owners answer them
(``/api/invitations``). See docs/portal.md, "How a bank reaches an owner"."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from quancheng.protocol.reader_token import READER_HEADER
from quancheng.tls import channel_of_certificate
from quancheng_appkit.serving import peer_certificate
from quancheng_portal.api.deps import CallerDep, CsrfDep, PortalDep
from quancheng_portal.api.schemas import ActionIn, error_responses, unb64
from quancheng_portal.services.invitations import InvitationView

router = APIRouter(tags=["invitations"])
_CONSUMER_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 429, 503)
_OWNER_ERRORS = error_responses(400, 401, 403, 404, 409, 410, 503)
InvitationId = Annotated[str, Path(pattern=r"^0x[0-9a-f]{64}$")]


def _channel(request: Request) -> str | None:
    """The channel of the connection's verified TLS client certificate (None without one)."""
    der = peer_certificate(request.scope)
    return None if der is None else channel_of_certificate(der)


def _target(request: Request) -> str:
    """The path and query exactly as sent (what a reader token signs)."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string", b"")
    return bytes(raw).decode("latin-1") + ("?" + bytes(query).decode("latin-1") if query else "")


@router.post("/v1/invitations", status_code=202, responses=_CONSUMER_ERRORS)
async def invite(request: Request, portal: PortalDep) -> JSONResponse:
    """A consumer's signed invitation: ``{invitation, signature, subject: {id_number, salt}}``.

    Answered 202 with the same body whether or not the owner exists or is enrolled.
    """
    body = await request.body()
    row = await run_in_threadpool(portal.intake.receive, body, _channel(request))
    return JSONResponse(
        {"invitation_id": row.invitation_id, "status": "pending",
         "expires_at_ms": row.expires_at_ms, "authority": portal.authority.institution.code},
        status_code=202,
    )  # fmt: skip


@router.get("/v1/invitations/{invitation_id}", responses=_CONSUMER_ERRORS)
def invitation_status(
    invitation_id: InvitationId, request: Request, portal: PortalDep,
    token: Annotated[str | None, Header(alias=READER_HEADER)] = None,
) -> JSONResponse:  # fmt: skip
    """The invitation's status for the consumer that sent it (``pending``, ``accepted`` with
    the owner's pseudonym and signed acceptance, ``declined``, ``expired``); 404 to others."""
    status = portal.intake.status_for(
        invitation_id, token, target=_target(request), channel=_channel(request)
    )
    return JSONResponse(status, headers={"cache-control": "no-store"})


@router.get("/api/invitations", response_model=list[InvitationView], responses=_OWNER_ERRORS)
def list_invitations(portal: PortalDep, caller: CallerDep) -> list[InvitationView]:
    """The signed-in owner's invitations to answer, and accepted ones awaiting their request."""
    return portal.invitations.open_for(caller.pseudonym)


@router.get("/api/invitations/{invitation_id}/document", responses=_OWNER_ERRORS)
def invitation_document(
    invitation_id: InvitationId, portal: PortalDep, caller: CallerDep
) -> dict[str, str]:
    """The invitation exactly as the consumer signed it, its SM3 digest and the pseudonym the
    owner's acceptance names."""
    row = portal.invitations.document(caller.pseudonym, invitation_id)
    return {
        "invitation_id": row.invitation_id,
        "document": base64.b64encode(row.document.encode()).decode("ascii"),
        "digest": row.digest,
        "owner_pseudonym": row.owner_pseudonym,
    }


@router.post("/api/invitations/{invitation_id}/accept", response_model=InvitationView,
             responses=_OWNER_ERRORS, dependencies=[CsrfDep])  # fmt: skip
def accept(
    invitation_id: InvitationId, body: ActionIn, portal: PortalDep, caller: CallerDep
) -> InvitationView:
    """Accept: the owner's signature over the canonical ``quancheng.invitation-acceptance/1``."""
    return portal.invitations.accept(
        caller.pseudonym, invitation_id, unb64(body.document, "document"),
        unb64(body.signature, "signature"),
    )  # fmt: skip


@router.post("/api/invitations/{invitation_id}/decline", response_model=InvitationView,
             responses=_OWNER_ERRORS, dependencies=[CsrfDep])  # fmt: skip
def decline(invitation_id: InvitationId, portal: PortalDep, caller: CallerDep) -> InvitationView:
    """Decline (the consumer is told; leaving it unanswered tells it nothing)."""
    return portal.invitations.decline(caller.pseudonym, invitation_id)
