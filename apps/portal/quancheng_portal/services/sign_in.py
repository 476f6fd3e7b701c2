"""Signing an owner in with the key bound to them on chain.

The browser asks for a challenge (random, single use, bound to its anonymous session, valid
for ``ttl`` seconds) and signs the canonical document

    {"challenge": "0x…", "origin": "https://…", "owner_key": "0x04…",
     "type": "quancheng.portal.sign-in/1"}

with the key it holds; to act for an enterprise (its legal representative signing in) the
document also names the enterprise, ``"uscc": "9137…"``, and the key must be the one bound to
the enterprise's pseudonym. A person's sign-in (no ``uscc``) refuses a key bound to a
registered enterprise, so neither can pass for the other. The portal spends the challenge
first (so a captured or failed attempt cannot be tried again), checks the signature, then asks
the chain whose current, unrevoked key this is: a key never bound, replaced by a re-binding,
or revoked signs nobody in.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from quancheng.crypto import InvalidKey, InvalidSignature, SM2PublicKey, canonical_json
from quancheng_portal.core import errors as e
from quancheng_portal.core.enterprises import normalize_uscc
from quancheng_portal.core.sessions import SessionStore
from quancheng_portal.models import PortalSession
from quancheng_portal.services.owners import Owners

__all__ = ["SIGN_IN_TYPE", "KeySignIn", "SignedIn", "sign_in_document"]

SIGN_IN_TYPE = "quancheng.portal.sign-in/1"


def sign_in_document(
    challenge: str, owner_key: str, origin: str | None = None, uscc: str | None = None
) -> bytes:
    """The canonical JSON an owner signs to sign in (``origin``, ``uscc`` omitted when None)."""
    doc = {"type": SIGN_IN_TYPE, "challenge": challenge, "owner_key": owner_key}
    if origin is not None:
        doc["origin"] = origin
    if uscc is not None:
        doc["uscc"] = uscc
    return canonical_json(doc)


@dataclass(frozen=True)
class SignedIn:
    """Who signed in: the pseudonym whose current key signed, and that key (``0x04…``)."""

    pseudonym: bytes
    owner_key: str
    #: The enterprise signed in for (its legal representative holds the key), or None.
    uscc: str | None = None


@dataclass
class KeySignIn:
    """Challenges and their verification."""

    sessions: SessionStore
    owners: Owners
    ttl: int
    clock: Callable[[], float] = time.time

    def challenge(self, session: PortalSession) -> tuple[str, int]:
        """A fresh challenge for this session (replacing any earlier one) and its expiry."""
        challenge = "0x" + secrets.token_hex(32)
        expires_at = int(self.clock()) + self.ttl
        self.sessions.set_challenge(session, challenge, expires_at)
        return challenge, expires_at

    def verify(
        self, session: PortalSession, *, challenge: str, owner_key: str, signature: bytes,
        origin: str | None, expected_origin: str, uscc: str | None = None,
        enterprises: frozenset[bytes] = frozenset(),
    ) -> SignedIn:  # fmt: skip
        """The owner this signed challenge signs in (the challenge is spent either way).

        Raises:
            SignInChallengeInvalid: Not this session's challenge (never issued, replaced,
                already spent).
            SignInChallengeExpired: Issued more than ``ttl`` seconds ago.
            SignInOriginMismatch: Signed for another site.
            MalformedInput: Not an SM2 public key.
            SignInSignatureInvalid: The signature does not verify with ``owner_key``.
            SignInKeyNotBound: The key is nobody's current key on chain.
            UsccInvalid: ``uscc`` is not a unified social credit code.
            SignInWrongOwner: The key is bound to another owner than the one chosen: not the
                enterprise ``uscc`` names, or (a person's sign-in) one of ``enterprises``.
            ChainUnavailable: The chain could not be asked.
        """
        expires_at = self.sessions.take_challenge(session, challenge)
        if expires_at is None:
            raise e.SignInChallengeInvalid()
        if expires_at <= self.clock():
            raise e.SignInChallengeExpired()
        if origin is not None and origin != expected_origin:
            raise e.SignInOriginMismatch(origin=origin)
        if uscc is not None and normalize_uscc(uscc) != uscc:
            raise e.UsccInvalid()
        try:
            key = SM2PublicKey.from_bytes(bytes.fromhex(owner_key.removeprefix("0x")))
        except (InvalidKey, ValueError):
            raise e.MalformedInput(reason="公钥不是有效的 SM2 公钥") from None
        key_hex = "0x" + key.to_bytes().hex()
        try:
            key.verify(signature, sign_in_document(challenge, key_hex, origin, uscc))
        except InvalidSignature:
            raise e.SignInSignatureInvalid() from None
        pseudonym = self.owners.owner_of_key(key.to_bytes())
        if pseudonym is None:
            raise e.SignInKeyNotBound()
        if uscc is None and pseudonym in enterprises:
            raise e.SignInWrongOwner(registered="一家企业", chosen="个人")
        if uscc is not None and pseudonym != self.owners.authority.pseudonym_of("uscc", uscc):
            raise e.SignInWrongOwner(registered="另一位用户", chosen=f"企业（{uscc}）")
        return SignedIn(pseudonym, key_hex, uscc)
