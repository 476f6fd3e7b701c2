"""What a consumer reads from the chain before it trusts a gateway: the catalogue entry of a
resource (endpoint, provider), the provider's SM2 key, an owner's attested key, a grant's
immutable terms and its own membership, with caches sized to how often each can change.

* Catalogue entries expire after a TTL: the committee can move an endpoint.
* Provider keys stay cached until a signature fails to verify; then the key is read once
  more, in case the committee rotated it (:meth:`ChainView.with_key_refresh`).
* A grant's purpose, mode and consumer never change once requested: cached for good.
* A resource's published schema (raw fields vs indicators, person vs business) is read from
  its gateway and used only if it matches the catalogue's schema digest
  (:mod:`quancheng.schemas`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from quancheng._util import TTLCache, as_public_key
from quancheng.chain import (
    ContractSet,
    GrantStatus,
    InstitutionStatus,
    Role,
    code32,
    decode_code32,
)
from quancheng.chain.records import GrantRecord, InstitutionRecord
from quancheng.client_errors import MembershipError, OwnerKeyMismatch, ResourceNotInCatalogue
from quancheng.crypto import SM2PublicKey
from quancheng.grants import GrantNotFound
from quancheng.identity import Institution
from quancheng.protocol import Purpose
from quancheng.schemas import SchemaSource
from quancheng.scope_check import ResourceFacts
from quancheng.verify_errors import (
    AnchorSignatureInvalid,
    ReceiptSignatureInvalid,
)

__all__ = ["CatalogueEntry", "ChainView"]

_KEY_ERRORS = (ReceiptSignatureInvalid, AnchorSignatureInvalid)


@dataclass(frozen=True)
class CatalogueEntry:
    """A resource as the data catalogue describes it.

    Attributes:
        resource: Its code.
        provider: The provider's code.
        provider_id: The provider's institution id.
        endpoint: The provider gateway's base URL.
        fields: The fields it serves.
        active: False once the committee deactivated it.
        allowed_purposes: The purposes it allows.
        schema_digest: SM3 of its canonical schema document.
        sensitivity: 1 (public) to 4; answers from
            :data:`~quancheng.protocol.documents.SEALED_FROM_SENSITIVITY` up must be sealed.
    """

    resource: str
    provider: str
    provider_id: bytes
    endpoint: str
    fields: tuple[str, ...]
    active: bool
    allowed_purposes: frozenset[Purpose]
    schema_digest: bytes = b""
    sensitivity: int = 4


class ChainView:
    """Cached reads of one deployment for a consumer.

    Args:
        contracts: The deployment.
        catalogue_ttl: Seconds a catalogue entry is trusted before it is read again.
        clock: Seconds, for the TTL.
        schemas: Where published schemas are read (a gateway reader if omitted).
    """

    def __init__(
        self,
        contracts: ContractSet,
        *,
        catalogue_ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        schemas: SchemaSource | None = None,
    ) -> None:
        self.contracts = contracts
        self.schemas = schemas or SchemaSource(ttl=catalogue_ttl, clock=clock)
        self._catalogue: TTLCache[str, CatalogueEntry] = TTLCache(catalogue_ttl, clock)
        self._lock = threading.Lock()
        self._keys: dict[bytes, SM2PublicKey] = {}
        self._grants: dict[bytes, GrantRecord] = {}

    def catalogue_entry(self, resource: str) -> CatalogueEntry:
        """The catalogue's entry for ``resource`` (cached for ``catalogue_ttl``).

        Raises:
            ResourceNotInCatalogue: Unknown resource, or no endpoint.
        """
        cached = self._catalogue.get(resource)
        if cached is not None:
            return cached
        record = self.contracts.resource(code32(resource))
        provider = decode_code32(record.provider_id)
        if provider is None:
            raise ResourceNotInCatalogue(resource)
        if not record.endpoint:
            raise ResourceNotInCatalogue(resource, "no gateway endpoint")
        entry = CatalogueEntry(
            resource=resource,
            provider=provider,
            provider_id=record.provider_id,
            endpoint=record.endpoint,
            fields=tuple(decode_code32(f) or "0x" + f.hex() for f in record.fields),
            active=record.active,
            allowed_purposes=frozenset(
                p for p in Purpose if p.is_scenario and record.allows(int(p))
            ),
            schema_digest=bytes(record.schema_digest),
            sensitivity=int(record.sensitivity),
        )
        self._catalogue.put(resource, entry)
        return entry

    def resource_facts(self, resource: str) -> ResourceFacts:
        """The catalogue's names for ``resource`` and its verified published schema, if any.

        Raises:
            ResourceNotInCatalogue: Unknown resource, or no endpoint.
        """
        entry = self.catalogue_entry(resource)
        schema = self.schemas.schema(resource, entry.endpoint, entry.schema_digest)
        return ResourceFacts(resource, frozenset(entry.fields), schema)

    def provider_key(self, provider_id: bytes, *, refresh: bool = False) -> SM2PublicKey:
        """The provider's registered SM2 key, cached until ``refresh``."""
        with self._lock:
            key = None if refresh else self._keys.get(provider_id)
        if key is None:
            record = self.contracts.institution(provider_id)
            key = as_public_key(record.sm2_public_key, "provider key")
            with self._lock:
                self._keys[provider_id] = key
        return key

    def with_key_refresh(self, provider_id: bytes, check: Callable[[SM2PublicKey], None]) -> None:
        """Run ``check`` with the cached provider key; if a signature fails, once more with the
        key read again from the chain (only if it changed: a rotation)."""
        key = self.provider_key(provider_id)
        try:
            check(key)
        except _KEY_ERRORS:
            fresh = self.provider_key(provider_id, refresh=True)
            if fresh == key:
                raise
            check(fresh)

    def check_membership(self, me: Institution, role: Role = Role.CONSUMER) -> InstitutionRecord:
        """Check that the chain is the manifest's and knows ``me`` as configured.

        Raises:
            MembershipError: Another chain id, or the institution is unknown, not ACTIVE,
                of another role, or bound to another account or SM2 key.
        """
        chain_id = int(self.contracts.w3.eth.chain_id)
        if chain_id != self.contracts.manifest.chain_id:
            expected = self.contracts.manifest.chain_id
            raise MembershipError(me.code, f"node has chain id {chain_id}, manifest {expected}")
        record = self.contracts.institution(me.id)
        problems = (
            (record.status is not InstitutionStatus.ACTIVE, f"status is {record.status.name}"),
            (record.role is not role, f"role is {record.role.name}, not {role.name}"),
            (record.account != me.address, "bound to another chain account"),
            (record.sm2_public_key != me.sm2_public_key.to_bytes(), "bound to another SM2 key"),
        )
        for failed, reason in problems:
            if failed:
                raise MembershipError(me.code, reason)
        return record

    def attested_owner_key(
        self, pseudonym: bytes, given: SM2PublicKey | bytes | str | None = None
    ) -> SM2PublicKey:
        """The owner's attested key, checked against ``given`` if any.

        Raises:
            OwnerKeyMismatch: No attested key, a revoked one, or another key than ``given``.
        """
        record = self.contracts.owner(pseudonym)
        if record.key_version == 0:
            raise OwnerKeyMismatch(pseudonym, "no key is attested for this pseudonym")
        if record.revoked:
            raise OwnerKeyMismatch(pseudonym, "the owner's attestation is revoked")
        attested = as_public_key(record.sm2_public_key, "attested owner key")
        if given is not None and as_public_key(given, "owner key") != attested:
            raise OwnerKeyMismatch(pseudonym, "the given key is not the attested key")
        return attested

    def grant_terms(self, grant_id: bytes) -> GrantRecord:
        """The grant as first read (only its immutable terms may be relied on).

        Raises:
            GrantNotFound: No grant with this id.
        """
        with self._lock:
            record = self._grants.get(grant_id)
        if record is None:
            record = self.contracts.grant(grant_id)
            if record.status is GrantStatus.NONE:
                raise GrantNotFound(grant_id)
            with self._lock:
                self._grants[grant_id] = record
        return record
