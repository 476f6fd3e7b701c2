"""The pages, rendered on the server in plain Chinese (a little JavaScript signs in the browser)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from quancheng.crypto import SM2PublicKey
from quancheng.protocol import GrantMode, Purpose
from quancheng_portal.api.deps import Caller, CallerDep, PortalDep, SessionDep, get_caller
from quancheng_portal.api.routes.grants import grants_of
from quancheng_portal.api.routes.session import key_slot
from quancheng_portal.app_state import Portal
from quancheng_portal.core.errors import NotSignedIn
from quancheng_portal.models import PortalSession
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.grants import LIVE, GrantView
from quancheng_portal.services.labels import MODE_LABELS, tier_label, tier_warning

router = APIRouter(include_in_schema=False)

#: Labels the browser needs to show a document it is about to sign (one source: the server).
_LABELS = json.dumps(
    {
        "purposes": {str(int(p)): tier_label(p) for p in Purpose},
        "tier_warnings": {str(int(p)): w for p in Purpose if (w := tier_warning(p))},
        "modes": {m.value: MODE_LABELS[m] for m in GrantMode},
    },
    ensure_ascii=False,
).replace("<", "\\u003c")


def _script_json(value: Any) -> str:
    """JSON to embed in a ``<script type="application/json">`` (no ``<`` to end it early)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def _names_json(directory: Directory, grants: list[GrantView]) -> str:
    """The Chinese names the approve dialog shows beside the codes of the signed document:
    institutions, and each resource's title, provider and field / indicator labels."""
    institutions: dict[str, str] = {}
    resources: dict[str, dict[str, Any]] = {}
    for g in grants:
        if (consumer := directory.institution(g.consumer)).label:
            institutions[g.consumer] = consumer.label
        for item in g.scope:
            info = directory.resource(item.resource)
            resources[item.resource] = {
                "title": directory.resource_name(item.resource).label,
                "provider": directory.institution(info.provider).label if info.provider else None,
                "fields": dict(info.field_labels),
                "indicators": dict(info.indicator_labels),
            }
    return _script_json({"institutions": institutions, "resources": resources})


def _render(
    request: Request, portal: Portal, session: PortalSession, caller: Caller | None,
    template: str, page: str, title: str, **context: Any,
) -> HTMLResponse:  # fmt: skip
    attested = portal.owners.attested_key(caller.pseudonym) if caller else None
    base = {
        "request": request, "csrf_token": session.csrf_token, "caller": caller, "page": page,
        "title": title, "labels_json": _LABELS, "attested_key": attested,
        "key_slot": key_slot(caller.pseudonym) if caller else None, "names": portal.directory,
    }  # fmt: skip
    response = portal.templates.TemplateResponse(request, template, {**base, **context})
    response.headers["cache-control"] = "no-store"
    return response


def _optional_caller(request: Request) -> Caller | None:
    try:
        return get_caller(request)
    except NotSignedIn:
        return None


@router.get("/")
def index(request: Request) -> Response:
    return RedirectResponse("/requests" if _optional_caller(request) else "/login", 303)


@router.get("/login", response_class=HTMLResponse)
def login(request: Request, portal: PortalDep, session: SessionDep) -> HTMLResponse:
    return _render(request, portal, session, _optional_caller(request), "login.html", "login",
                   "登录", people=portal.people, demo=portal.settings.demo_identities,
                   enterprises=portal.enterprises if portal.settings.demo_identities else (),
                   code_minutes=portal.settings.enrollment_code_ttl_s // 60)  # fmt: skip


@router.get("/enroll", response_class=HTMLResponse)
def enroll_page(request: Request, portal: PortalDep, session: SessionDep) -> HTMLResponse:
    minutes = portal.settings.enrollment_code_ttl_s // 60
    return _render(request, portal, session, _optional_caller(request), "enroll.html", "enroll",
                   "输入开通码", code_minutes=minutes)  # fmt: skip


@router.get("/requests", response_class=HTMLResponse)
def requests_page(request: Request, portal: PortalDep, caller: CallerDep) -> HTMLResponse:
    grants = grants_of(portal, caller, "pending")
    return _render(request, portal, caller.session, caller, "requests.html", "requests",
                   "待处理的授权请求", grants=grants,
                   names_json=_names_json(portal.directory, grants),
                   invitations=portal.invitations.open_for(caller.pseudonym),
                   invited=portal.invitations.links(caller.pseudonym, grants))  # fmt: skip


@router.get("/grants", response_class=HTMLResponse)
def grants_page(request: Request, portal: PortalDep, caller: CallerDep) -> HTMLResponse:
    views = grants_of(portal, caller, "all")
    live = [v for v in views if v.status in LIVE]
    # Revoked, expired, used up and rejected grants stay in view, under 过去的授权.
    past = [v for v in views if v.status not in LIVE and v.status != "PENDING"]
    return _render(request, portal, caller.session, caller, "grants.html", "grants", "我的授权",
                   live=live, past=past)  # fmt: skip


@router.get("/history", response_class=HTMLResponse)
def history_page(request: Request, portal: PortalDep, caller: CallerDep) -> HTMLResponse:
    # What the portal holds so far; the page's script then refreshes it from the gateways
    # (POST /api/history/refresh) and shows this list again, current.
    accesses = portal.history.accesses(caller.pseudonym)
    return _render(request, portal, caller.session, caller, "history.html", "history", "访问记录",
                   accesses=accesses)  # fmt: skip


@router.get("/key", response_class=HTMLResponse)
def key_page(request: Request, portal: PortalDep, caller: CallerDep) -> HTMLResponse:
    attested = portal.owners.attested_key(caller.pseudonym)
    fingerprint = None
    if attested:
        fp = SM2PublicKey.from_bytes(bytes.fromhex(attested[2:])).fingerprint()
        fingerprint = " ".join(fp[i : i + 4] for i in range(0, 32, 4))
    history = portal.owners.key_history(caller.pseudonym)
    sessions = portal.sessions.live_count(caller.pseudonym_hex)
    return _render(request, portal, caller.session, caller, "key.html", "key", "我的密钥",
                   attested_fingerprint=fingerprint, key_history=history, sessions=sessions,
                   enrollment_required=not portal.settings.demo_identities,
                   idle_minutes=portal.settings.session_idle_s // 60,
                   ttl_minutes=portal.settings.session_ttl_s // 60)  # fmt: skip
