"""Typed copies of the contracts' structs, as read from the chain.

Field names are the Solidity ones in snake_case; ``bytes32`` ids and digests stay ``bytes``
(use :func:`quancheng.chain.types.decode_code32` to show a code), enums are the enums of
:mod:`quancheng.chain.types`, times are unix seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from quancheng.chain._abiutil import snake
from quancheng.chain.types import (
    GrantMode,
    GrantStatus,
    InstitutionStatus,
    ProposalAction,
    Role,
)

__all__ = [
    "AnchorRecord",
    "GrantRecord",
    "InstitutionRecord",
    "OwnerRecord",
    "ProposalRecord",
    "ResourceRecord",
    "StatusChangeRecord",
    "from_struct",
]

_Model = TypeVar("_Model", bound=BaseModel)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class InstitutionRecord(_Record):
    """``IConsortiumRegistry.Institution``."""

    id: bytes
    name: str
    role: Role
    account: str
    sm2_public_key: bytes
    status: InstitutionStatus
    admitted_at: int
    updated_at: int


class ProposalRecord(_Record):
    """``IConsortiumRegistry.Proposal``."""

    id: int
    action: ProposalAction
    institution_id: bytes
    name: str
    role: Role
    account: str
    sm2_public_key: bytes
    threshold: int
    proposer_id: bytes
    voter_ids: list[bytes]
    created_at: int
    expires_at: int
    executed: bool


class ResourceRecord(_Record):
    """``IDataCatalogue.Resource``."""

    id: bytes
    provider_id: bytes
    fields: list[bytes]
    schema_digest: bytes
    sensitivity: int
    allowed_purposes: int
    endpoint: str
    active: bool
    version: int
    registered_at: int
    updated_at: int

    def allows(self, purpose: int) -> bool:
        """True when purpose code ``purpose`` is allowed (activity not considered)."""
        return 1 <= purpose <= 255 and bool(self.allowed_purposes >> purpose & 1)


class OwnerRecord(_Record):
    """``IOwnerRegistry.Owner``."""

    pseudonym: bytes
    sm2_public_key: bytes
    attester_id: bytes
    attestation: bytes
    attested_at: int
    key_version: int
    revoked: bool


class GrantRecord(_Record):
    """``IGrantRegistry.Grant`` (``status`` is the stored one: see ``statusOf``)."""

    grant_id: bytes
    owner_pseudonym: bytes
    consumer_id: bytes
    resource_ids: list[bytes]
    purpose: int
    data_from: int
    data_to: int
    not_before: int
    not_after: int
    #: Uses allowed of each resource (a budget per resource: see ``ContractSet.uses_of``).
    max_uses: int
    #: Uses recorded over all resources.
    uses: int
    mode: GrantMode
    status: GrantStatus
    requested_at: int
    updated_at: int
    document_digest: bytes
    owner_signature: bytes


class StatusChangeRecord(_Record):
    """``IGrantRegistry.StatusChange``."""

    at: int
    status: GrantStatus


class AnchorRecord(_Record):
    """``IReceiptLedger.Anchor``."""

    provider_id: bytes
    seq: int
    first_index: int
    size: int
    anchored_at: int
    root: bytes
    prev_root: bytes
    block_number: int
    gateway_signature: bytes


def from_struct(model: type[_Model], struct: Any) -> _Model:
    """Build ``model`` from a struct as web3 returns it (a named tuple or a mapping)."""
    items: Mapping[str, Any] = struct if isinstance(struct, Mapping) else struct._asdict()
    return model.model_validate({snake(k): _plain(v) for k, v in items.items()})


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
