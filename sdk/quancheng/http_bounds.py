"""Bounded reads of servers chosen by others: size, time, redirects and where to.

A gateway is run by another institution; its endpoint comes from the on-chain catalogue. A
read of it must not let that server decide how much is read, for how long, or where the
client goes next:

* :class:`ReadBounds`: the body is streamed and reading stops at ``max_bytes`` (decoded)
  (:class:`ResponseTooLarge`); the whole exchange must end within ``deadline_s``
  (:class:`ResponseTooSlow`; checked as each chunk arrives, so the bound is the deadline
  plus the client's read timeout);
* redirects are never followed (:class:`RedirectRefused`);
* with an :class:`EndpointPolicy` (:class:`AllowedEndpoints`, or :class:`CatalogueEndpoints`
  read from the chain), a URL outside it is refused before anything is sent
  (:class:`EndpointNotAllowed`).

Example:
    >>> allowed = AllowedEndpoints.of(["https://gw.vmo.example/"])
    >>> allowed.allows("https://gw.vmo.example/v1/query")
    True
    >>> allowed.allows("https://gw.vmo.example.attacker.cn/v1/query")
    False
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import httpx

from quancheng.errors import GatewayError

if TYPE_CHECKING:
    from quancheng.chain import ContractSet

__all__ = [
    "AllowedEndpoints",
    "BoundedResponse",
    "CatalogueEndpoints",
    "EndpointNotAllowed",
    "EndpointPolicy",
    "ReadBounds",
    "RedirectRefused",
    "ResponseTooLarge",
    "ResponseTooSlow",
    "aread_bounded",
    "read_bounded",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class ResponseTooLarge(GatewayError):
    """The response exceeds the bound; reading stopped there.

    Attributes:
        url: The URL.
        limit: The limit in bytes.
    """

    code = "RESPONSE_TOO_LARGE"

    def __init__(self, url: str, limit: int) -> None:
        self.url, self.limit = url, limit
        super().__init__(f"response of {url} exceeds {limit} bytes")


class ResponseTooSlow(GatewayError):
    """The response did not end within the deadline; reading stopped.

    Attributes:
        url: The URL.
        deadline_s: The deadline in seconds.
    """

    code = "RESPONSE_TOO_SLOW"

    def __init__(self, url: str, deadline_s: float) -> None:
        self.url, self.deadline_s = url, deadline_s
        super().__init__(f"response of {url} not complete within {deadline_s} s")


class RedirectRefused(GatewayError):
    """The server answered with a redirect; it is not followed.

    Attributes:
        url: The URL asked.
        status: The 3xx status.
        location: Where it pointed.
    """

    code = "REDIRECT_REFUSED"

    def __init__(self, url: str, status: int, location: str) -> None:
        self.url, self.status, self.location = url, status, location
        super().__init__(f"{url} answered {status} to {location!r}: redirects are not followed")


class EndpointNotAllowed(GatewayError):
    """The URL is not under an allowed endpoint; nothing was sent.

    Attributes:
        url: The URL refused.
    """

    code = "ENDPOINT_NOT_ALLOWED"

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"{url} is not under an endpoint of the catalogue: not sent")


@dataclass(frozen=True)
class ReadBounds:
    """How much of one response is read, and for how long.

    Attributes:
        max_bytes: Largest body accepted.
        deadline_s: Longest exchange, from sending to the body's last byte.
    """

    max_bytes: int = 8 * 1024 * 1024
    deadline_s: float = 60.0


class EndpointPolicy(Protocol):
    """Which URLs a client may send to."""

    def allows(self, url: str) -> bool:
        """True when ``url`` is under an allowed endpoint."""
        ...


def _origin_and_path(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:  # a port that is no number
        port = -1
    return scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")


@dataclass(frozen=True)
class AllowedEndpoints:
    """A fixed allow-list: a URL is allowed when it is an endpoint or a path under one.

    Scheme, host and port must match exactly (default ports made explicit); user info and
    look-alike hosts never match.
    """

    endpoints: frozenset[tuple[str, str, int, str]]

    @classmethod
    def of(cls, endpoints: Iterable[str]) -> AllowedEndpoints:
        """The allow-list of these base URLs (empty ones are skipped)."""
        return cls(frozenset(_origin_and_path(e) for e in endpoints if e))

    def allows(self, url: str) -> bool:
        """True when ``url`` is an allowed endpoint or a path under one."""
        scheme, host, port, path = _origin_and_path(url)
        if scheme not in _DEFAULT_PORTS or not host or urlsplit(url).username is not None:
            return False
        return any(
            (scheme, host, port) == (s, h, p) and (path == base or path.startswith(base + "/"))
            for s, h, p, base in self.endpoints
        )


class CatalogueEndpoints:
    """The allow-list of the on-chain data catalogue: every resource's gateway endpoint.

    Read from the chain at first use and again after ``ttl`` seconds (the committee can move
    an endpoint), and once more at once when a URL is not in it.

    Args:
        contracts: The deployment whose catalogue is read.
        ttl: Seconds the list is trusted.
        clock: Seconds, for the TTL.
    """

    def __init__(
        self,
        contracts: ContractSet,
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.contracts, self.ttl, self._clock = contracts, ttl, clock
        self._list: AllowedEndpoints | None = None
        self._read_at = 0.0

    def allows(self, url: str) -> bool:
        """True when ``url`` is under the endpoint of a resource of the catalogue."""
        fresh = self._list is None or self._clock() - self._read_at >= self.ttl
        if fresh or not self._current().allows(url):
            self._refresh()
        return self._current().allows(url)

    def _current(self) -> AllowedEndpoints:
        return self._list or AllowedEndpoints(frozenset())

    def _refresh(self) -> None:
        from quancheng.chain.client import call

        ids = call(self.contracts.catalogue.functions.resourceIds())
        records = (self.contracts.resource(bytes(i)) for i in ids)
        self._list = AllowedEndpoints.of(r.endpoint for r in records if r.active)
        self._read_at = self._clock()


@dataclass(frozen=True)
class BoundedResponse:
    """A response read within bounds."""

    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` if it is not)."""
        return json.loads(self.content)


def _check_endpoint(url: str, endpoints: EndpointPolicy | None) -> None:
    if endpoints is not None and not endpoints.allows(url):
        raise EndpointNotAllowed(url)


def _check_redirect(url: str, response: httpx.Response) -> None:
    if response.is_redirect:
        raise RedirectRefused(url, response.status_code, response.headers.get("location", ""))


def _identity(headers: Mapping[str, str] | None) -> dict[str, str]:
    # Uncompressed, so the bytes counted are the bytes kept (a compressed body is still
    # counted as decoded, a chunk at a time).
    return {"accept-encoding": "identity", **(headers or {})}


class _Body:
    """Collects chunks up to the bounds."""

    def __init__(self, url: str, bounds: ReadBounds, started: float) -> None:
        self.url, self.bounds, self.started = url, bounds, started
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.bounds.max_bytes:
            raise ResponseTooLarge(self.url, self.bounds.max_bytes)
        if time.monotonic() - self.started > self.bounds.deadline_s:
            raise ResponseTooSlow(self.url, self.bounds.deadline_s)
        self.chunks.append(chunk)


def read_bounded(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    bounds: ReadBounds | None = None,
    endpoints: EndpointPolicy | None = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    timeout: httpx.Timeout | float | None = None,
) -> BoundedResponse:
    """One exchange with a server chosen by others, within ``bounds``.

    ``timeout`` (httpx's, per operation) defaults to the client's.

    Raises:
        EndpointNotAllowed: ``url`` is outside ``endpoints`` (nothing was sent).
        RedirectRefused: The server answered with a redirect.
        ResponseTooLarge: The body exceeds ``bounds.max_bytes``.
        ResponseTooSlow: The exchange outlasted ``bounds.deadline_s``.
        httpx.HTTPError: A transport failure (including httpx's own timeouts).
    """
    bounds = bounds or ReadBounds()
    _check_endpoint(url, endpoints)
    started = time.monotonic()
    request = http.build_request(
        method, url, content=content, headers=_identity(headers), params=params,
        timeout=http.timeout if timeout is None else timeout,
    )  # fmt: skip
    response = http.send(request, stream=True, follow_redirects=False)
    try:
        _check_redirect(url, response)
        body = _Body(url, bounds, started)
        for chunk in response.iter_bytes():
            body.add(chunk)
        return BoundedResponse(url, response.status_code, response.headers, b"".join(body.chunks))
    finally:
        response.close()


async def aread_bounded(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    bounds: ReadBounds | None = None,
    endpoints: EndpointPolicy | None = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    timeout: httpx.Timeout | float | None = None,
) -> BoundedResponse:
    """The asyncio twin of :func:`read_bounded`."""
    bounds = bounds or ReadBounds()
    _check_endpoint(url, endpoints)
    started = time.monotonic()
    request = http.build_request(
        method, url, content=content, headers=_identity(headers), params=params,
        timeout=http.timeout if timeout is None else timeout,
    )  # fmt: skip
    response = await http.send(request, stream=True, follow_redirects=False)
    try:
        _check_redirect(url, response)
        body = _Body(url, bounds, started)
        async for chunk in response.aiter_bytes():
            body.add(chunk)
        return BoundedResponse(url, response.status_code, response.headers, b"".join(body.chunks))
    finally:
        await response.aclose()
