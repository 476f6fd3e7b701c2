"""The auditor's reads of gateways: bounded, on the catalogue's endpoints only, over TLS.

The auditor reads the gateways of the institutions it audits: each is run by somebody else and
may lie, stall or never stop talking. Every read goes through the SDK's bounded reader
(:func:`quancheng.http_bounds.read_bounded`), so no answer decides how much is read, for how
long, or where the auditor goes next:

* one answer: at most ``max_page_bytes`` (``ResponseTooLarge``), within
  ``request_deadline_s`` (``ResponseTooSlow``), each network operation within ``timeout_s``;
* a redirect is never followed (``RedirectRefused``);
* with an allow-list (the on-chain catalogue's endpoints), nothing is sent anywhere else
  (``EndpointNotAllowed``);
* one gateway in all: at most ``max_receipts``, ``max_batches`` and ``max_bytes``
  (:class:`~quancheng_audit.errors.LogTooLong`), within ``deadline_s``
  (:class:`~quancheng_audit.errors.LogTooSlow`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

import httpx

from quancheng._util import ArgumentError
from quancheng.http_bounds import (
    BoundedResponse,
    EndpointPolicy,
    ReadBounds,
    ResponseTooLarge,
    ResponseTooSlow,
    read_bounded,
)
from quancheng.log_reader import LogReader, with_query
from quancheng.tls import TlsConfig
from quancheng_audit.errors import LogTooLong, LogTooSlow, SourceUnavailable

__all__ = ["GatewayReads", "ReadLimits", "answer_json", "gateway_http"]

_MIB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How much the auditor reads from one gateway, and for how long.

    The defaults fit a gateway with a million receipts (about 1 GiB in memory once read);
    audit a longer log with higher bounds.

    Attributes:
        page_size: Receipts asked per page (gateways serve at most 1000).
        max_page_bytes: Largest single answer (a page, a batch, a proof, the metrics).
        max_receipts: Longest receipt log read.
        max_batches: Most batch records read.
        max_bytes: Most bytes read from one gateway in all.
        timeout_s: Longest wait of each network operation (connect, each read, write).
        request_deadline_s: Longest single exchange, to the answer's last byte.
        deadline_s: Longest time spent reading one gateway in all.
    """

    page_size: int = 1000
    max_page_bytes: int = 16 * _MIB
    max_receipts: int = 1_000_000
    max_batches: int = 1_000_000
    max_bytes: int = 2048 * _MIB
    timeout_s: float = 30.0
    request_deadline_s: float = 120.0
    deadline_s: float = 3600.0

    def __post_init__(self) -> None:
        for f in fields(self):
            if not getattr(self, f.name) > 0:
                raise ArgumentError(f.name, "must be positive")
        if self.page_size > 1000:
            raise ArgumentError("page_size", "gateways serve at most 1000 receipts a page")


def gateway_http(tls: TlsConfig | None = None, limits: ReadLimits | None = None) -> httpx.Client:
    """An HTTP client for gateways: ``tls``'s trust anchors and client certificate (mutual
    TLS; the platform's defaults when None), ``limits.timeout_s``, redirects not followed.

    Raises:
        TlsConfigError: A TLS file is missing or unreadable.
    """
    limits = limits or ReadLimits()
    return httpx.Client(
        timeout=limits.timeout_s,
        verify=tls.ssl_context() if tls is not None else True,
        follow_redirects=False,
        headers={"user-agent": "quancheng-audit"},
    )


def answer_json(resp: BoundedResponse) -> Any:
    """The JSON of a 200 answer.

    Raises:
        SourceUnavailable: Another status, or not JSON.
    """
    if resp.status_code in (401, 403):
        raise SourceUnavailable(
            resp.url, f"HTTP {resp.status_code} {_error_code(resp)}: the gateway answers its "
            "log to ACTIVE auditors only (give the auditor's code and SM2 key)",
        )  # fmt: skip
    if resp.status_code != 200:
        raise SourceUnavailable(resp.url, f"HTTP {resp.status_code}")
    try:
        return resp.json()
    except ValueError:
        raise SourceUnavailable(resp.url, "the answer is not JSON") from None


def _error_code(resp: BoundedResponse) -> str:
    try:
        return str(resp.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "?"


class GatewayReads:
    """One gateway read as one reader, within :class:`ReadLimits` from its creation.

    Args:
        http: The HTTP client (e.g. from :func:`gateway_http`).
        endpoint: The gateway's base URL.
        reader: The auditor's credentials; unsigned reads when None.
        provider: The gateway's provider (the reader token's audience), best taken from the
            catalogue; until it is set, reads are unsigned.
        limits: The bounds.
        endpoints: Where requests may go; anywhere when None.
    """

    def __init__(
        self,
        http: httpx.Client,
        endpoint: str,
        *,
        reader: LogReader | None = None,
        provider: str | None = None,
        limits: ReadLimits | None = None,
        endpoints: EndpointPolicy | None = None,
    ) -> None:
        self.http, self.base, self.reader = http, endpoint.rstrip("/"), reader
        self.provider = provider
        self.limits = limits or ReadLimits()
        self.endpoints = endpoints
        self.bytes_read = 0
        self._started = time.monotonic()

    @property
    def who(self) -> str:
        """The provider's code for messages ("?" while unknown)."""
        return self.provider or "?"

    def get(self, path: str, **params: Any) -> BoundedResponse:
        """GET ``{endpoint}{path}?{params}``, signed when the provider is known.

        Raises:
            LogTooSlow: The deadline for this gateway has passed.
            LogTooLong: The bytes read from this gateway would exceed ``max_bytes``.
            ResponseTooLarge, ResponseTooSlow, RedirectRefused, EndpointNotAllowed: This
                answer broke a bound (or the URL is outside ``endpoints``: nothing sent).
            SourceUnavailable: A transport failure.
        """
        url = with_query(self.base + path, params)
        limits = self.limits
        remaining = limits.deadline_s - (time.monotonic() - self._started)
        if remaining <= 0:
            raise LogTooSlow(self.base, self.who, limits.deadline_s)
        bounds = ReadBounds(
            max_bytes=min(limits.max_page_bytes, limits.max_bytes - self.bytes_read),
            deadline_s=min(limits.request_deadline_s, remaining),
        )
        headers: dict[str, str] = {}
        if self.reader is not None and self.provider is not None:
            headers = self.reader.headers(url, audience=self.provider)
        try:
            resp = read_bounded(
                self.http, "GET", url, bounds=bounds, endpoints=self.endpoints,
                headers=headers, timeout=min(limits.timeout_s, remaining),
            )  # fmt: skip
        except ResponseTooLarge:
            if bounds.max_bytes < limits.max_page_bytes:  # the gateway's budget, not the page's
                raise LogTooLong(self.base, self.who, "bytes", limits.max_bytes) from None
            raise
        except (ResponseTooSlow, httpx.TimeoutException) as exc:
            if time.monotonic() - self._started >= limits.deadline_s:
                raise LogTooSlow(self.base, self.who, limits.deadline_s) from None
            if isinstance(exc, ResponseTooSlow):
                raise
            raise SourceUnavailable(url, f"{type(exc).__name__}: {exc}") from None
        except httpx.HTTPError as exc:
            raise SourceUnavailable(url, f"{type(exc).__name__}: {exc}") from None
        self.bytes_read += len(resp.content)
        return resp

    def json(self, path: str, **params: Any) -> Any:
        """The JSON of a 200 answer to GET ``path`` (see :meth:`get` and :func:`answer_json`)."""
        return answer_json(self.get(path, **params))
