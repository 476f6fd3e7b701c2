"""The identity authority (大数据局): real-name binding of owners, and the owner portal's relay.

The authority is an ACTIVE COMMITTEE institution. It holds the secret key of the pseudonyms,
so only it can turn an ID number into the pseudonym the chain knows; it attests an owner's
SM2 key under that pseudonym after the government app's real-name check; and it relays the
owners' signed decisions on chain. It relays nothing it has not verified: an owner signature
that does not verify with the attested key, a document that is not the grant's, or a stale
action document is refused before any transaction is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from web3.types import TxReceipt

from quancheng._util import ArgumentError, as_bytes32, as_public_key, connect, describe
from quancheng.chain import ContractSet, GrantStatus, Manifest, code32, send_transaction
from quancheng.chain.records import GrantRecord
from quancheng.chain.writes import approve_grant, attest_owner, relay_owner_action
from quancheng.crypto import PSEUDONYM_KEY_MIN_SIZE, SM2PublicKey, pseudonym
from quancheng.errors import GrantError
from quancheng.grants import (
    GrantDocumentMismatch,
    GrantNotFound,
    OwnerSignatureInvalid,
    requested_grant,
)
from quancheng.identity import IdentityError, Institution
from quancheng.protocol import (
    AttestationDocument,
    GrantAction,
    GrantActionDocument,
    signing_bytes,
)
from quancheng.protocol.ids import hex32
from quancheng.verify import signature_valid, verify_grant_document

__all__ = [
    "Attestation",
    "IdentityAuthority",
    "RelayReceipt",
    "StaleActionDocument",
    "UnattestedOwner",
]


class UnattestedOwner(GrantError):
    """The grant's owner has no attested key, or its attestation is revoked.

    Attributes:
        pseudonym: The owner's pseudonym (``0x`` hex).
        reason: Which of the two.
    """

    code = "UNATTESTED_OWNER"

    def __init__(self, pseudonym: bytes, reason: str) -> None:
        self.pseudonym, self.reason = hex32(pseudonym), reason
        super().__init__(f"owner {self.pseudonym}: {reason}")


class StaleActionDocument(GrantError):
    """An action document is too old, predates the grant's last change (a replay), or is
    dated in the future.

    Attributes:
        at: The document's time (unix seconds).
        now: The authority's time.
        reason: Which of the three.
    """

    code = "STALE_ACTION_DOCUMENT"

    def __init__(self, at: int, now: int, reason: str) -> None:
        self.at, self.now, self.reason = at, now, reason
        super().__init__(f"action document dated {at}: {reason}; sign the decision again")


@dataclass(frozen=True)
class Attestation:
    """An owner key attested on chain.

    Attributes:
        pseudonym: The owner's pseudonym.
        document: The attestation document (its canonical bytes travel in ``OwnerAttested``).
        signature: The authority's DER SM2 signature over its canonical bytes.
        tx_hash: The attesting transaction.
    """

    pseudonym: bytes
    document: AttestationDocument
    signature: bytes
    tx_hash: str


@dataclass(frozen=True)
class RelayReceipt:
    """An owner decision recorded on chain.

    Attributes:
        grant_id: The grant.
        action: What was relayed.
        tx_hash: The transaction.
        block_number: Its block.
    """

    grant_id: bytes
    action: GrantAction
    tx_hash: str
    block_number: int


class IdentityAuthority:
    """The identity authority's operations.

    Args:
        institution: The authority (an ACTIVE COMMITTEE member).
        pseudonym_key: The secret key of pseudonyms (at least 16 random bytes).
        manifest: The deployment manifest, or its path.
        rpc_url: The chain node's JSON-RPC URL.
        clock: Wall-clock seconds (injectable for tests).
        max_action_age: Oldest action document relayed, in seconds.
        max_clock_skew: How far in the future an action document may be dated.

    Raises:
        IdentityError: The pseudonym key is too short.
    """

    def __init__(
        self,
        institution: Institution,
        pseudonym_key: bytes,
        manifest: Manifest | Path | str,
        rpc_url: str,
        *,
        clock: Callable[[], float] = time.time,
        max_action_age: float = 600.0,
        max_clock_skew: float = 120.0,
    ) -> None:
        if len(pseudonym_key) < PSEUDONYM_KEY_MIN_SIZE:
            raise IdentityError("pseudonym key", f"at least {PSEUDONYM_KEY_MIN_SIZE} bytes")
        self.institution = institution
        self._pseudonym_key = bytes(pseudonym_key)
        self._contracts = connect(rpc_url, manifest)
        self._clock = clock
        self._max_age, self._max_skew = max_action_age, max_clock_skew

    @property
    def contracts(self) -> ContractSet:
        """The deployment."""
        return self._contracts

    def __repr__(self) -> str:
        return f"IdentityAuthority({self.institution.code!r})"

    # ------------------------------------------------------------------------- identities

    def pseudonym_of(self, id_kind: str, identifier: str) -> bytes:
        """The keyed pseudonym of an identifier (e.g. ``"resident_id"``, an ID number)."""
        return bytes(pseudonym(self._pseudonym_key, id_kind, identifier))

    def attest(
        self, owner_public_key: SM2PublicKey | bytes | str, id_kind: str, identifier: str
    ) -> bytes:
        """Attest an owner's key under the pseudonym of their (real-name checked) identity.

        Returns:
            The pseudonym (give it to the owner's wallet: :meth:`OwnerWallet.bind`).

        Raises:
            RevertError: The registry refused (e.g. ``OwnerRegistrySm2KeyBound``).
        """
        return self.attest_document(owner_public_key, id_kind, identifier).pseudonym

    def attest_document(
        self, owner_public_key: SM2PublicKey | bytes | str, id_kind: str, identifier: str
    ) -> Attestation:
        """:meth:`attest`, returning the attestation document and signature as well."""
        return self.attest_pseudonym(owner_public_key, self.pseudonym_of(id_kind, identifier))

    def attest_pseudonym(
        self, owner_public_key: SM2PublicKey | bytes | str, owner_pseudonym: bytes | str
    ) -> Attestation:
        """Attest an owner's key under a pseudonym this authority computed earlier.

        For a portal that kept the pseudonym of a real-name check (an enrollment code's),
        never the ID number itself.

        Raises:
            RevertError: The registry refused (e.g. ``OwnerRegistrySm2KeyBound``).
        """
        key = as_public_key(owner_public_key, "owner public key")
        pseudo = as_bytes32(owner_pseudonym, "pseudonym")
        document = AttestationDocument(
            pseudonym=hex32(pseudo),
            owner_key="0x" + key.to_bytes().hex(),
            attester=self.institution.code,
            attested_at=int(self._clock()),
        )
        canonical = signing_bytes(document)
        signature = bytes(self.institution.sm2_key.sign(canonical))
        receipt = attest_owner(
            self._contracts, self.institution.account, pseudo, key.to_bytes(), canonical, signature
        )
        return Attestation(
            pseudo, document, signature, "0x" + bytes(receipt["transactionHash"]).hex()
        )

    def revoke_attestation(self, owner_pseudonym: bytes | str, reason: str) -> str:
        """Revoke an owner's attestation (``reason``: a short ASCII code); the tx hash."""
        fn = self._contracts.owners.functions.revokeAttestation(
            as_bytes32(owner_pseudonym, "pseudonym"), code32(reason)
        )
        receipt = send_transaction(self._contracts.w3, self.institution.account, fn)
        return "0x" + bytes(receipt["transactionHash"]).hex()

    # ------------------------------------------------------------------------------ relay

    def relay_approval(self, grant_id: bytes | str, owner_signature: bytes) -> RelayReceipt:
        """Verify the owner's approval of a grant, then record it on chain.

        Raises:
            GrantNotFound: No such grant.
            UnattestedOwner: The grant's owner has no valid attested key.
            GrantDocumentMismatch: The emitted document is not the grant on chain.
            OwnerSignatureInvalid: The signature does not verify with the attested key.
            RevertError: The contract refused (e.g. ``GrantRegistryNotPending``).
        """
        gid = as_bytes32(grant_id, "grant id")
        record = self._grant(gid)
        owner_key = self._attested_key(record.owner_pseudonym)
        request = requested_grant(self._contracts, gid)
        verify_grant_document(
            request.document_bytes, record, owner_key, owner_signature=bytes(owner_signature)
        )
        receipt = approve_grant(
            self._contracts, self.institution.account, gid, request.document_bytes, owner_signature
        )
        return _relayed(gid, GrantAction.APPROVE, receipt)

    def relay_action(
        self, action_document: GrantActionDocument | bytes, owner_signature: bytes
    ) -> RelayReceipt:
        """Verify an owner's signed reject/pause/resume/revoke, then record it on chain.

        Raises:
            ArgumentError: Not a canonical action document, or an ``approve`` action.
            StaleActionDocument: Older than ``max_action_age`` or than the grant's last status
                change (less ``max_clock_skew``), or dated in the future.
            GrantNotFound: No such grant.
            GrantDocumentMismatch: It names another grant document than the grant's.
            UnattestedOwner: The grant's owner has no valid attested key.
            OwnerSignatureInvalid: The signature does not verify with the attested key.
            RevertError: The contract refused (e.g. ``GrantRegistryNotActive``).
        """
        document = _action_document(action_document)
        if document.action is GrantAction.APPROVE:
            raise ArgumentError("action document", "approvals go through relay_approval")
        now = int(self._clock())
        if now - document.at > self._max_age:
            raise StaleActionDocument(document.at, now, f"{now - document.at} s old")
        if document.at - now > self._max_skew:
            raise StaleActionDocument(document.at, now, "dated in the future")
        gid = as_bytes32(document.grant_id, "grant id")
        record = self._grant(gid)
        # A decision signed before the grant's last status change was already overtaken
        # (e.g. a pause replayed after a resume); clocks may differ by max_clock_skew.
        last_change = self._contracts.grant_history(gid)[-1].at
        if document.at < last_change - self._max_skew:
            raise StaleActionDocument(document.at, now, "older than the grant's last change")
        if document.document_digest != hex32(record.document_digest):
            raise GrantDocumentMismatch(
                "document_digest", hex32(record.document_digest), document.document_digest
            )
        owner_key = self._attested_key(record.owner_pseudonym)
        canonical = signing_bytes(document)
        if not signature_valid(owner_key, bytes(owner_signature), canonical):
            raise OwnerSignatureInvalid(document.grant_id, f"{document.action.value} document")
        expected_seq = self._contracts.decision_seq(gid)
        if document.seq != expected_seq:
            raise StaleActionDocument(
                document.at, now, f"decision #{document.seq}, the grant expects #{expected_seq}"
            )
        receipt = relay_owner_action(
            self._contracts,
            self.institution.account,
            document.action.value,  # type: ignore[arg-type]  # checked: not APPROVE
            gid,
            document.seq,
            document.at,
            owner_signature,
        )
        return _relayed(gid, document.action, receipt)

    # -------------------------------------------------------------------------- internals

    def _grant(self, grant_id: bytes) -> GrantRecord:
        record = self._contracts.grant(grant_id)
        if record.status is GrantStatus.NONE:
            raise GrantNotFound(grant_id)
        return record

    def _attested_key(self, owner_pseudonym: bytes) -> SM2PublicKey:
        owner = self._contracts.owner(owner_pseudonym)
        if owner.key_version == 0:
            raise UnattestedOwner(owner_pseudonym, "no attested key")
        if owner.revoked:
            raise UnattestedOwner(owner_pseudonym, "attestation revoked")
        return as_public_key(owner.sm2_public_key, "attested owner key")


def _action_document(value: GrantActionDocument | bytes) -> GrantActionDocument:
    if isinstance(value, GrantActionDocument):
        return value
    try:
        document = GrantActionDocument.model_validate_json(value)
    except ValidationError as exc:
        raise ArgumentError("action document", describe(exc)) from None
    if signing_bytes(document) != bytes(value):
        raise ArgumentError("action document", "not in canonical (RFC 8785) form")
    return document


def _relayed(grant_id: bytes, action: GrantAction, receipt: TxReceipt) -> RelayReceipt:
    tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
    return RelayReceipt(grant_id, action, tx_hash, int(receipt["blockNumber"]))
