"""Who may use an officer service: the holder of the operator token.

The API takes it as ``Authorization: Bearer <token>`` (``{PREFIX}OPERATOR_TOKEN``). The pages
ask for it once (``/login``) and keep a session cookie derived from it (HMAC-SHA256, so the
cookie never carries the token; changing the token ends every session): ``HttpOnly``,
``SameSite=Strict``, ``Secure`` over HTTPS. Forms also carry a token derived the same way.
Plain HTTP is served only on loopback outside production (the serving layer refuses the rest).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from quancheng_appkit.officer.errors import Unauthenticated
from quancheng_appkit.officer.state import Officer

__all__ = ["SESSION_COOKIE", "OfficerDep", "OperatorDep", "derived", "get_officer"]

#: The pages' session cookie.
SESSION_COOKIE = "qc_officer"

_bearer = HTTPBearer(
    scheme_name="OperatorToken",
    description="The service's operator token (`QC_CLAIMS_OPERATOR_TOKEN` / "
    "`QC_CREDIT_OPERATOR_TOKEN`), as `Authorization: Bearer <token>`.",
    auto_error=False,
)


def get_officer(request: Request) -> Officer:
    officer: Officer = request.app.state.officer
    return officer


OfficerDep = Annotated[Officer, Depends(get_officer)]


def derived(token: str, purpose: str) -> str:
    """A value derived from the operator token for one purpose (session cookie, form token)."""
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def require_operator(
    officer: OfficerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> None:
    """Admit the holder of the operator token (401 ``UNAUTHENTICATED`` otherwise)."""
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), officer.settings.operator_token_value().encode()):
        raise Unauthenticated(prefix=officer.settings.prefix)


OperatorDep = Annotated[None, Depends(require_operator)]
