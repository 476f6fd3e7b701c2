"""Refusals on the wire: the protocol's error body, for every route and every failure."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from quancheng.protocol import refusals as r
from quancheng_gateway.storage import is_unavailable, storage_refusal

__all__ = [
    "ErrorBody",
    "error_responses",
    "install_error_handlers",
    "refusal_response",
]

_log = logging.getLogger("quancheng_gateway.api")


class ErrorDetail(BaseModel):
    """One refusal: a stable code, a message and the facts it was judged on."""

    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    """Every refusal's body: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorDetail


def error_responses(*refusals: type[r.Refusal]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting the refusals a route can answer."""
    by_status: dict[int, list[str]] = {}
    for cls in refusals:
        by_status.setdefault(cls.status, []).append(cls.code)
    return {
        status: {"model": ErrorBody, "description": "Refused: " + ", ".join(sorted(codes))}
        for status, codes in sorted(by_status.items())
    }


def refusal_response(exc: r.Refusal) -> JSONResponse:
    return JSONResponse(exc.to_body(), status_code=exc.status)


def _validation_refusal(exc: RequestValidationError) -> r.MalformedRequest:
    errors = [
        {"loc": ".".join(str(p) for p in e.get("loc", ())), "msg": str(e.get("msg", ""))}
        for e in list(exc.errors())[:10]
    ]
    return r.MalformedRequest("the request is not well formed", errors=errors)


def install_error_handlers(app: FastAPI) -> None:
    """Map refusals and FastAPI's validation errors to the protocol body."""

    async def _refusal(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, r.Refusal)
        return refusal_response(exc)

    async def _invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        refusal = _validation_refusal(exc)
        hook = getattr(request.app.state, "on_refusal", None)
        if hook is not None:
            hook(request, refusal)
        return refusal_response(refusal)

    async def _http(_request: Request, exc: Exception) -> JSONResponse:
        # Starlette's own 404/405 (no route, wrong method) in the protocol's error shape.
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        body = {"error": {"code": code, "message": str(exc.detail), "details": {}}}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def _database(_request: Request, exc: Exception) -> JSONResponse:
        # Any route reading the database (receipts, batches): an unavailable database is a
        # typed, temporary refusal; any other database error stays a 500.
        if not is_unavailable(exc):
            raise exc
        _log.warning("request refused, database unavailable: %s", exc)
        return refusal_response(storage_refusal(exc))

    app.add_exception_handler(r.Refusal, _refusal)
    app.add_exception_handler(SQLAlchemyError, _database)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
