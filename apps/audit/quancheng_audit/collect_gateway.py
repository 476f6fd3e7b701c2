"""Reading a gateway's side of the trail over its API: receipt log, batches, metrics, proofs.

``GET /v1/resources`` (public) names the provider when the catalogue does not,
``GET /v1/receipts?from_index=&limit=`` pages through the log, ``GET /v1/batches/{seq}``
returns each batch record until the first 404, ``GET /metrics`` gives the refusals by code and
``GET /v1/receipts/{id}/proof`` one receipt's inclusion proof. All but the first answer only
entitled readers: each request is signed with the auditor's SM2 key (a reader token, see
:class:`quancheng.log_reader.LogReader`) for the provider the catalogue lists at that
endpoint, so a gateway cannot obtain a token valid at another provider's gateway.

Every read is bounded (:mod:`quancheng_audit.gateway_reads`): a gateway that never stops
listing receipts or batches, answers too much or too slowly, or redirects, stops the reading
with a typed error naming it and the bound. Nothing here judges what it reads.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from quancheng._util import ArgumentError
from quancheng.chain import ContractSet, decode_code32
from quancheng.chain.client import call
from quancheng.http_bounds import EndpointPolicy
from quancheng.log_reader import LogReader
from quancheng.tls import TlsConfig
from quancheng_audit.errors import BundleError, LogTooLong, SourceUnavailable
from quancheng_audit.evidence import ChainEvidence, ReceiptLog
from quancheng_audit.gateway_reads import GatewayReads, ReadLimits, answer_json, gateway_http
from quancheng_audit.progress import NO_PROGRESS, Progress

__all__ = [
    "catalogue_endpoints",
    "catalogue_provider",
    "fetch_receipt_log",
    "fetch_receipt_proof",
    "open_http",
]

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


def catalogue_provider(contracts: ContractSet, endpoint: str) -> str | None:
    """The provider whose active resources the catalogue serves at ``endpoint`` (None if
    no active resource is served there)."""
    base = endpoint.rstrip("/")
    for resource_id in call(contracts.catalogue.functions.resourceIds()):
        record = contracts.resource(bytes(resource_id))
        if record.active and record.endpoint.rstrip("/") == base:
            return decode_code32(record.provider_id)
    return None


def open_http(
    client: httpx.Client | None, tls: TlsConfig | None, limits: ReadLimits
) -> tuple[httpx.Client, bool]:
    """``client``, or a new one for gateways over ``tls``; and whether it is new (to close).

    Raises:
        ArgumentError: Both ``client`` and ``tls`` are given.
    """
    if client is not None:
        if tls is not None:
            raise ArgumentError("tls", "give it to the HTTP client passed, or pass no client")
        return client, False
    return gateway_http(tls, limits), True


def fetch_receipt_log(
    endpoint: str,
    *,
    reader: LogReader | None = None,
    client: httpx.Client | None = None,
    provider: str | None = None,
    limits: ReadLimits | None = None,
    endpoints: EndpointPolicy | None = None,
    tls: TlsConfig | None = None,
    progress: Progress = NO_PROGRESS,
    clock: Callable[[], float] = time.time,
) -> ReceiptLog:
    """The receipt log, batches and refusal counters of the gateway at ``endpoint``.

    Args:
        endpoint: The gateway's base URL.
        reader: The auditor's credentials; gateways refuse an unsigned read (401).
        client: An HTTP client to use (e.g. a test client); one is made otherwise.
        provider: The provider the catalogue lists at ``endpoint``; asked of the gateway
            (``/v1/resources``) when None.
        limits: How much to read, and for how long (the defaults otherwise).
        endpoints: Where requests may go (e.g. the catalogue's endpoints); anywhere if None.
        tls: Trust anchors and the auditor's client certificate, for the client made here.

    Raises:
        SourceUnavailable: The gateway could not be reached or answered an error.
        LogTooLong: The log or the batch list is longer than ``limits`` allow.
        LogTooSlow: Reading the gateway outlasted ``limits.deadline_s``.
        ResponseTooLarge, ResponseTooSlow, RedirectRefused: One answer broke a bound.
        EndpointNotAllowed: ``endpoint`` is outside ``endpoints`` (nothing was sent).
    """
    limits = limits or ReadLimits()
    http, own = open_http(client, tls, limits)
    gw = GatewayReads(
        http, endpoint, reader=reader, provider=provider, limits=limits, endpoints=endpoints
    )
    try:
        exported_at = int(clock() * 1000)
        if gw.provider is None:
            gw.provider = _said_provider(gw)
        entries, total = _receipts(gw, progress)
        batches = _batches(gw)
        refusals, answered = _metrics(gw)
    finally:
        if own:
            http.close()
    return ReceiptLog(
        provider=gw.who,
        source=gw.base,
        exported_at_ms=exported_at,
        total=total,
        entries=entries,
        batches=batches,
        refusals=refusals,
        answered=answered,
    )


def _said_provider(gw: GatewayReads) -> str:
    body = gw.json("/v1/resources")
    try:
        return str(body["provider"])
    except (KeyError, TypeError):
        raise SourceUnavailable(f"{gw.base}/v1/resources", "the answer names no provider") from None


def _page(gw: GatewayReads, start: int) -> tuple[int, list[Any]]:
    """(the log's size as the gateway says, the receipts) of the page at ``start``."""
    limit = gw.limits.page_size
    body = gw.json("/v1/receipts", from_index=start, limit=limit)
    try:
        total, receipts = int(body["total"]), body["receipts"]
    except (KeyError, TypeError, ValueError):
        total, receipts = -1, None
    url = f"{gw.base}/v1/receipts?from_index={start}"
    if total < 0 or not isinstance(receipts, list):
        raise SourceUnavailable(url, "the answer is not a page of the receipt log")
    if len(receipts) > limit:
        raise SourceUnavailable(url, f"{len(receipts)} receipts answered to a page of {limit}")
    return total, receipts


def _receipts(gw: GatewayReads, progress: Progress) -> tuple[list[Any], int]:
    max_receipts = gw.limits.max_receipts
    total, entries = _page(gw, 0)
    if total > max_receipts:  # said at once: no use reading up to the bound first
        raise LogTooLong(gw.base, gw.who, "receipts", max_receipts)
    task = progress.task(f"log {gw.who}", total=max(total, 1))
    task.advance(len(entries))
    while len(entries) < total:
        _, page = _page(gw, len(entries))
        if not page:
            break
        entries.extend(page)
        task.advance(len(page))
    if len(entries) > max_receipts:
        raise LogTooLong(gw.base, gw.who, "receipts", max_receipts)
    return entries, total


def _batches(gw: GatewayReads) -> list[Any]:
    batches: list[Any] = []
    while True:
        resp = gw.get(f"/v1/batches/{len(batches)}")
        if resp.status_code == 404:
            return batches
        if len(batches) >= gw.limits.max_batches:
            raise LogTooLong(gw.base, gw.who, "batches", gw.limits.max_batches)
        batches.append(answer_json(resp))


def _metrics(gw: GatewayReads) -> tuple[dict[str, int] | None, int | None]:
    resp = gw.get("/metrics")
    if resp.status_code != 200:
        return None, None
    text = resp.content.decode("utf-8", "replace")
    counts = {code: int(float(n)) for code, n in _QUERIES.findall(text)}
    answered = counts.pop("OK", 0)
    return counts, answered


def fetch_receipt_proof(
    endpoint: str,
    receipt_id: str,
    *,
    reader: LogReader | None = None,
    client: httpx.Client | None = None,
    provider: str | None = None,
    limits: ReadLimits | None = None,
    endpoints: EndpointPolicy | None = None,
    tls: TlsConfig | None = None,
) -> bytes:
    """The body of the gateway's inclusion proof of one receipt (see
    :func:`fetch_receipt_log` for the arguments and the bounds' errors).

    Raises:
        BundleError: The gateway has no anchored receipt with this id.
        SourceUnavailable: The gateway could not be read.
    """
    limits = limits or ReadLimits()
    http, own = open_http(client, tls, limits)
    gw = GatewayReads(
        http, endpoint, reader=reader, provider=provider, limits=limits, endpoints=endpoints
    )
    try:
        if gw.provider is None and reader is not None:  # the token names the gateway
            gw.provider = _said_provider(gw)
        resp = gw.get(f"/v1/receipts/{quote(receipt_id, safe='')}/proof")
    finally:
        if own:
            http.close()
    if resp.status_code != 200:
        text = resp.content[:200].decode("utf-8", "replace")
        raise BundleError(
            f"the gateway has no anchored receipt {receipt_id} (HTTP {resp.status_code}: {text})"
        )
    return resp.content
