"""The owner's access history: who read their data, when, why, and whether it verifies."""

from __future__ import annotations

from fastapi import APIRouter

from quancheng_portal.api.deps import CallerDep, CsrfDep, PortalDep
from quancheng_portal.api.schemas import RefreshOut, error_responses
from quancheng_portal.services.history import AccessView
from quancheng_portal.services.history_report import unreadable_names, unreadable_notice

router = APIRouter(prefix="/api/history", tags=["history"])
_ERRORS = error_responses(401, 403, 503)


@router.get("", response_model=list[AccessView], responses=_ERRORS)
def history(portal: PortalDep, caller: CallerDep) -> list[AccessView]:
    """Every access recorded so far, newest first (from the portal's cache)."""
    return portal.history.accesses(caller.pseudonym)


@router.post("/refresh", response_model=RefreshOut, responses=_ERRORS, dependencies=[CsrfDep])
def refresh(portal: PortalDep, caller: CallerDep) -> RefreshOut:
    """Read the gateways' receipt logs again and re-check receipts not yet anchored (the
    history page asks this when it opens; an owner's refreshes never overlap)."""
    report = portal.history.refresh(caller.pseudonym)
    return RefreshOut(
        new=report.new, rechecked=report.rechecked,
        unreadable_names=unreadable_names(report, portal.directory),
        notice=unreadable_notice(report, portal.directory),
    )  # fmt: skip
