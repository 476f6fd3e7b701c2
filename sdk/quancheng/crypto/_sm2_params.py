"""SM2 parameters shared by the key classes: user IDs, Z_A, point checks, wire types."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NewType

from tongsuopy.crypto import serialization as _ser
from tongsuopy.crypto.asymciphers import ec as _ec

from quancheng.crypto import _native
from quancheng.crypto._curve import SM2P256
from quancheng.crypto.errors import InvalidKey, InvalidParameter
from quancheng.crypto.sm3 import SM3Digest, sm3

__all__ = [
    "DEFAULT_USER_ID",
    "MAX_USER_ID_LENGTH",
    "KeyFingerprint",
    "SM2Signature",
    "check_tongsuo_key",
    "check_user_id",
    "compute_za",
    "point_of",
    "validate_point",
]

#: The default SM2 user ID (distinguishing identifier) of GM/T 0009.
DEFAULT_USER_ID = b"1234567812345678"
#: Z_A encodes the ID's length in bits on 16 bits, so IDs are at most 8191 bytes.
MAX_USER_ID_LENGTH = 0xFFFF // 8

#: A DER-encoded SM2 signature ``SEQUENCE { r INTEGER, s INTEGER }``.
SM2Signature = NewType("SM2Signature", bytes)
#: Hex SM3 digest of a public key's 65-byte uncompressed point.
KeyFingerprint = NewType("KeyFingerprint", str)

_POINT_SIZE = 65


def check_user_id(user_id: bytes) -> None:
    """Refuse a user ID whose bit length does not fit ENTL's 16 bits."""
    if len(user_id) > MAX_USER_ID_LENGTH:
        raise InvalidParameter("user_id", f"at most {MAX_USER_ID_LENGTH} bytes")


@lru_cache(maxsize=1024)
def compute_za(point: bytes, user_id: bytes = DEFAULT_USER_ID) -> SM3Digest:
    """Compute Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) (GB/T 32918.2, 5.5).

    Args:
        point: The signer's 65-byte uncompressed public key.
        user_id: The signer's user ID.

    Returns:
        Z_A.

    Raises:
        InvalidParameter: If the ID is longer than :data:`MAX_USER_ID_LENGTH`.
    """
    check_user_id(user_id)
    entl = (len(user_id) * 8).to_bytes(2, "big")
    return sm3(entl + user_id + SM2P256.za_prefix() + point[1:])


def point_of(key: Any) -> bytes:
    """The 65-byte uncompressed point of a tongsuopy public key."""
    return bytes(key.public_bytes(_ser.Encoding.X962, _ser.PublicFormat.UncompressedPoint))


def validate_point(point: bytes) -> None:
    """Refuse anything but ``0x04 ‖ x ‖ y`` with (x, y) on the SM2 curve."""
    if len(point) != _POINT_SIZE or point[0] != 0x04:
        raise InvalidKey(
            "SM2 public key",
            f"expected 65 bytes 0x04 ‖ x ‖ y, got {len(point)} bytes"
            + (f" starting 0x{point[0]:02x}" if point else ""),
        )
    x, y = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
    if not SM2P256.is_on_curve(x, y):
        raise InvalidKey("SM2 public key", "point is not on the SM2 curve")


def check_tongsuo_key(key: Any, kind: str) -> None:
    """Refuse a tongsuopy key that is not an SM2-typed key on the SM2 curve.

    A key typed plain EC on the SM2 curve would make Tongsuo compute ECDSA, not SM2.
    """
    want = _ec.EllipticCurvePrivateKey if "private" in kind else _ec.EllipticCurvePublicKey
    if not isinstance(key, want) or key.curve.name != "SM2" or not _native.is_sm2_key(key):
        raise InvalidKey(kind, "not an SM2 key on the recommended curve")
