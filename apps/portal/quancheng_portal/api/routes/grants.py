"""The owner's grants: list them, fetch a document to sign, relay signed decisions."""

from __future__ import annotations

import base64
from typing import Literal

from fastapi import APIRouter, Query

from quancheng.authority import RelayReceipt
from quancheng.protocol import GrantAction
from quancheng.protocol.ids import hex32
from quancheng_portal.api.deps import Caller, CallerDep, CsrfDep, PortalDep
from quancheng_portal.api.schemas import (
    ActionIn,
    ApproveIn,
    DecisionOut,
    DocumentOut,
    error_responses,
    unb64,
)
from quancheng_portal.app_state import Portal
from quancheng_portal.core.errors import GrantRequestInvalid
from quancheng_portal.services.decisions import parse_grant_id
from quancheng_portal.services.grants import LIVE, PENDING, GrantView, owner_grants
from quancheng_portal.services.labels import STATUS_LABELS

router = APIRouter(prefix="/api/grants", tags=["grants"])
_ERRORS = error_responses(400, 401, 403, 404, 409, 503)


def grants_of(portal: Portal, caller: Caller, which: str) -> list[GrantView]:
    """The owner's grants: ``pending``, ``live`` (active or paused) or ``all`` (a request is
    judged against what the owner is: a person, or an enterprise)."""
    pseudonym = caller.pseudonym
    views = owner_grants(
        portal.contracts, portal.directory, pseudonym, portal.owners.attested_key(pseudonym),
        owner_kind=caller.owner_kind,
    )  # fmt: skip
    if which == "pending":
        return [v for v in views if v.status == PENDING]
    if which == "live":
        return [v for v in views if v.status in LIVE]
    return views


def _refuse_if_invalid(portal: Portal, caller: Caller, grant_id: str) -> None:
    """An owner's pending request that the catalogue or the term bounds refute is not relayed."""
    for view in grants_of(portal, caller, "pending"):
        if view.grant_id == grant_id and view.problems:
            raise GrantRequestInvalid(
                reason="；".join(p.message.rstrip("。") for p in view.problems),
                problems=[p.code for p in view.problems],
            )


def _decision(portal: Portal, relayed: RelayReceipt) -> DecisionOut:
    status = portal.contracts.grant_status(relayed.grant_id)
    return DecisionOut(
        grant_id=hex32(relayed.grant_id), action=relayed.action.value, status=status.name,
        status_label=STATUS_LABELS[status], tx_hash=relayed.tx_hash,
        block_number=relayed.block_number,
    )  # fmt: skip


@router.get("", response_model=list[GrantView], responses=_ERRORS)
def list_grants(
    portal: PortalDep, caller: CallerDep,
    state: Literal["pending", "live", "all"] = Query("all"),
) -> list[GrantView]:  # fmt: skip
    """The signed-in owner's grants, newest first."""
    return grants_of(portal, caller, state)


@router.get("/{grant_id}/document", response_model=DocumentOut, responses=_ERRORS)
def grant_document(grant_id: str, portal: PortalDep, caller: CallerDep) -> DocumentOut:
    """The grant document exactly as recorded, and the digest stored on chain."""
    gid = parse_grant_id(grant_id)
    request, record = portal.decisions.document(caller.pseudonym, gid)
    return DocumentOut(
        grant_id=hex32(gid),
        document=base64.b64encode(request.document_bytes).decode("ascii"),
        document_digest=hex32(record.document_digest),
    )


@router.post("/{grant_id}/approve", response_model=DecisionOut, responses=_ERRORS,
             dependencies=[CsrfDep])  # fmt: skip
def approve(grant_id: str, body: ApproveIn, portal: PortalDep, caller: CallerDep) -> DecisionOut:
    """Approve: relay the owner's signature over the grant document."""
    gid = parse_grant_id(grant_id)
    signature = unb64(body.signature, "signature")
    _refuse_if_invalid(portal, caller, hex32(gid))
    return _decision(portal, portal.decisions.approve(caller.pseudonym, gid, signature))


@router.post("/{grant_id}/{action}", response_model=DecisionOut, responses=_ERRORS,
             dependencies=[CsrfDep])  # fmt: skip
def act(
    grant_id: str, action: Literal["reject", "pause", "resume", "revoke"], body: ActionIn,
    portal: PortalDep, caller: CallerDep,
) -> DecisionOut:  # fmt: skip
    """Reject, pause, resume or revoke: relay the owner's signed action document."""
    gid = parse_grant_id(grant_id)
    relayed = portal.decisions.act(
        caller.pseudonym, gid, GrantAction(action), unb64(body.document, "document"),
        unb64(body.signature, "signature"),
    )  # fmt: skip
    return _decision(portal, relayed)
