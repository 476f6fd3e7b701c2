"""uvicorn's httptools protocol with the read deadlines and header caps uvicorn lacks.

uvicorn (0.54) bounds the idle time between two requests (``timeout_keep_alive``) but not the
time a client takes to send one: its keep-alive timer is cancelled by every byte received,
and none runs before the first request, so a client that sends its headers or its body a
byte at a time, or nothing at all, holds a connection forever (uvicorn issue #157,
"--timeout-request-start" / "--timeout-request-complete", still open). Its httptools parser
also takes headers of any size and number (h11's ``h11_max_incomplete_event_size`` bounds
header bytes, with a 400). An ASGI middleware only sees a request once its headers are in,
so these bounds live here, in the protocol that reads the socket:

* headers: a deadline from the connection's opening (or the first byte of a keep-alive
  request) to the end of the headers; then 408 and close (a connection that sent nothing is
  closed without an answer, as an idle keep-alive connection is);
* body: a deadline from the end of the headers to the end of the body; then 408 and close
  (or just close once the answer has begun);
* header bytes and header count: 431 and close;
* requests per connection: the last answer says ``connection: close``.

Over TLS it also puts the connection's TLS facts (the client's verified certificate, the
protocol version, the cipher suite) in every request's scope as the ASGI TLS extension
(``scope["extensions"]["tls"]``, :func:`~quancheng_appkit.serving.tls.connection_tls`),
which uvicorn does not fill.

Refusals use the services' error body ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from quancheng_appkit.serving.settings import ConnectionLimits
from quancheng_appkit.serving.tls import connection_tls

__all__ = ["BoundedConfig", "BoundedHttpToolsProtocol"]


class BoundedConfig(Config):
    """A uvicorn ``Config`` serving with :class:`BoundedHttpToolsProtocol` under ``limits``.

    The limits travel with the config, so worker processes (which receive it pickled) apply
    them too.
    """

    def __init__(self, app: Any, *, limits: ConnectionLimits, **options: Any) -> None:
        super().__init__(app, http=BoundedHttpToolsProtocol, **options)
        self.connection_limits = limits


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing a head over its bounds."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """One HTTP/1.1 connection, read within :class:`ConnectionLimits`."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits: ConnectionLimits = getattr(config, "connection_limits", ConnectionLimits())
        self._deadline: asyncio.TimerHandle | None = None
        self._reading_head = True
        self._head_bytes = 0  # bytes received while this head is incomplete
        self._head_size = 0  # request target and header fields, as parsed
        self._header_count = 0
        self._too_large = ""
        self._requests = 0
        self._tls: dict[str, Any] | None = None  # the ASGI TLS extension, per connection

    # ----------------------------------------------------------------- the connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # The handshake is over when the protocol is told of the connection.
        self._tls = connection_tls(transport.get_extra_info("ssl_object"))
        self._arm(self.limits.header_timeout_s, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, but for the head's deadline and size, and a parser error raised by
        # our head checks, which is answered 431 rather than uvicorn's 400.
        if self._reading_head:
            if self._deadline is None:  # the first byte of a keep-alive request
                self._arm(self.limits.header_timeout_s, self._head_timed_out)
            self._head_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if not self._too_large:  # not our callbacks stopping a head over its bounds
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
                return
        if self._too_large or (
            self._reading_head and self._head_bytes > self.limits.max_header_bytes
        ):
            self._refuse_head()

    # ---------------------------------------------------------------- parser callbacks

    def on_message_begin(self) -> None:
        self._head_size, self._header_count, self._too_large = 0, 0, ""
        super().on_message_begin()
        if self._tls is not None:  # a copy per request: an app may change its scope
            extensions: dict[str, Any] = dict(self.scope.get("extensions") or {})
            chain = list(self._tls["client_cert_chain"])
            extensions["tls"] = {**self._tls, "client_cert_chain": chain}
            self.scope["extensions"] = extensions

    def on_url(self, url: bytes) -> None:
        self._head_size += len(url)
        self._check_head()
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        self._header_count += 1
        self._check_head()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._disarm()
        super().on_headers_complete()
        self._requests += 1
        if self._requests >= self.limits.max_requests_per_connection and self.cycle is not None:
            self.cycle.keep_alive = False
        self._arm(self.limits.body_timeout_s, self._body_timed_out)

    def on_message_complete(self) -> None:
        self._disarm()
        self._reading_head, self._head_bytes = True, 0
        super().on_message_complete()

    # ------------------------------------------------------------------------- bounds

    def _check_head(self) -> None:
        limits = self.limits
        if self._head_size > limits.max_header_bytes:
            self._too_large = f"headers exceed {limits.max_header_bytes} bytes"
        elif self._header_count > limits.max_header_count:
            self._too_large = f"more than {limits.max_header_count} header fields"
        if self._too_large:
            raise _HeadTooLarge(self._too_large)  # httptools stops parsing and re-raises

    def _refuse_head(self) -> None:
        if self.transport.is_closing():
            return
        reason = self._too_large or f"headers exceed {self.limits.max_header_bytes} bytes"
        limits = {"max_bytes": self.limits.max_header_bytes,
                  "max_fields": self.limits.max_header_count}  # fmt: skip
        self._refuse(431, "HEADERS_TOO_LARGE", reason, limits)

    def _head_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # a pipelined head: close once the answer is out
        elif self._head_bytes == 0:
            self.transport.close()  # nothing asked: nothing to answer
        else:
            timeout = self.limits.header_timeout_s
            message = f"headers not received within {timeout} s"
            self._refuse(408, "REQUEST_TIMEOUT", message, {"timeout_s": timeout})

    def _body_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_started:
            timeout = self.limits.body_timeout_s
            message = f"body not received within {timeout} s"
            self._refuse(408, "REQUEST_TIMEOUT", message, {"timeout_s": timeout})
        else:
            self.transport.close()

    def _refuse(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        """Answer ``status`` and close; the app, if running, is told the client is gone."""
        self.logger.info("%s refused %d %s: %s", self.client, status, code, message)
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # its later answer is dropped
            self.cycle.message_event.set()
        error = {"error": {"code": code, "message": message, "details": details}}
        body = json.dumps(error).encode()
        defaults = self.server_state.default_headers
        head = [STATUS_LINE[status]]
        head += [name + b": " + value + b"\r\n" for name, value in defaults]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()

    def _arm(self, seconds: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
