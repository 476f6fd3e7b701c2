"""ASGI middlewares bounding what one request may cost: its body and its client's share.

Both answer with the services' error body ``{"error": {"code", "message", "details"}}`` and
``connection: close``: a client over a bound gets no further use of the connection.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "ClientConcurrencyLimit", "limit_response"]


def limit_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **details: Any
) -> JSONResponse:
    """A refusal for a bound exceeded, closing the connection."""
    body = {"error": {"code": code, "message": message, "details": details}}
    headers = {"connection": "close", **(headers or {})}
    return JSONResponse(body, status_code=status, headers=headers)


class BodyLimit:
    """413 ``REQUEST_TOO_LARGE`` for a body over ``max_bytes``, on every route and method.

    A declared ``content-length`` over the limit is refused before anything is read; a body
    without one (chunked) is counted as the app reads it and refused at the first byte over.
    A request whose client is gone before its body is in ends quietly.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                return await self._refusal(int(value))(scope, receive, send)
        seen, started, refused = 0, False, False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    if not started:  # answered here: whatever the app makes of it is dropped
                        refused = True
                        await self._refusal(seen)(scope, receive, send)
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        # _TooLarge: answered 413 (or, once an answer had begun, the connection is cut).
        # ClientDisconnect: the client left, or was cut off by the body deadline, before its
        # body was in: there is no one to answer, and nothing worth a traceback in the log.
        with contextlib.suppress(_TooLarge, ClientDisconnect):
            await self.app(scope, counted, guarded)

    def _refusal(self, size: int) -> JSONResponse:
        message = f"the request body exceeds {self.max_bytes} bytes"
        return limit_response(
            413, "REQUEST_TOO_LARGE", message, max_bytes=self.max_bytes, size=size
        )


class _TooLarge(Exception):
    """Stops the app reading a body over the limit."""


class ClientConcurrencyLimit:
    """429 ``TOO_MANY_CONCURRENT_REQUESTS`` beyond ``max_in_flight`` requests of one client.

    The client is ``scope["client"]``: the peer address, or the address a trusted proxy names
    in ``X-Forwarded-For`` (uvicorn's ``forwarded_allow_ips``). Counts are per process.
    """

    def __init__(self, app: ASGIApp, max_in_flight: int) -> None:
        self.app, self.max_in_flight = app, max_in_flight
        self._in_flight: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or not client:
            return await self.app(scope, receive, send)
        host = str(client[0])
        if self._in_flight[host] >= self.max_in_flight:
            message = f"more than {self.max_in_flight} requests in flight from {host}"
            refusal = limit_response(
                429, "TOO_MANY_CONCURRENT_REQUESTS", message, {"retry-after": "1"},
                max_in_flight=self.max_in_flight,
            )  # fmt: skip
            return await refusal(scope, receive, send)
        self._in_flight[host] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self._in_flight[host] -= 1
            if not self._in_flight[host]:
                del self._in_flight[host]
