"""HTTP to provider gateways: keep-alive, timeouts, bounded retries, typed refusals.

Only transport failures that happen before an answer arrives (connection refused, reset,
dropped without a response, connect timeout) are retried, and always with the very same body
bytes: a query is signed once, so a retry can never become a second use (the gateway refuses
a request id it has seen). Read timeouts are not retried: the gateway may still be working on
the request. Any non-200 answer becomes the protocol's typed refusal
(:func:`quancheng.protocol.refusals.refusal_from_body`), e.g. ``GrantRevoked``.

Every exchange is bounded (:mod:`quancheng.http_bounds`): the answer is read up to
``max_body`` bytes (:class:`ResponseTooLarge`) and within ``deadline_s``
(:class:`ResponseTooSlow`), a redirect is never followed (:class:`RedirectRefused`), and with
``endpoints`` (e.g. :class:`~quancheng.http_bounds.CatalogueEndpoints`) a URL outside the
catalogue's endpoints is refused before it is sent (:class:`EndpointNotAllowed`).

With ``tls`` (:class:`quancheng.tls.TlsConfig`) a client trusts only the consortium's CA
bundle for gateways' certificates and presents the member's client certificate.

The sync :class:`GatewayClient` and the async :class:`AsyncGatewayClient` behave alike.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from quancheng._util import ArgumentError
from quancheng.errors import GatewayError
from quancheng.http_bounds import (
    EndpointNotAllowed,
    EndpointPolicy,
    ReadBounds,
    RedirectRefused,
    ResponseTooLarge,
    ResponseTooSlow,
    aread_bounded,
    read_bounded,
)
from quancheng.log_reader import LogReader, with_query
from quancheng.protocol.refusals import refusal_from_body
from quancheng.tls import TlsConfig

__all__ = [
    "DEFAULT_DEADLINE_S",
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "MAX_BODY_BYTES",
    "AsyncGatewayClient",
    "EndpointNotAllowed",
    "GatewayClient",
    "GatewayTimeout",
    "GatewayUnavailable",
    "RedirectRefused",
    "ResponseTooLarge",
    "ResponseTooSlow",
    "RetryPolicy",
    "proof_url",
    "query_url",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=16, keepalive_expiry=30)
#: Answers larger than this are refused unread (a gateway answers one subject's fields).
MAX_BODY_BYTES = 8 * 1024 * 1024
#: Longest exchange, from sending to the answer's last byte (one attempt).
DEFAULT_DEADLINE_S = 60.0
_HEADERS = {
    "content-type": "application/json",
    "accept": "application/json",
    "user-agent": "quancheng-sdk",
}
#: Failures where the request was not answered: safe to resend the same signed bytes.
_RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadError, httpx.WriteError,
              httpx.RemoteProtocolError)  # fmt: skip


def _tls_refused(exc: BaseException) -> bool:
    """Whether a connection failed on the TLS handshake's verdict (a certificate refused)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached, or dropped the connection, after every attempt.

    Attributes:
        url: The URL tried.
        attempts: How many times it was tried.
        reason: The last transport error.
    """

    code = "GATEWAY_UNAVAILABLE"

    def __init__(self, url: str, attempts: int, reason: str) -> None:
        self.url, self.attempts, self.reason = url, attempts, reason
        super().__init__(f"gateway {url} unavailable after {attempts} attempt(s): {reason}")


class GatewayTimeout(GatewayUnavailable):
    """The gateway took too long to answer (not retried: it may have served the request)."""

    code = "GATEWAY_TIMEOUT"


@dataclass(frozen=True)
class RetryPolicy:
    """How often to resend after a connection failure.

    Attributes:
        attempts: Total attempts (1 disables retries).
        backoff: Seconds before the first retry, doubled after each, up to ``max_backoff``.
        max_backoff: Longest pause between attempts.
    """

    attempts: int = 3
    backoff: float = 0.1
    max_backoff: float = 2.0

    def pause(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.backoff * 2 ** (attempt - 1), self.max_backoff))


def query_url(endpoint: str) -> str:
    """``{endpoint}/v1/query``.

    Raises:
        ArgumentError: If the endpoint is not an absolute http(s) URL.
    """
    return _base(endpoint) + "/v1/query"


def proof_url(endpoint: str, receipt_id: str, *, owner: str | None = None) -> str:
    """``{endpoint}/v1/receipts/{receipt_id}/proof`` (``?owner=`` for the identity authority)."""
    url = f"{_base(endpoint)}/v1/receipts/{quote(receipt_id, safe='')}/proof"
    return with_query(url, {"owner": owner} if owner else None)


def _read_headers(url: str, reader: LogReader | None, audience: str | None) -> dict[str, str]:
    if reader is None:
        return {}
    if not audience:
        raise ArgumentError("audience", "a signed read names the gateway's provider code")
    return reader.headers(url, audience=audience)


def _base(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ArgumentError("gateway endpoint", f"{endpoint!r} is not an http(s) URL")
    return endpoint.rstrip("/")


def _raise_for(status: int, body: bytes) -> None:
    if status == 200:
        return
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        parsed = None
    raise refusal_from_body(status, parsed)


def _verify(tls: TlsConfig | None) -> ssl.SSLContext | bool:
    """httpx's ``verify``: the context of ``tls`` (it carries the client certificate)."""
    return True if tls is None else tls.ssl_context()


class GatewayClient:
    """A keep-alive HTTP client for gateways (one per process is enough).

    Args:
        timeout: httpx timeouts (connect 5 s, others 30 s by default).
        retry: The retry policy for connection failures.
        max_body: Largest response accepted, in bytes.
        deadline_s: Longest exchange (one attempt), to the answer's last byte.
        endpoints: Where requests may go (the catalogue's endpoints); anywhere if None.
        transport: An httpx transport (a proxy setup or fault injection in tests).
        sleep: How to wait between attempts.
        tls: The CA bundle gateways' certificates are verified against, and the member's
            client certificate; the platform's trust store and no certificate if None.

    Raises:
        TlsConfigError: A file of ``tls`` is missing or does not load.
    """

    def __init__(
        self,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_body: int = MAX_BODY_BYTES,
        deadline_s: float = DEFAULT_DEADLINE_S,
        endpoints: EndpointPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        tls: TlsConfig | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.max_body = max_body
        self.bounds = ReadBounds(max_bytes=max_body, deadline_s=deadline_s)
        self.endpoints = endpoints
        self._sleep = sleep
        self._http = httpx.Client(
            timeout=timeout,
            limits=DEFAULT_LIMITS,
            headers=_HEADERS,
            transport=transport,
            follow_redirects=False,
            verify=_verify(tls),
        )

    def post_query(self, endpoint: str, body: bytes) -> bytes:
        """POST a signed request; the body of the 200 answer.

        Raises:
            Refusal: The gateway refused (the subclass named by its error code).
            GatewayUnavailable: No answer after the retries.
            GatewayTimeout: The gateway did not answer in time.
            ResponseTooLarge: The answer exceeds ``max_body``.
            ResponseTooSlow: The answer did not end within ``deadline_s``.
            RedirectRefused: The gateway answered with a redirect (not followed).
            EndpointNotAllowed: ``endpoint`` is outside ``endpoints`` (nothing sent).
        """
        return self._exchange("POST", query_url(endpoint), body)

    def get_receipt_proof(
        self,
        endpoint: str,
        receipt_id: str,
        *,
        reader: LogReader | None = None,
        audience: str | None = None,
        owner: str | None = None,
    ) -> bytes:
        """GET a receipt's inclusion proof; the body of the 200 answer.

        Gateways answer proofs to entitled readers only: pass ``reader`` (the consumer of the
        receipt, an auditor, or the identity authority with the receipt's ``owner``
        pseudonym) and ``audience``, the provider code of the gateway. Each attempt is signed
        afresh (a token is accepted once).

        Raises:
            ReceiptNotAnchored: The receipt's batch is not anchored yet.
            Refusal: Another refusal (``UnknownReceipt``, ``Unauthenticated``,
                ``ReaderNotEntitled``, ...).
            GatewayUnavailable: No answer after the retries.
        """
        url = proof_url(endpoint, receipt_id, owner=owner)
        return self._exchange("GET", url, None, lambda: _read_headers(url, reader, audience))

    def _exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Callable[[], dict[str, str]] | None = None,
    ) -> bytes:
        attempt = 0
        while True:
            attempt += 1
            try:
                status, payload = self._once(method, url, body, headers() if headers else {})
            except httpx.TimeoutException as exc:
                if not isinstance(exc, httpx.ConnectTimeout):
                    raise GatewayTimeout(url, attempt, repr(exc)) from exc
                error: Exception = exc
            except _RETRYABLE as exc:
                if _tls_refused(exc):  # a certificate does not become valid by asking again
                    raise GatewayUnavailable(url, attempt, repr(exc)) from exc
                error = exc
            except httpx.HTTPError as exc:
                raise GatewayUnavailable(url, attempt, repr(exc)) from exc
            else:
                _raise_for(status, payload)
                return payload
            if attempt >= self.retry.attempts:
                raise GatewayUnavailable(url, attempt, repr(error)) from error
            self._sleep(self.retry.pause(attempt))

    def _once(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        response = read_bounded(
            self._http, method, url, bounds=self.bounds, endpoints=self.endpoints,
            content=body, headers=headers,
        )  # fmt: skip
        return response.status_code, response.content

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncGatewayClient:
    """The asyncio twin of :class:`GatewayClient` (same arguments, coroutine methods)."""

    def __init__(
        self,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_body: int = MAX_BODY_BYTES,
        deadline_s: float = DEFAULT_DEADLINE_S,
        endpoints: EndpointPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        tls: TlsConfig | None = None,
    ) -> None:
        """See :class:`GatewayClient`."""
        self.retry = retry or RetryPolicy()
        self.max_body = max_body
        self.bounds = ReadBounds(max_bytes=max_body, deadline_s=deadline_s)
        self.endpoints = endpoints
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            timeout=timeout,
            limits=DEFAULT_LIMITS,
            headers=_HEADERS,
            transport=transport,
            follow_redirects=False,
            verify=_verify(tls),
        )

    async def post_query(self, endpoint: str, body: bytes) -> bytes:
        """POST a signed request; the 200 body (see :meth:`GatewayClient.post_query`)."""
        return await self._exchange("POST", query_url(endpoint), body)

    async def get_receipt_proof(
        self,
        endpoint: str,
        receipt_id: str,
        *,
        reader: LogReader | None = None,
        audience: str | None = None,
        owner: str | None = None,
    ) -> bytes:
        """GET a receipt's inclusion proof (see :meth:`GatewayClient.get_receipt_proof`)."""
        url = proof_url(endpoint, receipt_id, owner=owner)
        return await self._exchange("GET", url, None, lambda: _read_headers(url, reader, audience))

    async def _exchange(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Callable[[], dict[str, str]] | None = None,
    ) -> bytes:
        attempt = 0
        while True:
            attempt += 1
            try:
                status, payload = await self._once(method, url, body, headers() if headers else {})
            except httpx.TimeoutException as exc:
                if not isinstance(exc, httpx.ConnectTimeout):
                    raise GatewayTimeout(url, attempt, repr(exc)) from exc
                error: Exception = exc
            except _RETRYABLE as exc:
                if _tls_refused(exc):  # a certificate does not become valid by asking again
                    raise GatewayUnavailable(url, attempt, repr(exc)) from exc
                error = exc
            except httpx.HTTPError as exc:
                raise GatewayUnavailable(url, attempt, repr(exc)) from exc
            else:
                _raise_for(status, payload)
                return payload
            if attempt >= self.retry.attempts:
                raise GatewayUnavailable(url, attempt, repr(error)) from error
            await self._sleep(self.retry.pause(attempt))

    async def _once(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        response = await aread_bounded(
            self._http, method, url, bounds=self.bounds, endpoints=self.endpoints,
            content=body, headers=headers,
        )  # fmt: skip
        return response.status_code, response.content

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncGatewayClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
