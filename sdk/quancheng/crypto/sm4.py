"""SM4 (GB/T 32907) in GCM mode, the only SM4 mode the SDK exposes.

GCM with SM4 is the AEAD of RFC 8998.  Nonces are 12 bytes and must never repeat under
one key; :func:`sm4_gcm_encrypt` takes the nonce from the caller because protocols fix
how nonces are built, and :func:`sm4_gcm_seal` draws a random one for everyone else.
"""

from __future__ import annotations

import secrets
from typing import NewType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from quancheng.crypto.errors import DecryptionFailed, InvalidKey, InvalidParameter

__all__ = [
    "SM4_GCM_NONCE_SIZE",
    "SM4_GCM_TAG_SIZE",
    "SM4_KEY_SIZE",
    "SM4Key",
    "SM4Nonce",
    "sm4_gcm_decrypt",
    "sm4_gcm_encrypt",
    "sm4_gcm_open",
    "sm4_gcm_seal",
]

#: SM4 key size in bytes.
SM4_KEY_SIZE = 16
#: GCM nonce size in bytes (the 96-bit nonce of RFC 8998).
SM4_GCM_NONCE_SIZE = 12
#: GCM tag size in bytes; tags are never truncated.
SM4_GCM_TAG_SIZE = 16

#: A 12-byte GCM nonce.
SM4Nonce = NewType("SM4Nonce", bytes)

_SCHEME = "SM4-GCM"


class SM4Key:
    """A 128-bit SM4 key.

    The bytes are kept out of ``repr`` so that a key never lands in a log by accident.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        """Wrap existing key bytes.

        Args:
            key: Exactly 16 bytes.

        Raises:
            InvalidKey: If ``key`` is not 16 bytes.
        """
        if not isinstance(key, bytes | bytearray) or len(key) != SM4_KEY_SIZE:
            raise InvalidKey("SM4 key", f"must be {SM4_KEY_SIZE} bytes")
        self._key = bytes(key)

    @classmethod
    def generate(cls) -> SM4Key:
        """Return a fresh random key from the OS CSPRNG."""
        return cls(secrets.token_bytes(SM4_KEY_SIZE))

    def to_bytes(self) -> bytes:
        """Return the raw 16 key bytes (handle with care)."""
        return self._key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SM4Key):
            return NotImplemented
        return secrets.compare_digest(self._key, other._key)

    def __hash__(self) -> int:
        return hash((SM4Key, self._key))

    def __repr__(self) -> str:
        return "SM4Key(<secret>)"


def _check_nonce(nonce: bytes) -> None:
    if len(nonce) != SM4_GCM_NONCE_SIZE:
        raise InvalidParameter("nonce", f"SM4-GCM nonce must be {SM4_GCM_NONCE_SIZE} bytes")


def sm4_gcm_encrypt(key: SM4Key, nonce: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt and authenticate with SM4-GCM.

    Args:
        key: The SM4 key.
        nonce: 12 bytes, unique for this key.
        plaintext: The data to encrypt.
        aad: Data authenticated but not encrypted.

    Returns:
        ``ciphertext ‖ tag`` (the tag is the last 16 bytes).

    Raises:
        InvalidParameter: If the nonce is not 12 bytes.
    """
    _check_nonce(nonce)
    enc = Cipher(algorithms.SM4(key.to_bytes()), modes.GCM(nonce)).encryptor()
    if aad:
        enc.authenticate_additional_data(aad)
    out = enc.update(plaintext) + enc.finalize()
    return out + enc.tag


def sm4_gcm_decrypt(key: SM4Key, nonce: bytes, ciphertext: bytes, aad: bytes = b"") -> bytes:
    """Check and decrypt the output of :func:`sm4_gcm_encrypt`.

    Args:
        key: The SM4 key.
        nonce: The 12-byte nonce used to encrypt.
        ciphertext: ``ciphertext ‖ tag``.
        aad: The same additional data as at encryption.

    Returns:
        The plaintext.

    Raises:
        InvalidParameter: If the nonce is not 12 bytes.
        DecryptionFailed: If the tag does not match (wrong key, nonce, AAD, or tampering),
            or the input is shorter than a tag.
    """
    _check_nonce(nonce)
    if len(ciphertext) < SM4_GCM_TAG_SIZE:
        raise DecryptionFailed(_SCHEME)
    body, tag = ciphertext[:-SM4_GCM_TAG_SIZE], ciphertext[-SM4_GCM_TAG_SIZE:]
    dec = Cipher(algorithms.SM4(key.to_bytes()), modes.GCM(nonce, tag)).decryptor()
    if aad:
        dec.authenticate_additional_data(aad)
    try:
        return dec.update(body) + dec.finalize()
    except InvalidTag:
        raise DecryptionFailed(_SCHEME) from None


def sm4_gcm_seal(key: SM4Key, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt with a fresh random nonce, returned in front: ``nonce ‖ ciphertext ‖ tag``.

    Random 96-bit nonces are safe for up to about 2³² messages under one key.

    Args:
        key: The SM4 key.
        plaintext: The data to encrypt.
        aad: Data authenticated but not encrypted.

    Returns:
        ``nonce ‖ ciphertext ‖ tag``.
    """
    nonce = SM4Nonce(secrets.token_bytes(SM4_GCM_NONCE_SIZE))
    return nonce + sm4_gcm_encrypt(key, nonce, plaintext, aad)


def sm4_gcm_open(key: SM4Key, sealed: bytes, aad: bytes = b"") -> bytes:
    """Decrypt the output of :func:`sm4_gcm_seal`.

    Args:
        key: The SM4 key.
        sealed: ``nonce ‖ ciphertext ‖ tag``.
        aad: The same additional data as at sealing.

    Returns:
        The plaintext.

    Raises:
        DecryptionFailed: If authentication fails or the input is too short.
    """
    if len(sealed) < SM4_GCM_NONCE_SIZE + SM4_GCM_TAG_SIZE:
        raise DecryptionFailed(_SCHEME)
    return sm4_gcm_decrypt(key, sealed[:SM4_GCM_NONCE_SIZE], sealed[SM4_GCM_NONCE_SIZE:], aad)
