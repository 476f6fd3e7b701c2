"""``POST /v1/query``: the verified query."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from quancheng.protocol import Answer
from quancheng.protocol import refusals as r
from quancheng_gateway.api.deps import GatewayDep, client_channel
from quancheng_gateway.api.errors import error_responses, refusal_response
from quancheng_gateway.api.openapi import query_body_schema
from quancheng_gateway.core.logging import get_logger
from quancheng_gateway.pipeline import parse_request
from quancheng_gateway.service import Gateway

router = APIRouter(tags=["query"])
_log = get_logger("quancheng_gateway.query")

QUERY_REFUSALS = tuple(
    r.refusal_class(code)
    for code in r.ALL_CODES
    if code not in ("UNKNOWN_RECEIPT", "RECEIPT_NOT_ANCHORED") and code not in r.READER_CODES
)


@router.post(
    "/v1/query",
    response_model=Answer,
    responses=error_responses(*QUERY_REFUSALS),
    summary="Answer a signed query under an on-chain grant",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": query_body_schema()}},
        }
    },
)
async def query(request: Request, gateway: GatewayDep) -> Response:
    """Check against the chain view, read only granted data, commit the receipt, answer."""
    return await answer_query(request, gateway)


async def answer_query(request: Request, gateway: Gateway) -> Response:
    """The query's handling, shared by the route above and :class:`QueryFastPath`."""
    started = time.perf_counter()
    try:
        _check_content_type(request.headers.get("content-type"))
        signed = parse_request(await request.body())
    except r.Refusal as exc:
        _record(gateway, None, None, None, exc.code, started)
        return refusal_response(exc)
    req = signed.request
    try:
        body = await gateway.answer(signed, channel=client_channel(request))
    except r.Refusal as exc:
        _record(gateway, req.request_id, req.consumer, req.resource, exc.code, started)
        return refusal_response(exc)
    except Exception:
        _log.exception("query failed", request_id=req.request_id)
        exc2 = r.InternalError()
        _record(gateway, req.request_id, req.consumer, req.resource, exc2.code, started)
        return refusal_response(exc2)
    _record(gateway, req.request_id, req.consumer, req.resource, "OK", started)
    return Response(body, media_type="application/json")


class QueryFastPath:
    """``POST /v1/query`` answered straight from ASGI, everything else passed to the app.

    The route above stays what OpenAPI describes (and what serves the query when this
    layer is not installed); this layer only skips Starlette's routing and FastAPI's
    dependency solving for the one route every query takes. It sits inside the body and
    per-client bounds, so those apply to it unchanged.
    """

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app, self.gateway = app, gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != "/v1/query"
            or scope["method"] != "POST"
            or scope.get("root_path")
        ):
            return await self.app(scope, receive, send)
        try:
            response = await answer_query(Request(scope, receive), self.gateway)
        except ClientDisconnect:
            return None
        await response(scope, receive, send)
        return None


def _check_content_type(value: str | None) -> None:
    """Only JSON (or no declared type) is a query; forms and text are refused."""
    if value is None:
        return
    media = value.split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise r.MalformedRequest(
            "a query is a JSON body (Content-Type: application/json)", content_type=media[:100]
        )


def _record(
    gateway: Gateway,
    request_id: str | None,
    consumer: str | None,
    resource: str | None,
    outcome: str,
    started: float,
) -> None:
    elapsed = time.perf_counter() - started
    gateway.metrics.observe(outcome, elapsed)
    if gateway.settings.log_queries:
        _log.info(
            "query",
            request_id=request_id,
            consumer=consumer,
            resource=resource,
            outcome=outcome,
            ms=round(elapsed * 1000, 2),
        )
