"""HTTP to provider gateways: keep-alive, timeouts, bounded retries, typed refusals.

Only transport failures that happen before an answer arrives (connection refused, reset,
dropped without a response, connect timeout) are retried, and always with the very same body
bytes: a query is signed once, so a retry can never become a second use (the gateway refuses
a request id it has seen). Read timeouts are not retried: the gateway may still be working on
the request. Any non-200 answer becomes the protocol's typed refusal
(:func:`quancheng.protocol.refusals.refusal_from_body`), e.g. ``GrantRevoked``.

The sync :class:`GatewayClient` and the async :class:`AsyncGatewayClient` behave alike.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from quancheng._util import ArgumentError
from quancheng.errors import GatewayError
from quancheng.protocol.refusals import refusal_from_body

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "MAX_BODY_BYTES",
    "AsyncGatewayClient",
    "GatewayClient",
    "GatewayTimeout",
    "GatewayUnavailable",
    "ResponseTooLarge",
    "RetryPolicy",
    "proof_url",
    "query_url",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=16, keepalive_expiry=30)
#: Answers larger than this are refused unread (a gateway answers one subject's fields).
MAX_BODY_BYTES = 8 * 1024 * 1024
_HEADERS = {
    "content-type": "application/json",
    "accept": "application/json",
    "user-agent": "quancheng-sdk",
}
#: Failures where the request was not answered: safe to resend the same signed bytes.
_RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadError, httpx.WriteError,
              httpx.RemoteProtocolError)  # fmt: skip


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


class ResponseTooLarge(GatewayError):
    """The gateway's response exceeds :data:`MAX_BODY_BYTES` (or the configured limit).

    Attributes:
        url: The URL.
        limit: The limit in bytes.
    """

    code = "RESPONSE_TOO_LARGE"

    def __init__(self, url: str, limit: int) -> None:
        self.url, self.limit = url, limit
        super().__init__(f"response of {url} exceeds {limit} bytes")


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


def proof_url(endpoint: str, receipt_id: str) -> str:
    """``{endpoint}/v1/receipts/{receipt_id}/proof``."""
    return f"{_base(endpoint)}/v1/receipts/{quote(receipt_id, safe='')}/proof"


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


class GatewayClient:
    """A keep-alive HTTP client for gateways (one per process is enough).

    Args:
        timeout: httpx timeouts (connect 5 s, others 30 s by default).
        retry: The retry policy for connection failures.
        max_body: Largest response accepted, in bytes.
        transport: An httpx transport (a proxy setup or fault injection in tests).
        sleep: How to wait between attempts.
    """

    def __init__(
        self,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_body: int = MAX_BODY_BYTES,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.max_body = max_body
        self._sleep = sleep
        self._http = httpx.Client(
            timeout=timeout, limits=DEFAULT_LIMITS, headers=_HEADERS, transport=transport
        )

    def post_query(self, endpoint: str, body: bytes) -> bytes:
        """POST a signed request; the body of the 200 answer.

        Raises:
            Refusal: The gateway refused (the subclass named by its error code).
            GatewayUnavailable: No answer after the retries.
            GatewayTimeout: The gateway did not answer in time.
            ResponseTooLarge: The answer exceeds ``max_body``.
        """
        return self._exchange("POST", query_url(endpoint), body)

    def get_receipt_proof(self, endpoint: str, receipt_id: str) -> bytes:
        """GET a receipt's inclusion proof; the body of the 200 answer.

        Raises:
            ReceiptNotAnchored: The receipt's batch is not anchored yet.
            Refusal: Another refusal (``UnknownReceipt``, ...).
            GatewayUnavailable: No answer after the retries.
        """
        return self._exchange("GET", proof_url(endpoint, receipt_id), None)

    def _exchange(self, method: str, url: str, body: bytes | None) -> bytes:
        attempt = 0
        while True:
            attempt += 1
            try:
                status, payload = self._once(method, url, body)
            except httpx.TimeoutException as exc:
                if not isinstance(exc, httpx.ConnectTimeout):
                    raise GatewayTimeout(url, attempt, repr(exc)) from exc
                error: Exception = exc
            except _RETRYABLE as exc:
                error = exc
            except httpx.HTTPError as exc:
                raise GatewayUnavailable(url, attempt, repr(exc)) from exc
            else:
                _raise_for(status, payload)
                return payload
            if attempt >= self.retry.attempts:
                raise GatewayUnavailable(url, attempt, repr(error)) from error
            self._sleep(self.retry.pause(attempt))

    def _once(self, method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
        with self._http.stream(method, url, content=body) as response:
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_body:
                    raise ResponseTooLarge(url, self.max_body)
                chunks.append(chunk)
            return response.status_code, b"".join(chunks)

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
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """See :class:`GatewayClient`."""
        self.retry = retry or RetryPolicy()
        self.max_body = max_body
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            timeout=timeout, limits=DEFAULT_LIMITS, headers=_HEADERS, transport=transport
        )

    async def post_query(self, endpoint: str, body: bytes) -> bytes:
        """POST a signed request; the 200 body (see :meth:`GatewayClient.post_query`)."""
        return await self._exchange("POST", query_url(endpoint), body)

    async def get_receipt_proof(self, endpoint: str, receipt_id: str) -> bytes:
        """GET a receipt's inclusion proof (see :meth:`GatewayClient.get_receipt_proof`)."""
        return await self._exchange("GET", proof_url(endpoint, receipt_id), None)

    async def _exchange(self, method: str, url: str, body: bytes | None) -> bytes:
        attempt = 0
        while True:
            attempt += 1
            try:
                status, payload = await self._once(method, url, body)
            except httpx.TimeoutException as exc:
                if not isinstance(exc, httpx.ConnectTimeout):
                    raise GatewayTimeout(url, attempt, repr(exc)) from exc
                error: Exception = exc
            except _RETRYABLE as exc:
                error = exc
            except httpx.HTTPError as exc:
                raise GatewayUnavailable(url, attempt, repr(exc)) from exc
            else:
                _raise_for(status, payload)
                return payload
            if attempt >= self.retry.attempts:
                raise GatewayUnavailable(url, attempt, repr(error)) from error
            await self._sleep(self.retry.pause(attempt))

    async def _once(self, method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
        async with self._http.stream(method, url, content=body) as response:
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_body:
                    raise ResponseTooLarge(url, self.max_body)
                chunks.append(chunk)
            return response.status_code, b"".join(chunks)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncGatewayClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
