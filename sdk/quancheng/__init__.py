"""泉城链 (Quancheng Chain) SDK: national crypto, chain client, gateway client, wallet, verifier.

A bank asks a small business owner for their tax records, then reads them from the tax
bureau's gateway with every answer verified against the chain::

    from datetime import timedelta
    from quancheng import ConsumerClient, GrantMode, Institution, Purpose

    me = Institution.load("bank.jinan", sm2_key="keys/sm2.pem", chain_key_file="keys/chain.key")
    with ConsumerClient(me, "manifest.json", "https://rpc.quancheng.example") as client:
        grant = client.request_grant(
            owner_pseudonym, None, {"tax.payments": ["amount", "period", "tax_type"]},
            Purpose.SME_CREDIT, GrantMode.RAW, "2024-01-01", "2024-12-31",
            valid_for=timedelta(days=30), max_uses=3,
        )
        client.wait_for_grant(grant.grant_id, timeout=3600)  # the owner approves in the portal
        answer = client.query(grant.grant_id, "tax.payments", ["amount", "period"])
        decide_credit(answer.data, evidence=answer.evidence())  # signed request + answer
        proof = client.wait_for_anchor(answer)  # receipt proven in a batch anchored on chain

Refusals raise the protocol's typed exceptions (``GrantRevoked``, ``FieldNotGranted``, ...);
an answer that does not verify raises an :class:`AnswerVerificationError` subclass naming the
failed check. Names are imported lazily, so ``import quancheng`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from quancheng.errors import (
    ChainError,
    ConfigError,
    CryptoError,
    GatewayError,
    GrantError,
    QuanchengError,
)

__version__ = "0.1.0"

#: Public name → the module that defines it (imported on first use).
_LAZY: dict[str, str] = {
    # identities and clients
    "Institution": "quancheng.identity",
    "IdentityError": "quancheng.identity",
    "ConsumerClient": "quancheng.client",
    "AsyncConsumerClient": "quancheng.client_async",
    "GatewayClient": "quancheng.gateway_client",
    "AsyncGatewayClient": "quancheng.gateway_client",
    "RetryPolicy": "quancheng.gateway_client",
    "GatewayUnavailable": "quancheng.gateway_client",
    "GatewayTimeout": "quancheng.gateway_client",
    "OwnerWallet": "quancheng.wallet",
    "OwnedGrant": "quancheng.wallet",
    "ForeignGrantDocument": "quancheng.wallet",
    "WalletNotBound": "quancheng.wallet",
    "IdentityAuthority": "quancheng.authority",
    "Attestation": "quancheng.authority",
    "RelayReceipt": "quancheng.authority",
    "StaleActionDocument": "quancheng.authority",
    "UnattestedOwner": "quancheng.authority",
    # grants
    "GrantRequestHandle": "quancheng.grants",
    "RequestedGrant": "quancheng.grants",
    "GrantNotFound": "quancheng.grants",
    "GrantDocumentMismatch": "quancheng.grants",
    "MalformedGrantDocument": "quancheng.grants",
    "OwnerSignatureInvalid": "quancheng.grants",
    "GrantStatus": "quancheng.chain.types",
    "GrantMode": "quancheng.protocol.documents",
    "Purpose": "quancheng.protocol.purposes",
    "GrantTier": "quancheng.protocol.purposes",
    # client errors
    "ResourceNotInCatalogue": "quancheng.client_errors",
    "OwnerKeyMismatch": "quancheng.client_errors",
    "GrantWaitTimeout": "quancheng.client_errors",
    "GrantEndedWhileWaiting": "quancheng.client_errors",
    "AnchorWaitTimeout": "quancheng.client_errors",
    "MembershipError": "quancheng.client_errors",
    "ScenarioPurposeRequired": "quancheng.client_errors",
    "ArgumentError": "quancheng._util",
    # the consumer's side of the evidence
    "EvidenceStore": "quancheng.evidence",
    "EvidenceError": "quancheng.evidence_errors",
    "EvidenceStoreError": "quancheng.evidence_errors",
    "EvidenceAppendOnly": "quancheng.evidence_errors",
    "EvidenceBundleInvalid": "quancheng.evidence_errors",
    "EvidenceSignatureInvalid": "quancheng.evidence_errors",
    "MissingFields": "quancheng.verify_errors",
    # verification
    "VerifiedAnswer": "quancheng.verified",
    "ReceiptInclusion": "quancheng.verified",
    "ReceiptProof": "quancheng.verified",
    "verify_answer": "quancheng.verify",
    "verify_receipt": "quancheng.verify",
    "verify_inclusion": "quancheng.verify",
    "verify_grant_document": "quancheng.verify",
    "verify_attestation": "quancheng.attestations",
    "AttestationInvalid": "quancheng.attestations",
    "VerificationError": "quancheng.verify_errors",
    "AnswerVerificationError": "quancheng.verify_errors",
    "ReceiptVerificationError": "quancheng.verify_errors",
    "ProofVerificationError": "quancheng.verify_errors",
    # refusals
    "Refusal": "quancheng.protocol.refusals",
    "GrantRefusal": "quancheng.protocol.refusals",
    "ReceiptNotAnchored": "quancheng.protocol.refusals",
}

if TYPE_CHECKING:
    from quancheng._util import ArgumentError
    from quancheng.attestations import AttestationInvalid, verify_attestation
    from quancheng.authority import (
        Attestation,
        IdentityAuthority,
        RelayReceipt,
        StaleActionDocument,
        UnattestedOwner,
    )
    from quancheng.chain.types import GrantStatus
    from quancheng.client import ConsumerClient
    from quancheng.client_async import AsyncConsumerClient
    from quancheng.client_errors import (
        AnchorWaitTimeout,
        GrantEndedWhileWaiting,
        GrantWaitTimeout,
        MembershipError,
        OwnerKeyMismatch,
        ResourceNotInCatalogue,
        ScenarioPurposeRequired,
    )
    from quancheng.evidence import EvidenceStore
    from quancheng.evidence_errors import (
        EvidenceAppendOnly,
        EvidenceBundleInvalid,
        EvidenceError,
        EvidenceSignatureInvalid,
        EvidenceStoreError,
    )
    from quancheng.gateway_client import (
        AsyncGatewayClient,
        GatewayClient,
        GatewayTimeout,
        GatewayUnavailable,
        RetryPolicy,
    )
    from quancheng.grants import (
        GrantDocumentMismatch,
        GrantNotFound,
        GrantRequestHandle,
        MalformedGrantDocument,
        OwnerSignatureInvalid,
        RequestedGrant,
    )
    from quancheng.identity import IdentityError, Institution
    from quancheng.protocol.documents import GrantMode
    from quancheng.protocol.purposes import GrantTier, Purpose
    from quancheng.protocol.refusals import GrantRefusal, ReceiptNotAnchored, Refusal
    from quancheng.verified import ReceiptInclusion, ReceiptProof, VerifiedAnswer
    from quancheng.verify import (
        verify_answer,
        verify_grant_document,
        verify_inclusion,
        verify_receipt,
    )
    from quancheng.verify_errors import (
        AnswerVerificationError,
        MissingFields,
        ProofVerificationError,
        ReceiptVerificationError,
        VerificationError,
    )
    from quancheng.wallet import ForeignGrantDocument, OwnedGrant, OwnerWallet, WalletNotBound


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'quancheng' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "AnchorWaitTimeout",
    "AnswerVerificationError",
    "ArgumentError",
    "AsyncConsumerClient",
    "AsyncGatewayClient",
    "Attestation",
    "AttestationInvalid",
    "ChainError",
    "ConfigError",
    "ConsumerClient",
    "CryptoError",
    "EvidenceAppendOnly",
    "EvidenceBundleInvalid",
    "EvidenceError",
    "EvidenceSignatureInvalid",
    "EvidenceStore",
    "EvidenceStoreError",
    "ForeignGrantDocument",
    "GatewayClient",
    "GatewayError",
    "GatewayTimeout",
    "GatewayUnavailable",
    "GrantDocumentMismatch",
    "GrantEndedWhileWaiting",
    "GrantError",
    "GrantMode",
    "GrantNotFound",
    "GrantRefusal",
    "GrantRequestHandle",
    "GrantStatus",
    "GrantTier",
    "GrantWaitTimeout",
    "IdentityAuthority",
    "IdentityError",
    "Institution",
    "MalformedGrantDocument",
    "MembershipError",
    "MissingFields",
    "OwnedGrant",
    "OwnerKeyMismatch",
    "OwnerSignatureInvalid",
    "OwnerWallet",
    "ProofVerificationError",
    "Purpose",
    "QuanchengError",
    "ReceiptInclusion",
    "ReceiptNotAnchored",
    "ReceiptProof",
    "ReceiptVerificationError",
    "Refusal",
    "RelayReceipt",
    "RequestedGrant",
    "ResourceNotInCatalogue",
    "RetryPolicy",
    "ScenarioPurposeRequired",
    "StaleActionDocument",
    "UnattestedOwner",
    "VerificationError",
    "VerifiedAnswer",
    "WalletNotBound",
    "__version__",
    "verify_answer",
    "verify_attestation",
    "verify_grant_document",
    "verify_inclusion",
    "verify_receipt",
]
