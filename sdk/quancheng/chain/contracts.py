"""The five contracts of a deployment, bound to a web3 client, with typed reads and events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.types import LogReceipt, TxReceipt

from quancheng.chain._abiutil import enum_of, signature
from quancheng.chain.client import call
from quancheng.chain.manifest import Manifest
from quancheng.chain.records import (
    AnchorRecord,
    GrantRecord,
    InstitutionRecord,
    OwnerRecord,
    ProposalRecord,
    ResourceRecord,
    StatusChangeRecord,
    from_struct,
)
from quancheng.chain.types import GrantStatus, Role

__all__ = ["ContractSet", "DecodedEvent"]


@dataclass(frozen=True)
class DecodedEvent:
    """One log of a receipt, decoded against the deployment's ABIs."""

    contract: str
    name: str
    args: dict[str, Any]
    address: str
    log_index: int


class ContractSet:
    """The deployment described by a manifest, on one web3 client.

    Attributes:
        registry, catalogue, owners, grants, receipts, sm2: web3 contracts (``decode_tuples``
            on, so structs come back as named tuples); ``sm2`` is the on-chain SM2/SM3 verifier.
    """

    def __init__(self, w3: Web3, manifest: Manifest) -> None:
        self.w3 = w3
        self.manifest = manifest
        self.by_name: dict[str, Contract] = {
            name: w3.eth.contract(
                address=to_checksum_address(record.address), abi=record.abi, decode_tuples=True
            )
            for name, record in manifest.contracts.items()
        }
        self.registry = self.by_name["ConsortiumRegistry"]
        self.catalogue = self.by_name["DataCatalogue"]
        self.owners = self.by_name["OwnerRegistry"]
        self.grants = self.by_name["GrantRegistry"]
        self.receipts = self.by_name["ReceiptLedger"]
        self.sm2 = self.by_name["Sm2Verifier"]
        self._by_address = {c.address: (name, c) for name, c in self.by_name.items()}
        self._events: dict[tuple[str, bytes], dict[str, Any]] = {}
        for name, contract in self.by_name.items():
            for entry in contract.abi:
                if entry.get("type") == "event" and not entry.get("anonymous"):
                    topic = Web3.keccak(text=signature(entry))
                    self._events[(name, bytes(topic))] = dict(entry)

    # ----------------------------------------------------------------------- events

    def decode_events(self, receipt: TxReceipt) -> list[DecodedEvent]:
        """The logs of ``receipt`` emitted by this deployment, decoded, in order."""
        decoded = []
        for log in receipt["logs"]:
            event = self.decode_log(log)
            if event is not None:
                decoded.append(event)
        return decoded

    def decode_log(self, log: LogReceipt) -> DecodedEvent | None:
        """Decode one log, or None if no contract of this deployment emitted it."""
        found = self._by_address.get(to_checksum_address(log["address"]))
        if found is None or not log["topics"]:
            return None
        name, contract = found
        entry = self._events.get((name, bytes(log["topics"][0])))
        if entry is None:
            return None
        data = contract.events[entry["name"]]().process_log(log)
        args = {k: _convert(entry, k, v) for k, v in data["args"].items()}
        return DecodedEvent(name, str(entry["name"]), args, contract.address, int(log["logIndex"]))

    # ------------------------------------------------------------------ typed reads

    def institution(self, institution_id: bytes) -> InstitutionRecord:
        """The institution with this id (status NONE if unknown)."""
        raw = call(self.registry.functions.getInstitution(institution_id))
        return from_struct(InstitutionRecord, raw)

    def institution_of(self, account: str) -> bytes:
        """The id of the institution bound to ``account`` (32 zero bytes if none)."""
        return bytes(call(self.registry.functions.institutionOf(to_checksum_address(account))))

    def is_active_member(self, account: str, role: Role) -> bool:
        """True when ``account`` belongs to an ACTIVE institution holding ``role``."""
        fn = self.registry.functions.isActiveMember(to_checksum_address(account), int(role))
        return bool(call(fn))

    def proposal(self, proposal_id: int) -> ProposalRecord:
        """A committee proposal (reverts with ConsortiumRegistryUnknownProposal if none)."""
        return from_struct(ProposalRecord, call(self.registry.functions.getProposal(proposal_id)))

    def resource(self, resource_id: bytes) -> ResourceRecord:
        """The catalogue entry (all zero if unknown)."""
        return from_struct(ResourceRecord, call(self.catalogue.functions.getResource(resource_id)))

    def owner(self, pseudonym: bytes) -> OwnerRecord:
        """The owner's attested key (all zero if unknown)."""
        return from_struct(OwnerRecord, call(self.owners.functions.getOwner(pseudonym)))

    def grant(self, grant_id: bytes) -> GrantRecord:
        """The grant as stored (status NONE if unknown; see :meth:`grant_status`)."""
        return from_struct(GrantRecord, call(self.grants.functions.getGrant(grant_id)))

    def grant_status(self, grant_id: bytes, at: int | None = None) -> GrantStatus:
        """The grant's status now, or at unix time ``at`` (EXPIRED derived)."""
        fn = (
            self.grants.functions.statusOf(grant_id)
            if at is None
            else self.grants.functions.statusAt(grant_id, at)
        )
        return GrantStatus(call(fn))

    def uses_of(self, grant_id: bytes, resource_id: bytes) -> int:
        """Uses of the resource recorded under the grant (``max_uses`` is a budget per resource)."""
        return int(call(self.grants.functions.usesOf(grant_id, resource_id)))

    def decision_seq(self, grant_id: bytes) -> int:
        """The number the grant's next owner decision must carry (0 while pending)."""
        return int(call(self.grants.functions.decisionSeq(grant_id)))

    def is_identity_authority(self, institution_id: bytes) -> bool:
        """True when the institution is an ACTIVE identity authority (it alone binds owner keys)."""
        return bool(call(self.registry.functions.isIdentityAuthority(institution_id)))

    def grant_history(self, grant_id: bytes) -> list[StatusChangeRecord]:
        """The grant's stored status changes, oldest first."""
        raw = call(self.grants.functions.statusHistory(grant_id))
        return [from_struct(StatusChangeRecord, change) for change in raw]

    def anchor(self, provider_id: bytes, seq: int) -> AnchorRecord:
        """Anchor ``seq`` of the provider (reverts with ReceiptLedgerUnknownAnchor if none)."""
        raw = call(self.receipts.functions.getAnchor(provider_id, seq))
        return from_struct(AnchorRecord, raw)

    def next_seq(self, provider_id: bytes) -> int:
        """The sequence number of the provider's next batch."""
        return int(call(self.receipts.functions.nextSeq(provider_id)))


def _convert(entry: Mapping[str, Any], name: str, value: Any) -> Any:
    for arg in entry.get("inputs", ()):
        enum = enum_of(arg) if arg["name"] == name else None
        if enum is not None:
            return enum(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, list | tuple):
        return [bytes(v) if isinstance(v, bytes) else v for v in value]
    return value
