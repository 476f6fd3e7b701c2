"""Conversions between the two encodings of an SM2 ciphertext.

GB/T 32918.4 defines the ciphertext as the byte string ``C1 ‖ C3 ‖ C2`` (C1 the point
``0x04 ‖ x ‖ y``, C3 the 32-byte SM3 check, C2 the masked message).  GM/T 0009 wraps the
same parts in DER (``SM2Cipher``), which is what OpenSSL and this SDK emit.  Many
libraries and HSMs speak the raw form; convert at that boundary.
"""

from __future__ import annotations

from quancheng.crypto._curve import SM2P256
from quancheng.crypto._der import DERError, decode_sm2_cipher, encode_sm2_cipher
from quancheng.crypto.errors import InvalidParameter

__all__ = ["c1c3c2_to_der", "der_to_c1c3c2"]

_C1 = 65
_C3 = 32


def der_to_c1c3c2(der: bytes) -> bytes:
    """Turn a DER ``SM2Cipher`` into the raw ``C1 ‖ C3 ‖ C2`` byte string.

    Raises:
        InvalidParameter: If ``der`` is not a strict DER ``SM2Cipher``.
    """
    try:
        x, y, c3, c2 = decode_sm2_cipher(bytes(der))
    except DERError as exc:
        raise InvalidParameter("ciphertext", f"not a DER SM2Cipher ({exc})") from None
    if x >= SM2P256.p or y >= SM2P256.p or len(c3) != _C3:
        raise InvalidParameter("ciphertext", "C1 coordinates or C3 length out of range")
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big") + c3 + c2


def c1c3c2_to_der(raw: bytes) -> bytes:
    """Turn a raw ``C1 ‖ C3 ‖ C2`` ciphertext (C1 with its 0x04) into a DER ``SM2Cipher``.

    Raises:
        InvalidParameter: If it is too short or C1 is not an uncompressed point.
    """
    raw = bytes(raw)
    if len(raw) <= _C1 + _C3 or raw[0] != 0x04:
        raise InvalidParameter("ciphertext", "expected 0x04 ‖ x ‖ y ‖ C3 ‖ C2 with C2 non-empty")
    x = int.from_bytes(raw[1:33], "big")
    y = int.from_bytes(raw[33:_C1], "big")
    return encode_sm2_cipher(x, y, raw[_C1 : _C1 + _C3], raw[_C1 + _C3 :])
