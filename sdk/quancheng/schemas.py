"""A resource's published schema: which names are raw fields, which are indicators, and
whether the resource is about a person or a business.

The data catalogue lists one set of names per resource (raw fields and derived indicators
together) and the SM3 digest of its canonical schema document
``{"resource", "fields", "indicators"}`` (:func:`quancheng.committee.schema_digest`). The
document itself is published by the provider's gateway at ``GET /v1/resources``, beside the
resource's subject kind. A listing is used only when its fields and indicators hash to the
digest on chain, so a gateway cannot move a name from one mode to the other; the subject kind
is the provider's own statement about its resource, read from the endpoint the catalogue
registers for it.

A gateway that does not answer, or a resource registered without a schema digest of this
form, leaves only the catalogue's own name list to check against.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from quancheng._util import TTLCache
from quancheng.committee import schema_digest
from quancheng.errors import GatewayError
from quancheng.http_bounds import ReadBounds, read_bounded
from quancheng.tls import TlsConfig

__all__ = ["ResourceSchema", "SchemaSource", "parse_listing"]

_log = logging.getLogger(__name__)

SubjectKind = Literal["person", "business"]
_KINDS: tuple[SubjectKind, ...] = ("person", "business")


@dataclass(frozen=True)
class ResourceSchema:
    """What a provider publishes about one resource.

    Attributes:
        resource: The resource code.
        subject_kind: ``"person"`` or ``"business"``.
        fields: The raw fields (RAW grants).
        indicators: The derived indicators (DERIVED grants).
    """

    resource: str
    subject_kind: SubjectKind
    fields: frozenset[str]
    indicators: frozenset[str]

    def matches(self, digest: bytes) -> bool:
        """True when this schema is the one whose SM3 digest the catalogue records."""
        return bytes(digest) == bytes(
            schema_digest(self.resource, sorted(self.fields), sorted(self.indicators))
        )


def parse_listing(body: Any) -> dict[str, ResourceSchema]:
    """The schemas of a gateway's ``GET /v1/resources`` body (malformed items are skipped)."""
    found: dict[str, ResourceSchema] = {}
    items = body.get("resources") if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else []:
        try:
            kind = item["subject_kind"]
            if kind not in _KINDS:
                continue
            schema = ResourceSchema(
                resource=str(item["resource_id"]),
                subject_kind=kind,
                fields=frozenset(str(f) for f in item["fields"]),
                indicators=frozenset(str(i) for i in item["indicators"]),
            )
        except (KeyError, TypeError):
            continue
        found[schema.resource] = schema
    return found


#: A listing names a gateway's resources and their fields: small, and quick to send.
_LISTING_BOUNDS = ReadBounds(max_bytes=1024 * 1024, deadline_s=10.0)


class SchemaSource:
    """Reads and caches gateways' published schemas, per endpoint.

    Args:
        http: The HTTP client to use (one with a short timeout is made if omitted).
        ttl: Seconds a listing (or a failure to get one) is kept.
        clock: Monotonic seconds, for the cache.
        tls: The CA bundle (and client certificate) of the client made when ``http`` is
            omitted; give one or the other.

    Raises:
        TypeError: Both ``http`` and ``tls`` are given.
        TlsConfigError: A file of ``tls`` is missing or does not load.
    """

    def __init__(
        self,
        http: httpx.Client | None = None,
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        tls: TlsConfig | None = None,
    ) -> None:
        if http is not None and tls is not None:
            raise TypeError("give SchemaSource an http client or tls, not both")
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(3.0, connect=2.0),
            verify=True if tls is None else tls.ssl_context(),
        )
        self._cache: TTLCache[str, dict[str, ResourceSchema]] = TTLCache(ttl, clock)

    def __call__(self, endpoint: str) -> Mapping[str, ResourceSchema]:
        """The schemas the gateway at ``endpoint`` publishes ({} if it does not answer)."""
        cached = self._cache.get(endpoint)
        if cached is not None:
            return cached
        listing: dict[str, ResourceSchema] = {}
        try:
            url = endpoint.rstrip("/") + "/v1/resources"
            resp = read_bounded(self._http, "GET", url, bounds=_LISTING_BOUNDS)
            if resp.status_code == 200:
                listing = parse_listing(resp.json())
        except (httpx.HTTPError, ValueError, GatewayError) as exc:
            _log.info("no published schema at %s: %s", endpoint, exc)
        self._cache.put(endpoint, listing)
        return listing

    def schema(self, resource: str, endpoint: str, digest: bytes) -> ResourceSchema | None:
        """The published schema of ``resource`` if it matches the catalogue's ``digest``."""
        schema = self(endpoint).get(resource) if endpoint else None
        if schema is None or not schema.matches(digest):
            return None
        return schema

    def close(self) -> None:
        """Release the HTTP connections."""
        self._http.close()
