"""Sealing data to a recipient's SM2 key (hybrid encryption with SM2, SM3 and SM4).

Envelope format, version 1, suite 1 (all integers big-endian)::

    offset  size  field
    0       4     magic  b"QCSE"
    4       1     version = 1
    5       1     suite   = 1: SM2 key transport + SM3 KDF + SM4-GCM
    6       2     n, length of the wrapped seed
    8       n     wrapped seed: SM2 encryption (GB/T 32918.4, DER SM2Cipher) of 32 random
                  bytes to the recipient; its fresh ephemeral key k is the sender's
    8+n     ...   SM4-GCM ciphertext ‖ 16-byte tag

Key and nonce: ``K ‖ IV = KDF_SM3(seed ‖ "quancheng/seal/v1" ‖ recipient point, 16 + 12)``
with the counter KDF of GB/T 32918.4.  The GCM additional data is the whole header
(bytes 0 … 8+n) followed by the caller's ``aad``, so any change to the framing, the
wrapped seed, the ciphertext or the AAD makes :func:`open_sealed` fail.

Why SM2 key transport rather than ECDH: Tongsuo refuses ``EVP_PKEY_derive`` on SM2 keys,
and the standard's own public-key encryption already is an ephemeral-key KEM with the
SM3 KDF, native and constant time on both sides.
"""

from __future__ import annotations

import secrets
from typing import NamedTuple

from quancheng.crypto.errors import (
    DecryptionFailed,
    MalformedEnvelope,
    UnsupportedEnvelopeVersion,
)
from quancheng.crypto.sm2 import SM2PrivateKey, SM2PublicKey
from quancheng.crypto.sm3 import sm3_kdf
from quancheng.crypto.sm4 import (
    SM4_GCM_NONCE_SIZE,
    SM4_GCM_TAG_SIZE,
    SM4_KEY_SIZE,
    SM4Key,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)

__all__ = [
    "ENVELOPE_MAGIC",
    "ENVELOPE_VERSION",
    "Envelope",
    "open_sealed",
    "parse_envelope",
    "seal",
]

#: First four bytes of every sealed envelope.
ENVELOPE_MAGIC = b"QCSE"
#: The version :func:`seal` writes.
ENVELOPE_VERSION = 1
_SUITE_SM2_SM3_SM4GCM = 1
_SUPPORTED = ((ENVELOPE_VERSION, _SUITE_SM2_SM3_SM4GCM),)
_SEED_SIZE = 32
_HEADER_SIZE = 8
# The DER SM2Cipher of a 32-byte seed is about 140 bytes; far outside that is garbage.
_WRAPPED_MIN, _WRAPPED_MAX = 100, 160
_LABEL = b"quancheng/seal/v1"
_SCHEME = "sealed envelope v1"


class Envelope(NamedTuple):
    """The parsed framing of a sealed envelope (nothing in it is authenticated yet).

    Attributes:
        version: Format version.
        suite: Algorithm suite.
        header: Bytes 0 … 8+n, authenticated as GCM additional data.
        wrapped_seed: The SM2 ciphertext of the seed.
        ciphertext: SM4-GCM ciphertext ‖ tag.
    """

    version: int
    suite: int
    header: bytes
    wrapped_seed: bytes
    ciphertext: bytes


def _derive(seed: bytes, recipient: SM2PublicKey) -> tuple[SM4Key, bytes]:
    okm = sm3_kdf(seed + _LABEL + recipient.to_bytes(), SM4_KEY_SIZE + SM4_GCM_NONCE_SIZE)
    return SM4Key(okm[:SM4_KEY_SIZE]), okm[SM4_KEY_SIZE:]


def seal(recipient_public_key: SM2PublicKey, plaintext: bytes, *, aad: bytes = b"") -> bytes:
    """Encrypt ``plaintext`` so that only the holder of the recipient's private key can read it.

    Args:
        recipient_public_key: The recipient's SM2 key.
        plaintext: The data (any length, including empty).
        aad: Context bound to the ciphertext but not encrypted (e.g. a grant id); the
            same bytes must be given to :func:`open_sealed`.

    Returns:
        A version-1 envelope (see the module documentation).
    """
    seed = secrets.token_bytes(_SEED_SIZE)
    wrapped = recipient_public_key.encrypt(seed)
    header = (
        ENVELOPE_MAGIC
        + bytes([ENVELOPE_VERSION, _SUITE_SM2_SM3_SM4GCM])
        + len(wrapped).to_bytes(2, "big")
        + wrapped
    )
    key, nonce = _derive(seed, recipient_public_key)
    return header + sm4_gcm_encrypt(key, nonce, plaintext, header + aad)


def parse_envelope(sealed: bytes) -> Envelope:
    """Split an envelope into its parts, checking only the framing.

    Raises:
        MalformedEnvelope: If the bytes are not framed as an envelope.
        UnsupportedEnvelopeVersion: If the version or suite is unknown to this SDK.
    """
    sealed = bytes(sealed)
    if len(sealed) < _HEADER_SIZE:
        raise MalformedEnvelope(f"{len(sealed)} bytes is shorter than the header")
    if sealed[:4] != ENVELOPE_MAGIC:
        raise MalformedEnvelope("bad magic, not a Quancheng sealed envelope")
    version, suite = sealed[4], sealed[5]
    if (version, suite) not in _SUPPORTED:
        raise UnsupportedEnvelopeVersion(version, suite, _SUPPORTED)
    n = int.from_bytes(sealed[6:8], "big")
    if not _WRAPPED_MIN <= n <= _WRAPPED_MAX:
        raise MalformedEnvelope(f"wrapped seed length {n} out of range")
    end = _HEADER_SIZE + n
    if len(sealed) < end + SM4_GCM_TAG_SIZE:
        raise MalformedEnvelope("truncated")
    return Envelope(version, suite, sealed[:end], sealed[_HEADER_SIZE:end], sealed[end:])


def open_sealed(private_key: SM2PrivateKey, sealed: bytes, *, aad: bytes = b"") -> bytes:
    """Check and decrypt an envelope made by :func:`seal`.

    Args:
        private_key: The recipient's SM2 private key.
        sealed: The envelope.
        aad: The additional data given to :func:`seal`.

    Returns:
        The plaintext.

    Raises:
        MalformedEnvelope: If the framing is wrong.
        UnsupportedEnvelopeVersion: If the version or suite is unknown.
        DecryptionFailed: If the key is not the recipient's, or anything was tampered with.
    """
    env = parse_envelope(sealed)
    try:
        seed = private_key.decrypt(env.wrapped_seed)
    except DecryptionFailed:
        raise DecryptionFailed(_SCHEME) from None
    if len(seed) != _SEED_SIZE:
        raise DecryptionFailed(_SCHEME)
    key, nonce = _derive(seed, private_key.public_key())
    try:
        return sm4_gcm_decrypt(key, nonce, env.ciphertext, env.header + aad)
    except DecryptionFailed:
        raise DecryptionFailed(_SCHEME) from None
