"""Typed transaction helpers for the writes the SDK makes: grants, owner actions, attestations,
anchors.

Each helper signs with the given account, sends, waits for the receipt and returns it; every
revert comes back as the typed exception of :mod:`quancheng.chain.errors` (for example
``GrantRegistryNotPending``), exactly as :func:`quancheng.chain.send_transaction` raises it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from quancheng.chain.client import send_transaction
from quancheng.chain.contracts import ContractSet
from quancheng.chain.types import GrantMode

__all__ = [
    "OWNER_ACTIONS",
    "GrantTerms",
    "OwnerAction",
    "anchor_batch",
    "approve_grant",
    "attest_owner",
    "relay_owner_action",
    "request_grant",
]

#: The owner actions that carry an action document (approval signs the grant document).
OwnerAction = Literal["reject", "pause", "resume", "revoke"]
OWNER_ACTIONS: tuple[OwnerAction, ...] = ("reject", "pause", "resume", "revoke")


@dataclass(frozen=True)
class GrantTerms:
    """``IGrantRegistry.GrantRequest``: the terms of a grant as the contract takes them.

    Attributes:
        grant_id: 32 bytes chosen by the consumer.
        owner_pseudonym: The owner's attested pseudonym.
        resource_ids: Catalogue ids (``code32``) in the document's scope order.
        purpose: Purpose code 1..255.
        data_from: Start of the data period, unix seconds, inclusive.
        data_to: End of the data period, unix seconds, inclusive.
        not_before: Start of validity, unix seconds.
        not_after: End of validity, unix seconds.
        max_uses: Maximum number of uses of each resource (> 0; a budget per resource).
        mode: RAW or DERIVED.
        document_digest: SM3 of the canonical grant document.
    """

    grant_id: bytes
    owner_pseudonym: bytes
    resource_ids: tuple[bytes, ...]
    purpose: int
    data_from: int
    data_to: int
    not_before: int
    not_after: int
    max_uses: int
    mode: GrantMode
    document_digest: bytes

    def as_tuple(self) -> tuple[Any, ...]:
        """The ABI tuple of the struct, in the Solidity field order."""
        return (
            self.grant_id,
            self.owner_pseudonym,
            list(self.resource_ids),
            self.purpose,
            self.data_from,
            self.data_to,
            self.not_before,
            self.not_after,
            self.max_uses,
            int(self.mode),
            self.document_digest,
        )


def request_grant(
    contracts: ContractSet,
    consumer: LocalAccount,
    terms: GrantTerms,
    document: bytes,
    consumer_signature: bytes,
) -> TxReceipt:
    """``GrantRegistry.request`` by an ACTIVE CONSUMER.

    Args:
        contracts: The deployment.
        consumer: The consumer's chain account.
        terms: The terms, consistent with ``document``.
        document: The canonical grant document.
        consumer_signature: The consumer's DER SM2 signature over ``document``.
    """
    fn = contracts.grants.functions.request(terms.as_tuple(), document, consumer_signature)
    return send_transaction(contracts.w3, consumer, fn)


def approve_grant(
    contracts: ContractSet,
    relayer: LocalAccount,
    grant_id: bytes,
    document: bytes,
    owner_signature: bytes,
) -> TxReceipt:
    """``GrantRegistry.approve`` relayed by any ACTIVE member; the contract verifies the signature.

    Args:
        contracts: The deployment.
        relayer: Any ACTIVE member's chain account (relaying confers no power).
        grant_id: The grant.
        document: The canonical grant document (its SM3 must be the recorded digest).
        owner_signature: The owner's DER SM2 signature over ``document``.
    """
    fn = contracts.grants.functions.approve(grant_id, document, owner_signature)
    return send_transaction(contracts.w3, relayer, fn)


def relay_owner_action(
    contracts: ContractSet,
    relayer: LocalAccount,
    action: OwnerAction,
    grant_id: bytes,
    seq: int,
    at: int,
    owner_signature: bytes,
) -> TxReceipt:
    """``GrantRegistry.reject|pause|resume|revoke``, relayed by any ACTIVE member.

    The contract rebuilds the decision document from ``(action, grant, seq, at)`` and verifies the
    owner's signature over it; ``seq`` must be the grant's next decision sequence.

    Raises:
        ValueError: If ``action`` is not one of :data:`OWNER_ACTIONS`.
    """
    if action not in OWNER_ACTIONS:
        raise ValueError(f"not an owner action: {action!r}")
    fn = getattr(contracts.grants.functions, action)(grant_id, seq, at, owner_signature)
    return send_transaction(contracts.w3, relayer, fn)


def attest_owner(
    contracts: ContractSet,
    attester: LocalAccount,
    pseudonym: bytes,
    sm2_public_key: bytes,
    attestation_document: bytes,
    attestation: bytes,
) -> TxReceipt:
    """``OwnerRegistry.attest`` by an ACTIVE identity authority.

    Args:
        contracts: The deployment.
        attester: The identity authority's chain account.
        pseudonym: The owner's keyed pseudonym.
        sm2_public_key: The owner's 65-byte SM2 key.
        attestation_document: The canonical attestation document (emitted in ``OwnerAttested``).
        attestation: The attester's DER SM2 signature over ``attestation_document``.
    """
    fn = contracts.owners.functions.attest(
        pseudonym, sm2_public_key, attestation_document, attestation
    )
    return send_transaction(contracts.w3, attester, fn)


def anchor_batch(
    contracts: ContractSet,
    provider: LocalAccount,
    *,
    provider_id: bytes,
    seq: int,
    root: bytes,
    size: int,
    prev_root: bytes,
    signature: bytes,
) -> TxReceipt:
    """``ReceiptLedger.anchor`` by the ACTIVE PROVIDER whose id is ``provider_id``."""
    fn = contracts.receipts.functions.anchor(provider_id, seq, root, size, prev_root, signature)
    return send_transaction(contracts.w3, provider, fn)
