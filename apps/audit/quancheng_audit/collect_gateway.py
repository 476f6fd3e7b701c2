"""Reading a gateway's side of the trail over its public API: receipt log, batches, metrics.

``GET /v1/resources`` names the provider, ``GET /v1/receipts?from_index=&limit=`` pages
through the log, ``GET /v1/batches/{seq}`` returns each batch record until the first 404, and
``GET /metrics`` gives the refusals by code. Nothing here judges what it reads.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx

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


def _get(client: httpx.Client, url: str, **params: Any) -> httpx.Response:
    try:
        return client.get(url, params=params or None)
    except httpx.HTTPError as exc:
        raise SourceUnavailable(url, f"{type(exc).__name__}: {exc}") from None


def _json(resp: httpx.Response) -> Any:
    if resp.status_code != 200:
        raise SourceUnavailable(str(resp.url), f"HTTP {resp.status_code}")
    try:
        return resp.json()
    except ValueError:
        raise SourceUnavailable(str(resp.url), "the answer is not JSON") from None


def fetch_receipt_log(
    endpoint: str,
    *,
    client: httpx.Client | None = None,
    page_size: int = 1000,
    progress: Progress = NO_PROGRESS,
    clock: Callable[[], float] = time.time,
) -> ReceiptLog:
    """The receipt log, batches and refusal counters of the gateway at ``endpoint``.

    Args:
        endpoint: The gateway's base URL.
        client: An HTTP client to use (e.g. a test client); one is made otherwise.
        page_size: Receipts per request (the gateway serves at most 1000).

    Raises:
        SourceUnavailable: The gateway could not be reached or answered an error.
    """
    own = client is None
    http = client or httpx.Client(timeout=30.0)
    base = endpoint.rstrip("/")
    try:
        exported_at = int(clock() * 1000)
        provider = str(_json(_get(http, f"{base}/v1/resources"))["provider"])
        entries, total = _receipts(http, base, page_size, progress, provider)
        batches = _batches(http, base)
        refusals, answered = _metrics(http, base)
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
    http: httpx.Client, base: str, page_size: int, progress: Progress, provider: str
) -> tuple[list[Any], int]:
    first = _json(_get(http, f"{base}/v1/receipts", from_index=0, limit=page_size))
    total = int(first["total"])
    entries: list[Any] = list(first["receipts"])
    task = progress.task(f"log {provider}", total=max(total, 1))
    task.advance(len(entries))
    while len(entries) < total:
        page = _json(_get(http, f"{base}/v1/receipts", from_index=len(entries), limit=page_size))
        if not page["receipts"]:
            break
        entries.extend(page["receipts"])
        task.advance(len(page["receipts"]))
    return entries, total


def _batches(http: httpx.Client, base: str) -> list[Any]:
    batches: list[Any] = []
    while True:
        resp = _get(http, f"{base}/v1/batches/{len(batches)}")
        if resp.status_code == 404:
            return batches
        batches.append(_json(resp))


def _metrics(http: httpx.Client, base: str) -> tuple[dict[str, int] | None, int | None]:
    resp = _get(http, f"{base}/metrics")
    if resp.status_code != 200:
        return None, None
    counts = {code: int(float(n)) for code, n in _QUERIES.findall(resp.text)}
    answered = counts.pop("OK", 0)
    return counts, answered
