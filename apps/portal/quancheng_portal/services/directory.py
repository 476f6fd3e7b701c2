"""Who and what the portal names on its pages: institutions, resources, fields, indicators.

Institutions' names come from the consortium registry; a resource's provider, endpoint and
fields from the data catalogue; its Chinese title and the Chinese labels of its fields and
indicators from the provider gateway's ``GET /v1/resources`` (the catalogue stores codes
only): ``title``, and ``field_labels`` / ``indicator_labels`` (name → label) where the gateway
publishes them. They are the provider's words about its own resource, shown as text, never
trusted for a decision. Everything is cached for a few minutes, and a gateway that does not
answer costs a page a short timeout once, not every time: the code is shown instead, muted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from quancheng._util import TTLCache
from quancheng.chain import ContractSet, code32, decode_code32
from quancheng.errors import QuanchengError
from quancheng.http_bounds import ReadBounds, read_bounded
from quancheng.protocol import GrantMode
from quancheng.schemas import SchemaSource
from quancheng.scope_check import ResourceFacts
from quancheng_portal.services.labels import Name

__all__ = ["Directory", "Published", "ResourceInfo", "published"]

#: A gateway's resource listing: small, and due at once (a page waits for it).
_LISTING_BOUNDS = ReadBounds(max_bytes=1024 * 1024, deadline_s=2.0)
#: Longest title or label taken from a listing, and most labels per resource (more is not a
#: name a page can show: it is ignored).
_MAX_LABEL_CHARS = 64
_MAX_LABELS = 256


@dataclass(frozen=True)
class ResourceInfo:
    """A catalogue resource as the portal shows it.

    Attributes:
        code: The resource code, e.g. ``vehicle.registration``.
        title: Its Chinese title (the code when the gateway did not say).
        provider: The provider's code.
        provider_name: The provider's name in the registry.
        endpoint: The provider gateway's base URL ("" if none).
        field_labels: Chinese labels of its raw fields, by name (those the gateway publishes).
        indicator_labels: Chinese labels of its derived indicators, by name.
    """

    code: str
    title: str
    provider: str
    provider_name: str
    endpoint: str
    field_labels: Mapping[str, str] = field(default_factory=dict)
    indicator_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Published:
    """What a gateway's listing says of one resource in words (None / empty: nothing)."""

    title: str | None
    field_labels: dict[str, str]
    indicator_labels: dict[str, str]


class Directory:
    """Cached names of a deployment's institutions and resources.

    Args:
        contracts: The deployment.
        http: The HTTP client for gateways.
        ttl: Seconds an entry is trusted.
        clock: Monotonic seconds (for the caches).
    """

    def __init__(
        self,
        contracts: ContractSet,
        http: httpx.Client,
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.contracts = contracts
        self._http = http
        self._names: TTLCache[str, str] = TTLCache(ttl, clock)
        self._resources: TTLCache[str, ResourceInfo] = TTLCache(ttl, clock)
        self._listings: TTLCache[str, dict[str, Published]] = TTLCache(ttl, clock)
        self._schemas = SchemaSource(http, ttl=ttl, clock=clock)
        self._facts: TTLCache[str, ResourceFacts | None] = TTLCache(ttl, clock)

    def institution_name(self, code: str) -> str:
        """The registry's name of an institution (its code if unknown)."""
        name = self._names.get(code)
        if name is None:
            try:
                name = self.contracts.institution(code32(code)).name or code
            except QuanchengError:
                return code
            self._names.put(code, name)
        return name

    def resource(self, code: str) -> ResourceInfo:
        """The catalogue entry of a resource, with its title and its provider's name."""
        info = self._resources.get(code)
        if info is not None:
            return info
        try:
            record = self.contracts.resource(code32(code))
        except QuanchengError:
            return ResourceInfo(code, code, "", "", "")
        provider = decode_code32(record.provider_id) or ""
        listed = self._listing_of(record.endpoint).get(code) if record.endpoint else None
        info = ResourceInfo(
            code=code,
            title=(listed.title if listed else None) or code,
            provider=provider,
            provider_name=self.institution_name(provider) if provider else "",
            endpoint=record.endpoint,
            field_labels=listed.field_labels if listed else {},
            indicator_labels=listed.indicator_labels if listed else {},
        )
        self._resources.put(code, info)
        return info

    def institution(self, code: str) -> Name:
        """An institution as the pages name it (its registry name; none if unknown)."""
        name = self.institution_name(code)
        return Name(code=code, label=name if name and name != code else None)

    def resource_name(self, code: str) -> Name:
        """A resource as the pages name it (its published title; none if unknown)."""
        title = self.resource(code).title
        return Name(code=code, label=title if title and title != code else None)

    def item_names(self, resource: str, names: Iterable[str], mode: GrantMode | str) -> list[Name]:
        """The fields of a RAW grant's resource, or the indicators of a DERIVED one, by
        their Chinese labels where the provider publishes them."""
        info = self.resource(resource)
        derived = str(mode) == GrantMode.DERIVED.value
        labels = info.indicator_labels if derived else info.field_labels
        return [Name(code=n, label=labels.get(n)) for n in names]

    def facts(self, code: str) -> ResourceFacts | None:
        """The catalogue's names for a resource and its verified published schema (None if
        the catalogue does not list it)."""
        cached = self._facts.get(code)
        if cached is not None:
            return cached
        try:
            record = self.contracts.resource(code32(code))
        except QuanchengError:
            return None
        if decode_code32(record.provider_id) is None:
            return None
        names = frozenset(decode_code32(f) or "0x" + f.hex() for f in record.fields)
        schema = self._schemas.schema(code, record.endpoint, record.schema_digest)
        facts = ResourceFacts(code, names, schema)
        self._facts.put(code, facts)
        return facts

    def _listing_of(self, endpoint: str) -> dict[str, Published]:
        listing = self._listings.get(endpoint)
        if listing is not None:
            return listing
        listing = {}
        try:
            url = endpoint.rstrip("/") + "/v1/resources"
            resp = read_bounded(self._http, "GET", url, bounds=_LISTING_BOUNDS, timeout=2.0)
            if resp.status_code == 200:
                listing = published(resp.json())
        except (httpx.HTTPError, QuanchengError, ValueError):
            pass  # shown by code until the gateway answers again
        self._listings.put(endpoint, listing)
        return listing


def published(body: Any) -> dict[str, Published]:
    """The titles and labels of a gateway's ``GET /v1/resources`` body, by resource; what is
    not a short printable text is left out (malformed items altogether)."""
    found: dict[str, Published] = {}
    items = body.get("resources") if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else []:
        code = item.get("resource_id") if isinstance(item, dict) else None
        if isinstance(code, str):
            found[code] = Published(
                title=_text(item.get("title")),
                field_labels=_labels(item.get("field_labels")),
                indicator_labels=_labels(item.get("indicator_labels")),
            )
    return found


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    ok = 0 < len(value) <= _MAX_LABEL_CHARS and value.isprintable()
    return value if ok else None


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > _MAX_LABELS:
        return {}
    return {k: t for k, v in value.items() if isinstance(k, str) and (t := _text(v)) is not None}
