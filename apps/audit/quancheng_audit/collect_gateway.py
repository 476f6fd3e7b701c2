"""Reading a gateway's side of the trail over its API: receipt log, batches, metrics.

``GET /v1/resources`` (public) names the provider, ``GET /v1/receipts?from_index=&limit=``
pages through the log, ``GET /v1/batches/{seq}`` returns each batch record until the first
404, and ``GET /metrics`` gives the refusals by code. All but the first answer only entitled
readers: each request is signed with the auditor's SM2 key (a reader token, see
:class:`quancheng.log_reader.LogReader`). Nothing here judges what it reads.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from quancheng.log_reader import LogReader, with_query
from quancheng_audit.errors import SourceUnavailable
from quancheng_audit.evidence import ChainEvidence, ReceiptLog
from quancheng_audit.progress import NO_PROGRESS, Progress

__all__ = ["catalogue_endpoints", "fetch_receipt_log"]

_QUERIES = re.compile(r'^qc_gateway_queries_total\{outcome="([A-Z_]+)"\}\s+([0-9.eE+]+)$', re.M)


def catalogue_endpoints(chain: ChainEvidence) -> dict[str, str]:
    """Provider → the gateway endpoint the catalogue lists last for its resources."""
    provider_of: dict[str, str] = {}
    endpoints: dict[str, str] = {}
    for e in chain.events:
        if e.name == "ResourceRegistered":
            provider_of[e.code("resourceId")] = e.code("providerId")
        if e.name in {"ResourceRegistered", "ResourceUpdated", "ResourceEndpointChanged"}:
            provider = provider_of.get(e.code("resourceId"))
            if provider is not None:
                endpoints[provider] = str(e.args["endpoint"])
    return endpoints


class _Gateway:
    """One gateway read as one reader (signed GETs once the provider is known)."""

    def __init__(self, http: httpx.Client, base: str, reader: LogReader | None) -> None:
        self.http, self.base, self.reader = http, base, reader
        self.provider: str | None = None

    def get(self, path: str, **params: Any) -> httpx.Response:
        url = with_query(self.base + path, params)
        headers = {}
        if self.reader is not None and self.provider is not None:
            headers = self.reader.headers(url, audience=self.provider)
        try:
            return self.http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise SourceUnavailable(url, f"{type(exc).__name__}: {exc}") from None


def _json(resp: httpx.Response) -> Any:
    if resp.status_code in (401, 403):
        code = _error_code(resp)
        raise SourceUnavailable(
            str(resp.url), f"HTTP {resp.status_code} {code}: the gateway answers its log to "
            "ACTIVE auditors only (give the auditor's code and SM2 key)",
        )  # fmt: skip
    if resp.status_code != 200:
        raise SourceUnavailable(str(resp.url), f"HTTP {resp.status_code}")
    try:
        return resp.json()
    except ValueError:
        raise SourceUnavailable(str(resp.url), "the answer is not JSON") from None


def _error_code(resp: httpx.Response) -> str:
    try:
        return str(resp.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "?"


def fetch_receipt_log(
    endpoint: str,
    *,
    reader: LogReader | None = None,
    client: httpx.Client | None = None,
    page_size: int = 1000,
    progress: Progress = NO_PROGRESS,
    clock: Callable[[], float] = time.time,
) -> ReceiptLog:
    """The receipt log, batches and refusal counters of the gateway at ``endpoint``.

    Args:
        endpoint: The gateway's base URL.
        reader: The auditor's credentials; gateways refuse an unsigned read (401).
        client: An HTTP client to use (e.g. a test client); one is made otherwise.
        page_size: Receipts per request (the gateway serves at most 1000).

    Raises:
        SourceUnavailable: The gateway could not be reached or answered an error.
    """
    own = client is None
    http = client or httpx.Client(timeout=30.0)
    base = endpoint.rstrip("/")
    gw = _Gateway(http, base, reader)
    try:
        exported_at = int(clock() * 1000)
        provider = str(_json(gw.get("/v1/resources"))["provider"])
        gw.provider = provider
        entries, total = _receipts(gw, page_size, progress, provider)
        batches = _batches(gw)
        refusals, answered = _metrics(gw)
    finally:
        if own:
            http.close()
    return ReceiptLog(
        provider=provider,
        source=base,
        exported_at_ms=exported_at,
        total=total,
        entries=entries,
        batches=batches,
        refusals=refusals,
        answered=answered,
    )


def _receipts(
    gw: _Gateway, page_size: int, progress: Progress, provider: str
) -> tuple[list[Any], int]:
    first = _json(gw.get("/v1/receipts", from_index=0, limit=page_size))
    total = int(first["total"])
    entries: list[Any] = list(first["receipts"])
    task = progress.task(f"log {provider}", total=max(total, 1))
    task.advance(len(entries))
    while len(entries) < total:
        page = _json(gw.get("/v1/receipts", from_index=len(entries), limit=page_size))
        if not page["receipts"]:
            break
        entries.extend(page["receipts"])
        task.advance(len(page["receipts"]))
    return entries, total


def _batches(gw: _Gateway) -> list[Any]:
    batches: list[Any] = []
    while True:
        resp = gw.get(f"/v1/batches/{len(batches)}")
        if resp.status_code == 404:
            return batches
        batches.append(_json(resp))


def _metrics(gw: _Gateway) -> tuple[dict[str, int] | None, int | None]:
    resp = gw.get("/metrics")
    if resp.status_code != 200:
        return None, None
    counts = {code: int(float(n)) for code, n in _QUERIES.findall(resp.text)}
    answered = counts.pop("OK", 0)
    return counts, answered
