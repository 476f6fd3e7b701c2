"""Recipes: the few calls most code needs, with no algorithm choices left to get wrong.

* :func:`sign_document` / :func:`verify_document` — SM2 with the default user ID over
  the RFC 8785 canonical JSON of an object; OpenSSL verifies the same signature over the
  same canonical bytes.
* :class:`SignedDocument` — a document, its signer and signature, checked against the
  signer the caller expects.
* :func:`pseudonym` — a keyed, domain-separated HMAC-SM3 of a predictable identifier
  (citizen ID number, plate, credit code), so nothing on chain can be brute-forced back.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NewType

from quancheng.crypto.canonical import canonical_json
from quancheng.crypto.errors import InvalidKey, InvalidParameter, InvalidSignature
from quancheng.crypto.sm2 import SM2PrivateKey, SM2PublicKey, SM2Signature
from quancheng.crypto.sm3 import SM3Digest, sm3, sm3_hmac

__all__ = [
    "PSEUDONYM_KEY_MIN_SIZE",
    "Pseudonym",
    "SignedDocument",
    "normalize_identifier",
    "pseudonym",
    "sign_document",
    "verify_document",
]

#: A 32-byte keyed pseudonym of an identifier.
Pseudonym = NewType("Pseudonym", bytes)

#: Pseudonym keys shorter than this are refused: the key is all that protects the IDs.
PSEUDONYM_KEY_MIN_SIZE = 16
_PSEUDONYM_DOMAIN = b"quancheng/pseudonym/v1\x00"
_ID_KIND = re.compile(r"[a-z][a-z0-9_.-]{0,63}")


def sign_document(private_key: SM2PrivateKey, obj: Any) -> SM2Signature:
    """Sign the canonical JSON of ``obj`` (SM2, SM3, default user ID, DER).

    Args:
        private_key: The signer's key.
        obj: A JSON-compatible value, usually a ``dict``.

    Returns:
        The DER signature.

    Raises:
        NotCanonicalizable: If ``obj`` has no canonical JSON form.
    """
    return private_key.sign(canonical_json(obj))


def verify_document(public_key: SM2PublicKey, obj: Any, signature: bytes) -> None:
    """Check a :func:`sign_document` signature.

    Args:
        public_key: The key the caller trusts to have signed.
        obj: The document as received (any key order: it is canonicalized here).
        signature: The DER signature.

    Raises:
        InvalidSignature: If the signature is not valid for this key and document.
        NotCanonicalizable: If ``obj`` has no canonical JSON form.
    """
    public_key.verify(signature, canonical_json(obj))


@dataclass(frozen=True, slots=True)
class SignedDocument:
    """A JSON document together with its signer and SM2 signature.

    The canonical bytes are what is kept, so the document cannot drift from what was
    signed.  :meth:`verify` takes the expected signer: a signature that is merely valid
    under the key it carries proves nothing.

    Attributes:
        canonical: RFC 8785 bytes of the document.
        signer: The signer's public key.
        signature: DER signature over ``canonical``.
    """

    canonical: bytes
    signer: SM2PublicKey
    signature: SM2Signature

    @classmethod
    def create(cls, private_key: SM2PrivateKey, document: Mapping[str, Any]) -> SignedDocument:
        """Canonicalize and sign ``document``.

        Raises:
            NotCanonicalizable: If the document has no canonical JSON form.
        """
        canonical = canonical_json(dict(document))
        return cls(canonical, private_key.public_key(), private_key.sign(canonical))

    @property
    def document(self) -> dict[str, Any]:
        """A fresh copy of the signed document."""
        value: dict[str, Any] = json.loads(self.canonical)
        return value

    @property
    def digest(self) -> SM3Digest:
        """SM3 of the canonical bytes: the document's identity on chain."""
        return sm3(self.canonical)

    def verify(self, expected_signer: SM2PublicKey) -> None:
        """Check that ``expected_signer`` signed exactly this document.

        Raises:
            InvalidSignature: If the signer is another key or the signature is invalid.
        """
        if self.signer != expected_signer:
            raise InvalidSignature("signed by another key than the expected signer")
        self.signer.verify(self.signature, self.canonical)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: the document, and the signer and signature in hex."""
        return {
            "document": self.document,
            "signer": self.signer.to_bytes().hex(),
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedDocument:
        """Rebuild from :meth:`to_dict` output (nothing is verified yet).

        Raises:
            InvalidParameter: If a field is missing or not of the expected form.
            InvalidKey: If the signer is not a valid SM2 public key.
            NotCanonicalizable: If the document has no canonical JSON form.
        """
        try:
            document, signer_hex, sig_hex = data["document"], data["signer"], data["signature"]
            signer_raw, signature = bytes.fromhex(signer_hex), bytes.fromhex(sig_hex)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidParameter("signed document", f"malformed ({exc!r})") from None
        if not isinstance(document, Mapping):
            raise InvalidParameter("signed document", "document must be a JSON object")
        signer = SM2PublicKey.from_bytes(signer_raw)
        return cls(canonical_json(dict(document)), signer, SM2Signature(signature))


def normalize_identifier(identifier: str) -> str:
    """Normalize an identifier before pseudonymization: NFKC, trimmed, upper case.

    NFKC folds full-width input (``１２３``, common with Chinese IMEs) to ASCII, and upper
    case makes a trailing ``x`` of a resident ID number equal to ``X``.

    Raises:
        InvalidParameter: If nothing is left, or it contains control characters.
    """
    text = unicodedata.normalize("NFKC", identifier).strip().upper()
    if not text:
        raise InvalidParameter("identifier", "empty after normalization")
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise InvalidParameter("identifier", "contains control characters")
    return text


def pseudonym(secret_key: bytes, id_kind: str, identifier: str) -> Pseudonym:
    """Return the keyed pseudonym of ``identifier`` for ``id_kind`` (HMAC-SM3, 32 bytes).

    The message is ``"quancheng/pseudonym/v1\\0" ‖ len(kind) ‖ kind ‖ len(id) ‖ id``, so
    the same number under two kinds (say ``resident_id`` and ``plate``) gives unrelated
    pseudonyms and no concatenation can collide.

    Args:
        secret_key: At least 16 random bytes, held by the identity authority.
        id_kind: A lowercase token naming the identifier scheme, e.g. ``"resident_id"``.
        identifier: The identifier; normalized with :func:`normalize_identifier`.

    Returns:
        The 32-byte pseudonym.

    Raises:
        InvalidKey: If the key is shorter than 16 bytes.
        InvalidParameter: If ``id_kind`` or ``identifier`` is malformed.
    """
    if len(secret_key) < PSEUDONYM_KEY_MIN_SIZE:
        raise InvalidKey("pseudonym key", f"must be at least {PSEUDONYM_KEY_MIN_SIZE} bytes")
    if not _ID_KIND.fullmatch(id_kind):
        raise InvalidParameter("id_kind", "must match [a-z][a-z0-9_.-]{0,63}")
    ident = normalize_identifier(identifier).encode("utf-8")
    if len(ident) > 0xFFFF:
        raise InvalidParameter("identifier", "longer than 65535 bytes")
    kind = id_kind.encode("ascii")
    message = _PSEUDONYM_DOMAIN + bytes([len(kind)]) + kind + len(ident).to_bytes(2, "big") + ident
    return Pseudonym(sm3_hmac(bytes(secret_key), message))
