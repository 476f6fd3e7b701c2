"""The data owner's wallet (数字保险箱): an SM2 key that approves, pauses and revokes grants.

The private key never leaves the wallet: it only hands out signatures, which any member (the
identity authority's portal, usually) relays on chain, where the contract verifies them. Before
approving, the wallet checks that the grant document names this owner — a consumer cannot get
a signature for a grant over someone else's data. Every later decision carries the grant's
next decision number (``seq``), so the chain accepts it once and never again.

Example:
    >>> wallet = OwnerWallet.generate()
    >>> pseudonym = authority.attest(wallet.public_key, "resident_id", "370102199001011234")
    >>> wallet.bind(pseudonym)
    >>> for request in wallet.pending_requests(authority):
    ...     authority.relay_approval(request.grant_id, wallet.approve(request.document))
    >>> authority.relay_action(*wallet.decide(authority, GrantAction.PAUSE, grant_id))
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from web3.types import BlockIdentifier

from quancheng._util import ArgumentError, HasContracts, as_bytes32, contracts_of
from quancheng.chain import ContractSet, GrantStatus
from quancheng.chain.records import GrantRecord
from quancheng.crypto import SM2PrivateKey, SM2PublicKey, SM2Signature
from quancheng.errors import ConfigError, GrantError
from quancheng.grants import RequestedGrant, parse_grant_document, requested_grants
from quancheng.protocol import GrantAction, GrantActionDocument, GrantDocument, signing_bytes
from quancheng.protocol.ids import hex32

__all__ = ["ForeignGrantDocument", "OwnedGrant", "OwnerWallet", "WalletNotBound"]


class ForeignGrantDocument(GrantError):
    """The wallet was asked to sign a grant document that names another owner.

    Attributes:
        field: ``owner_pseudonym`` or ``owner_key``.
        expected: This wallet's value.
        actual: The document's value.
    """

    code = "FOREIGN_GRANT_DOCUMENT"

    def __init__(self, field: str, expected: str, actual: str) -> None:
        self.field, self.expected, self.actual = field, expected, actual
        super().__init__(f"the grant document's {field} is {actual}, not this wallet's {expected}")


class WalletNotBound(ConfigError):
    """The wallet has no pseudonym yet: the identity authority has not attested its key."""

    code = "WALLET_NOT_BOUND"

    def __init__(self) -> None:
        super().__init__("this wallet has no pseudonym yet: have its key attested, then bind()")


@dataclass(frozen=True)
class OwnedGrant:
    """One of the owner's grants: the request as signed, and its state on chain.

    Attributes:
        request: The grant request with its decoded document.
        record: The grant as stored on chain.
        status: Its status now.
    """

    request: RequestedGrant
    record: GrantRecord
    status: GrantStatus

    @property
    def grant_id(self) -> bytes:
        """The grant id."""
        return self.request.grant_id

    @property
    def document(self) -> GrantDocument:
        """The grant document."""
        return self.request.document


class OwnerWallet:
    """An owner's SM2 key and pseudonym.

    Args:
        key: The owner's private key.
        pseudonym: The pseudonym the identity authority attested the key under, if known.
        clock: Wall-clock seconds for action documents (injectable for tests).
    """

    def __init__(
        self,
        key: SM2PrivateKey,
        *,
        pseudonym: bytes | str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._clock = clock
        self._pseudonym = None if pseudonym is None else as_bytes32(pseudonym, "pseudonym")

    @classmethod
    def generate(cls, *, pseudonym: bytes | str | None = None) -> OwnerWallet:
        """A wallet with a fresh key."""
        return cls(SM2PrivateKey.generate(), pseudonym=pseudonym)

    @classmethod
    def from_pem(
        cls,
        pem: bytes | str,
        *,
        password: bytes | None = None,
        pseudonym: bytes | str | None = None,
    ) -> OwnerWallet:
        """A wallet from a PKCS#8 PEM key.

        Raises:
            InvalidKey: Not an SM2 key, or the wrong password.
        """
        return cls(SM2PrivateKey.from_pem(pem, password), pseudonym=pseudonym)

    @classmethod
    def load(
        cls,
        path: Path | str,
        *,
        password: bytes | None = None,
        pseudonym: bytes | str | None = None,
    ) -> OwnerWallet:
        """A wallet from a PEM file (see :meth:`save`)."""
        return cls.from_pem(Path(path).read_bytes(), password=password, pseudonym=pseudonym)

    def save(self, path: Path | str, *, password: bytes | None = None) -> None:
        """Write the key as PEM, readable by the owner only (mode 0600)."""
        target = Path(path)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # also when the file existed with wider permissions
        with os.fdopen(fd, "wb") as out:
            out.write(self._key.to_pem(password))

    def bind(self, pseudonym: bytes | str) -> None:
        """Record the pseudonym the identity authority attested this wallet's key under."""
        self._pseudonym = as_bytes32(pseudonym, "pseudonym")

    # ---------------------------------------------------------------------------- views

    @property
    def public_key(self) -> SM2PublicKey:
        """The owner's public key (what the identity authority attests)."""
        return self._key.public_key()

    @property
    def public_key_hex(self) -> str:
        """``0x04…`` hex of the uncompressed public key, as documents carry it."""
        return "0x" + self.public_key.to_bytes().hex()

    @property
    def pseudonym(self) -> bytes:
        """The attested pseudonym.

        Raises:
            WalletNotBound: Not bound yet.
        """
        if self._pseudonym is None:
            raise WalletNotBound()
        return self._pseudonym

    def __repr__(self) -> str:
        bound = "unbound" if self._pseudonym is None else hex32(self._pseudonym)[:18] + "…"
        return f"OwnerWallet(pseudonym={bound}, key={self.public_key.fingerprint()[:16]}…)"

    # ---------------------------------------------------------------------------- signing

    def approve(self, document: GrantDocument | bytes) -> SM2Signature:
        """Sign a grant document to approve it, after checking it names this owner.

        Args:
            document: The grant document, or its canonical bytes.

        Returns:
            The DER signature over the canonical document (for ``relay_approval``).

        Raises:
            MalformedGrantDocument: Bytes that are not a canonical grant document.
            ForeignGrantDocument: It names another pseudonym or key.
            WalletNotBound: The wallet has no pseudonym yet.
        """
        doc = document if isinstance(document, GrantDocument) else parse_grant_document(document)
        mine = hex32(self.pseudonym)
        if doc.owner_pseudonym != mine:
            raise ForeignGrantDocument("owner_pseudonym", mine, doc.owner_pseudonym)
        if doc.owner_key != self.public_key_hex:
            raise ForeignGrantDocument("owner_key", self.public_key_hex, doc.owner_key)
        return self._key.sign(signing_bytes(doc))

    def reject(
        self,
        grant_id: bytes | str,
        document_digest: bytes | str,
        *,
        seq: int,
        at: int | None = None,
    ) -> tuple[GrantActionDocument, SM2Signature]:
        """Sign a rejection of a PENDING grant (see :meth:`act`)."""
        return self.act(GrantAction.REJECT, grant_id, document_digest, seq=seq, at=at)

    def pause(
        self,
        grant_id: bytes | str,
        document_digest: bytes | str,
        *,
        seq: int,
        at: int | None = None,
    ) -> tuple[GrantActionDocument, SM2Signature]:
        """Sign a pause of an ACTIVE grant (see :meth:`act`)."""
        return self.act(GrantAction.PAUSE, grant_id, document_digest, seq=seq, at=at)

    def resume(
        self,
        grant_id: bytes | str,
        document_digest: bytes | str,
        *,
        seq: int,
        at: int | None = None,
    ) -> tuple[GrantActionDocument, SM2Signature]:
        """Sign the resumption of a PAUSED grant (see :meth:`act`)."""
        return self.act(GrantAction.RESUME, grant_id, document_digest, seq=seq, at=at)

    def revoke(
        self,
        grant_id: bytes | str,
        document_digest: bytes | str,
        *,
        seq: int,
        at: int | None = None,
    ) -> tuple[GrantActionDocument, SM2Signature]:
        """Sign the revocation of an ACTIVE or PAUSED grant (see :meth:`act`)."""
        return self.act(GrantAction.REVOKE, grant_id, document_digest, seq=seq, at=at)

    def decide(
        self,
        source: ContractSet | HasContracts,
        action: GrantAction,
        grant_id: bytes | str,
        *,
        at: int | None = None,
    ) -> tuple[GrantActionDocument, SM2Signature]:
        """Sign ``action`` on a grant, reading its document digest and next ``seq`` from chain.

        Args:
            source: A client, the authority, or a ContractSet.
            action: reject, pause, resume or revoke.
            grant_id: The grant.
            at: Unix seconds of the decision (default: now).
        """
        contracts = contracts_of(source)
        gid = as_bytes32(grant_id, "grant id")
        digest = contracts.grant(gid).document_digest
        return self.act(action, gid, digest, seq=contracts.decision_seq(gid), at=at)

    def act(
        self,
        action: GrantAction,
        grant_id: bytes | str,
        document_digest: bytes | str,
        *,
        seq: int,
        at: int | None = None,
    ) -> tuple[GrantActionDocument, SM2Signature]:
        """Build and sign an action document about a grant.

        Args:
            action: reject, pause, resume or revoke.
            grant_id: The grant.
            document_digest: SM3 of its grant document (binds the action to that document).
            seq: The grant's next decision number (``ContractSet.decision_seq``); the chain
                refuses any other, so a decision can be used once and never replayed.
            at: Unix seconds of the decision (default: now).

        Returns:
            The action document and the DER signature over its canonical bytes (for
            ``relay_action``).

        Raises:
            ArgumentError: ``approve`` (sign the grant document instead) or malformed ids.
        """
        if action is GrantAction.APPROVE:
            raise ArgumentError("action", "approval signs the grant document: use approve()")
        document = GrantActionDocument(
            action=action,
            grant_id=hex32(as_bytes32(grant_id, "grant id")),
            document_digest=hex32(as_bytes32(document_digest, "document digest")),
            seq=seq,
            at=int(self._clock()) if at is None else at,
        )
        return document, self._key.sign(signing_bytes(document))

    # --------------------------------------------------------------------------- reading

    def pending_requests(
        self, source: ContractSet | HasContracts, *, from_block: BlockIdentifier | None = None
    ) -> list[RequestedGrant]:
        """Grant requests addressed to this owner that still await a decision, oldest first.

        Args:
            source: A client, the authority, or a ContractSet.
            from_block: Where to start reading events.
        """
        contracts = contracts_of(source)
        return [
            request
            for request in requested_grants(
                contracts, owner_pseudonym=self.pseudonym, from_block=from_block
            )
            if request.document.owner_key == self.public_key_hex
            and contracts.grant_status(request.grant_id) is GrantStatus.PENDING
        ]

    def my_grants(
        self, source: ContractSet | HasContracts, *, from_block: BlockIdentifier | None = None
    ) -> list[OwnedGrant]:
        """Every grant requested from this owner, with its record and status now."""
        contracts = contracts_of(source)
        return [
            OwnedGrant(
                request, contracts.grant(request.grant_id), contracts.grant_status(request.grant_id)
            )
            for request in requested_grants(
                contracts, owner_pseudonym=self.pseudonym, from_block=from_block
            )
        ]
