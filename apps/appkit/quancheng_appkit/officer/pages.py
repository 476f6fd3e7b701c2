"""The officer's pages, rendered on the server in Chinese: submit, list, one decision.

No script and nothing from elsewhere (the CSP says so); forms post back to the service. The
operator token is asked once (``/login``); the session cookie is derived from it
(:mod:`quancheng_appkit.officer.auth`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from quancheng_appkit.officer.api import SubmissionBase
from quancheng_appkit.officer.auth import SESSION_COOKIE, OfficerDep, derived
from quancheng_appkit.officer.errors import OfficerError
from quancheng_appkit.officer.runner import CaseKind
from quancheng_appkit.officer.state import Officer

__all__ = ["FormField", "form_fields", "mount_static", "router"]

router = APIRouter(include_in_schema=False)
_SESSION_HOURS = 8


@dataclass(frozen=True)
class FormField:
    """One input of a kind's form, from its model's JSON schema."""

    name: str
    label: str
    widget: str  # text, number, date, yesno, list
    required: bool
    default: Any


def form_fields(kind: CaseKind) -> list[FormField]:
    """The inputs of ``kind``'s model, in order, labelled for the officer."""
    schema = kind.model.model_json_schema()
    required = set(schema.get("required", ()))
    fields = []
    for name, prop in schema.get("properties", {}).items():
        kind_of = prop.get("type")
        widget = {"integer": "number", "boolean": "yesno", "array": "list"}.get(kind_of, "text")
        if prop.get("format") == "date":
            widget = "date"
        default = prop.get("default")
        if isinstance(default, list):
            default = "，".join(str(v) for v in default)
        label = kind.labels.get(name) or prop.get("description") or name
        fields.append(FormField(name, label, widget, name in required, default))
    return fields


def mount_static(app: FastAPI, directory: Path) -> None:
    """Serve the pages' stylesheet."""
    app.mount("/static", StaticFiles(directory=directory), name="static")


def _token(officer: Officer) -> str:
    return officer.settings.operator_token_value()


def _signed_in(request: Request, officer: Officer) -> bool:
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return bool(cookie) and cookie == derived(_token(officer), "session")


def _render(request: Request, officer: Officer, template: str, status: int = 200,
            **context: Any) -> HTMLResponse:  # fmt: skip
    base = {"title": officer.title, "institution": officer.institution,
            "csrf": derived(_token(officer), "form"), "kinds": officer.kinds}  # fmt: skip
    return officer.templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status
    )


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204)  # no icon; browsers ask anyway


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, officer: OfficerDep) -> HTMLResponse:
    return _render(request, officer, "login.html")


@router.post("/login")
async def login(request: Request, officer: OfficerDep) -> Response:
    form = await _form(request)
    if not hmac.compare_digest(form.get("token", "").encode(), _token(officer).encode()):
        return _render(
            request, officer, "login.html", 401, error="令牌不正确，请向系统管理员确认。"
        )
    response = RedirectResponse("/", 303)
    response.set_cookie(
        SESSION_COOKIE, derived(_token(officer), "session"), max_age=_SESSION_HOURS * 3600,
        httponly=True, samesite="strict", secure=officer.settings.serves_tls, path="/",
    )  # fmt: skip
    return response


@router.post("/logout")
async def logout(request: Request, officer: OfficerDep) -> Response:
    form = await _form(request)
    response = RedirectResponse("/login", 303)
    if form.get("csrf") == derived(_token(officer), "form"):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def cases_page(request: Request, officer: OfficerDep, offset: int = 0) -> Response:
    if not _signed_in(request, officer):
        return RedirectResponse("/login", 303)
    page = officer.runner.page(offset=max(0, offset), limit=20)
    return _render(request, officer, "list.html", page=page)


@router.get("/new", response_class=HTMLResponse)
def new_page(request: Request, officer: OfficerDep, kind: str | None = None) -> Response:
    if not _signed_in(request, officer):
        return RedirectResponse("/login", 303)
    chosen = officer.kinds.get(kind or "") or next(iter(officer.kinds.values()))
    return _render(request, officer, "new.html", kind=chosen, fields=form_fields(chosen),
                   values={})  # fmt: skip


@router.post("/new", response_class=HTMLResponse)
async def submit(request: Request, officer: OfficerDep) -> Response:
    if not _signed_in(request, officer):
        return RedirectResponse("/login", 303)
    form = await _form(request)
    kind = officer.kinds.get(form.get("kind", ""))
    if kind is None or form.get("csrf") != derived(_token(officer), "form"):
        return RedirectResponse("/new", 303)
    fields = form_fields(kind)
    try:
        inputs = kind.model.model_validate(_inputs(fields, form))
        source = SubmissionBase.model_validate(_grant_source(form))
        case = await run_in_threadpool(
            officer.runner.submit, kind.key, inputs, grant_id=source.grant_id, owner=source.owner
        )
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or '表单'}：{e['msg']}"
                    for e in exc.errors()]  # fmt: skip
        return _render(request, officer, "new.html", 422, kind=kind, fields=fields,
                       values=form, problems=problems)  # fmt: skip
    except OfficerError as exc:
        return _render(request, officer, "new.html", exc.status, kind=kind, fields=fields,
                       values=form, problems=[f"{exc.code}：{exc}"])  # fmt: skip
    return RedirectResponse(f"/cases/{case.id}", 303)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, officer: OfficerDep, case_id: int) -> Response:
    if not _signed_in(request, officer):
        return RedirectResponse("/login", 303)
    try:
        case = officer.runner.case(case_id)
    except OfficerError as exc:
        return _render(request, officer, "error.html", exc.status, error=exc)
    return _render(request, officer, "case.html", case=case)


def _inputs(fields: list[FormField], form: dict[str, str]) -> dict[str, Any]:
    """The model's inputs from the form: blanks left out (defaults apply), lists split."""
    inputs: dict[str, Any] = {}
    for f in fields:
        raw = form.get(f"f.{f.name}", "").strip()
        if not raw:
            continue
        if f.widget == "list":
            inputs[f.name] = [p.strip() for p in raw.replace("，", ",").split(",") if p.strip()]
        else:
            inputs[f.name] = raw
    return inputs


def _grant_source(form: dict[str, str]) -> dict[str, Any]:
    grant_id = form.get("grant_id", "").strip()
    pseudonym = form.get("owner_pseudonym", "").strip()
    source: dict[str, Any] = {}
    if grant_id:
        source["grant_id"] = grant_id
    if pseudonym:
        key = form.get("owner_key", "").strip()
        source["owner"] = {"pseudonym": pseudonym, "key": key or None}
    return source
