"""Who and what the portal names on its pages: institutions, resources and their titles.

Names come from the consortium registry; a resource's provider, endpoint and fields from the
data catalogue; its Chinese title from the provider gateway's ``GET /v1/resources`` (the
catalogue stores codes only). Everything is cached for a few minutes, and a gateway that does
not answer costs a page a short timeout once, not every time: the code is shown instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from quancheng._util import TTLCache
from quancheng.chain import ContractSet, code32, decode_code32
from quancheng.errors import QuanchengError
from quancheng.http_bounds import ReadBounds, read_bounded
from quancheng.schemas import SchemaSource
from quancheng.scope_check import ResourceFacts

__all__ = ["Directory", "ResourceInfo"]

#: A gateway's resource listing: small, and due at once (a page waits for it).
_LISTING_BOUNDS = ReadBounds(max_bytes=1024 * 1024, deadline_s=2.0)


@dataclass(frozen=True)
class ResourceInfo:
    """A catalogue resource as the portal shows it.

    Attributes:
        code: The resource code, e.g. ``vehicle.registration``.
        title: Its Chinese title (the code when the gateway did not say).
        provider: The provider's code.
        provider_name: The provider's name in the registry.
        endpoint: The provider gateway's base URL ("" if none).
    """

    code: str
    title: str
    provider: str
    provider_name: str
    endpoint: str


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
        self._titles: TTLCache[str, dict[str, str]] = TTLCache(ttl, clock)
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
        title = self._titles_of(record.endpoint).get(code, code) if record.endpoint else code
        info = ResourceInfo(
            code=code,
            title=title,
            provider=provider,
            provider_name=self.institution_name(provider) if provider else "",
            endpoint=record.endpoint,
        )
        self._resources.put(code, info)
        return info

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

    def _titles_of(self, endpoint: str) -> dict[str, str]:
        titles = self._titles.get(endpoint)
        if titles is not None:
            return titles
        titles = {}
        try:
            url = endpoint.rstrip("/") + "/v1/resources"
            resp = read_bounded(self._http, "GET", url, bounds=_LISTING_BOUNDS, timeout=2.0)
            if resp.status_code == 200:
                for item in resp.json().get("resources", []):
                    titles[str(item["resource_id"])] = str(item["title"])
        except (httpx.HTTPError, QuanchengError, ValueError, KeyError, TypeError, AttributeError):
            pass  # shown by code until the gateway answers again
        self._titles.put(endpoint, titles)
        return titles
