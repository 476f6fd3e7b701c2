"""Binding owners' browser keys on chain (the authority's attestation), and finding the owner
whose current key a key is.

The owner's key is made in the browser; before attesting it, the authority asks for proof
that the browser holds the private key (a signature over a challenge bound to the session), so
nobody can bind another person's public key to their own identity and lock them out. Outside
development the session must also hold a one-time enrollment code, which the binding spends
(:mod:`quancheng_portal.core.enrollment`): a session alone never binds or re-binds a key.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from quancheng.authority import Attestation, IdentityAuthority
from quancheng.chain import ContractSet, RevertError, code32
from quancheng.chain.owner_logs import owner_key_history
from quancheng.crypto import InvalidKey, InvalidSignature, SM2PublicKey, canonical_json, sm3
from quancheng.errors import ChainError
from quancheng.protocol import signing_bytes
from quancheng.protocol.ids import hex32
from quancheng_portal.core import errors as e
from quancheng_portal.core.enterprises import DemoOwner
from quancheng_portal.models import OwnerRow
from quancheng_portal.services.labels import cst_text

__all__ = [
    "KEY_PROOF_TYPE",
    "EnrollmentClaim",
    "KeyBinding",
    "KeyChange",
    "Owners",
    "key_proof_challenge",
    "key_proof_document",
]

KEY_PROOF_TYPE = "quancheng.portal.key-proof/1"
_CHALLENGE_DOMAIN = b"quancheng/portal/key-proof/v1\x00"


def key_proof_challenge(session_token_digest: str) -> str:
    """The challenge a browser signs to prove it holds its key (bound to the session)."""
    return "0x" + sm3(_CHALLENGE_DOMAIN + session_token_digest.encode("ascii")).hex()


def key_proof_document(challenge: str, owner_key: str) -> bytes:
    """The canonical JSON the browser signs: ``{challenge, owner_key, type}``."""
    return canonical_json({"type": KEY_PROOF_TYPE, "challenge": challenge, "owner_key": owner_key})


@dataclass(frozen=True)
class KeyBinding:
    """The owner's key as attested on chain.

    Attributes:
        public_key: ``0x04…`` hex.
        tx_hash: The attesting transaction ("" when the key was already attested).
        rotated: True when it replaced another attested key.
    """

    public_key: str
    tx_hash: str
    rotated: bool


@dataclass(frozen=True)
class KeyChange:
    """One line of the owner's key history, as the key page shows it."""

    when: str
    what: str
    authority: str
    fingerprint: str
    current: bool
    tx_hash: str


_KINDS = {
    "bound": "首次登记密钥",
    "rebound": "更换为新密钥（旧密钥随即失效）",
    "reattested": "重新启用原密钥",
    "revoked": "撤销登记（此后不能再以此身份签名）",
}


class EnrollmentClaim(Protocol):
    """The enrollment code a binding spends (outside development)."""

    def claim(self, owner_key: str) -> None:
        """Spend the code for this key, or raise why it cannot be spent."""

    def release(self) -> None:
        """Give the code back: the chain refused, nothing was bound."""


class Owners:
    """Pseudonyms and key attestations, by the identity authority."""

    def __init__(
        self, authority: IdentityAuthority, engine: Engine, clock: Callable[[], float] = time.time
    ) -> None:
        self.authority = authority
        self.contracts = authority.contracts
        self.engine = engine
        self.clock = clock

    def pseudonym_of(self, person: DemoOwner) -> bytes:
        """The keyed pseudonym of the person's resident ID number, or the enterprise's USCC."""
        return bytes(self.authority.pseudonym_of(person.id_kind, person.id_number))

    def attested_key(self, pseudonym: bytes) -> str | None:
        """The owner's attested key (``0x04…``), or None if none or revoked."""
        try:
            owner = self.contracts.owner(pseudonym)
        except ChainError:
            raise e.ChainUnavailable() from None
        if owner.key_version == 0 or owner.revoked:
            return None
        return "0x" + owner.sm2_public_key.hex()

    def owner_of_key(self, public_key: bytes) -> bytes | None:
        """The pseudonym whose current, unrevoked key on chain this is, or None (unbound,
        replaced by a re-binding, or revoked)."""
        try:
            holder = bytes(self.contracts.owners.functions.pseudonymOf(public_key).call())
            if not any(holder):
                return None
            owner = self.contracts.owner(holder)
        except (ChainError, OSError):
            raise e.ChainUnavailable() from None
        if owner.revoked or owner.key_version == 0 or owner.sm2_public_key != public_key:
            return None
        return holder

    def key_history(self, pseudonym: bytes) -> list[KeyChange]:
        """Every binding, re-binding and revocation of the owner's key, newest first, so a key
        bound without the owner's knowledge shows here (with when and by which authority)."""
        try:
            events = owner_key_history(self.contracts, pseudonym)
        except ChainError:
            raise e.ChainUnavailable() from None
        current = self.attested_key(pseudonym)
        directory = self.authority.contracts
        changes: list[KeyChange] = []
        for ev in reversed(events):
            fingerprint = ""
            if ev.public_key:
                fp = SM2PublicKey.from_bytes(bytes.fromhex(ev.public_key[2:])).fingerprint()
                fingerprint = " ".join(fp[i : i + 4] for i in range(0, 16, 4))
            changes.append(
                KeyChange(
                    when=cst_text(ev.timestamp),
                    what=_KINDS[ev.kind],
                    authority=_institution_name(directory, ev.authority),
                    fingerprint=fingerprint,
                    current=bool(current) and ev.public_key == current and not changes,
                    tx_hash=ev.tx_hash,
                )
            )
        return changes

    def bind_key(
        self, *, pseudonym: bytes, public_key: str, proof: bytes, challenge: str, replace: bool,
        enrollment: EnrollmentClaim | None = None,
    ) -> KeyBinding:  # fmt: skip
        """Attest the browser's key for this owner, once it proved it holds the private key,
        spending ``enrollment`` (when given) in the same step.

        Raises:
            MalformedInput: Not an SM2 public key.
            KeyProofInvalid: The proof does not verify with that key.
            KeyMismatch: Another key is attested and ``replace`` is false.
            KeyBoundElsewhere: The key is attested for another owner.
            EnrollmentCodeUsed, EnrollmentCodeExpired, EnrollmentCodeInvalid: ``enrollment``
                cannot be spent (another binding spent it first, or it expired).
            ChainRefused, ChainUnavailable: The chain refused or could not be reached.
        """
        try:
            key = SM2PublicKey.from_bytes(bytes.fromhex(public_key.removeprefix("0x")))
        except (InvalidKey, ValueError):
            raise e.MalformedInput(reason="公钥不是有效的 SM2 公钥") from None
        key_hex = "0x" + key.to_bytes().hex()
        try:
            key.verify(proof, key_proof_document(challenge, key_hex))
        except InvalidSignature:
            raise e.KeyProofInvalid() from None
        current = self.attested_key(pseudonym)
        if current is not None and current != key_hex and not replace:
            raise e.KeyMismatch()
        if current != key_hex:
            self._check_key_free(key, pseudonym)
        if enrollment is not None:
            enrollment.claim(key_hex)
        if current == key_hex:
            return KeyBinding(key_hex, "", rotated=False)
        try:
            attestation = self._attest(pseudonym, key)
        except RevertError as exc:
            if enrollment is not None:
                enrollment.release()
            if exc.error_name == "OwnerRegistrySm2KeyBound":
                raise e.KeyBoundElsewhere() from None
            raise e.ChainRefused(error_name=exc.error_name or "revert") from None
        except (ChainError, OSError):
            # Whether the transaction went through is unknown: the code stays spent.
            raise e.ChainUnavailable() from None
        self._remember(attestation)
        return KeyBinding(key_hex, attestation.tx_hash, rotated=current is not None)

    def _check_key_free(self, key: SM2PublicKey, pseudonym: bytes) -> None:
        try:
            holder = bytes(self.contracts.owners.functions.pseudonymOf(key.to_bytes()).call())
        except (ChainError, OSError):
            raise e.ChainUnavailable() from None
        if any(holder) and holder != pseudonym:
            raise e.KeyBoundElsewhere()

    def _attest(self, pseudonym: bytes, key: SM2PublicKey) -> Attestation:
        """The authority's attestation of ``key`` under a pseudonym it computed earlier (the
        enrollment code's; the ID number itself is not kept)."""
        return self.authority.attest_pseudonym(key, pseudonym)

    def _remember(self, attestation: Attestation) -> None:
        document = attestation.document
        row = OwnerRow(
            pseudonym=document.pseudonym,
            public_key=document.owner_key,
            attestation=signing_bytes(document).decode("utf-8"),
            attestation_signature=base64.b64encode(attestation.signature).decode("ascii"),
            tx_hash=attestation.tx_hash,
            attested_at=document.attested_at,
        )
        with Session(self.engine) as session:
            session.merge(row)
            session.commit()


def pseudonym_hex(pseudonym: bytes) -> str:
    """``0x`` hex of a pseudonym."""
    return hex32(pseudonym)


def _institution_name(contracts: ContractSet, code: str) -> str:
    try:
        name = contracts.institution(code32(code)).name
    except (ChainError, ValueError):
        return code
    return name or code
