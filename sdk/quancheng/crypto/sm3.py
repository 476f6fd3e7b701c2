"""SM3 (GB/T 32905): digests, streaming hashing, HMAC-SM3 and the SM3 counter KDF.

Backed by OpenSSL through ``cryptography`` (hundreds of MB/s); the pure-Python ``gmssl``
is only used by the tests as an independent cross-check.
"""

from __future__ import annotations

import hmac as _stdlib_hmac
from typing import NewType

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _hmac

from quancheng.crypto.errors import InvalidParameter

__all__ = [
    "SM3_DIGEST_SIZE",
    "SM3Digest",
    "SM3Hasher",
    "SM3Mac",
    "sm3",
    "sm3_hmac",
    "sm3_hmac_verify",
    "sm3_kdf",
]

#: Size of an SM3 digest in bytes.
SM3_DIGEST_SIZE = 32

#: A 32-byte SM3 digest.
SM3Digest = NewType("SM3Digest", bytes)
#: A 32-byte HMAC-SM3 tag.
SM3Mac = NewType("SM3Mac", bytes)

_SM3 = hashes.SM3()


def sm3(data: bytes) -> SM3Digest:
    """Hash ``data`` with SM3.

    Args:
        data: The message.

    Returns:
        The 32-byte digest.
    """
    h = hashes.Hash(_SM3)
    h.update(data)
    return SM3Digest(h.finalize())


class SM3Hasher:
    """Incremental SM3, for messages that do not fit in memory.

    Example:
        >>> h = SM3Hasher()
        >>> h.update(b"ab"); h.update(b"c")
        >>> h.hexdigest()[:8]
        '66c7f0f4'
    """

    __slots__ = ("_ctx",)

    def __init__(self, data: bytes = b"") -> None:
        """Start a new hash, optionally with a first chunk.

        Args:
            data: Bytes to hash first.
        """
        self._ctx = hashes.Hash(_SM3)
        if data:
            self._ctx.update(data)

    def update(self, data: bytes) -> None:
        """Feed more bytes.

        Args:
            data: The next chunk of the message.
        """
        self._ctx.update(data)

    def copy(self) -> SM3Hasher:
        """Return an independent hasher in the same state."""
        clone = SM3Hasher.__new__(SM3Hasher)
        clone._ctx = self._ctx.copy()
        return clone

    def digest(self) -> SM3Digest:
        """Return the digest of everything fed so far; the hasher stays usable."""
        return SM3Digest(self._ctx.copy().finalize())

    def hexdigest(self) -> str:
        """Return :meth:`digest` as lowercase hex."""
        return self.digest().hex()


def sm3_hmac(key: bytes, data: bytes) -> SM3Mac:
    """Compute HMAC-SM3 (RFC 2104 with SM3).

    Args:
        key: The secret key; any length, but at least 16 random bytes are expected.
        data: The message.

    Returns:
        The 32-byte tag.

    Raises:
        InvalidParameter: If ``key`` is empty.
    """
    if not key:
        raise InvalidParameter("key", "HMAC-SM3 key must not be empty")
    mac = _hmac.HMAC(key, _SM3)
    mac.update(data)
    return SM3Mac(mac.finalize())


def sm3_hmac_verify(key: bytes, data: bytes, tag: bytes) -> bool:
    """Check an HMAC-SM3 tag in constant time.

    Args:
        key: The secret key.
        data: The message.
        tag: The tag to check.

    Returns:
        Whether the tag is correct.
    """
    return _stdlib_hmac.compare_digest(sm3_hmac(key, data), tag)


def sm3_kdf(z: bytes, length: int) -> bytes:
    """Derive ``length`` bytes from the shared secret ``z`` (KDF of GB/T 32918.4, 5.4.3).

    ``K = SM3(Z ‖ ct₁) ‖ SM3(Z ‖ ct₂) ‖ …`` with a 32-bit big-endian counter from 1,
    truncated to ``length`` bytes.

    Args:
        z: The input keying material.
        length: Number of bytes to derive, 1 to 32 × (2³² − 1).

    Returns:
        The derived bytes.

    Raises:
        InvalidParameter: If ``length`` is out of range.
    """
    if length <= 0 or length > SM3_DIGEST_SIZE * 0xFFFFFFFF:
        raise InvalidParameter("length", f"must be in 1..{SM3_DIGEST_SIZE * 0xFFFFFFFF}")
    base = hashes.Hash(_SM3)
    base.update(z)
    out = bytearray()
    counter = 1
    while len(out) < length:
        h = base.copy()
        h.update(counter.to_bytes(4, "big"))
        out += h.finalize()
        counter += 1
    return bytes(out[:length])
