"""Health of the portal: its database and its view of the chain."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from quancheng_portal.api.deps import PortalDep

router = APIRouter(tags=["meta"])


@router.get(
    "/healthz", responses={503: {"description": "The chain or the database is unreachable"}}
)
def healthz(portal: PortalDep) -> Any:
    """200 when the chain answers and the database opens; 503 otherwise."""
    health: dict[str, Any] = {"ok": True, "authority": portal.authority.institution.code}
    try:
        health["block"] = int(portal.contracts.w3.eth.block_number)
    except Exception as exc:  # any transport failure: report, do not raise
        health.update(ok=False, chain_error=type(exc).__name__)
    try:
        with portal.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        health.update(ok=False, database_error=type(exc).__name__)
    return JSONResponse(health, status_code=200 if health["ok"] else 503)
