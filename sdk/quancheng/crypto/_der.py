"""Strict DER for the two SM2 structures on the wire (GB/T 35276 / GM/T 0009).

``SM2Signature ::= SEQUENCE { r INTEGER, s INTEGER }`` and
``SM2Cipher ::= SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET STRING }``.

Parsing is strict: one encoding per value (minimal lengths, minimal positive integers,
no trailing bytes), so a signature cannot be re-encoded into a second valid form.
"""

from __future__ import annotations

__all__ = [
    "DERError",
    "decode_signature",
    "decode_sm2_cipher",
    "encode_signature",
    "encode_sm2_cipher",
]


class DERError(ValueError):
    """Not the one strict DER encoding expected (internal; callers map it to a typed error)."""


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise DERError("truncated length")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0 or count > 4:
        raise DERError("unsupported length form")
    if pos + 1 + count > len(data):
        raise DERError("truncated length")
    length = int.from_bytes(data[pos + 1 : pos + 1 + count], "big")
    if length < 0x80 or length < 1 << (8 * (count - 1)):
        raise DERError("non-minimal length")
    return length, pos + 1 + count


def _read_tlv(data: bytes, pos: int, tag: int) -> tuple[bytes, int]:
    if pos >= len(data) or data[pos] != tag:
        raise DERError(f"expected tag 0x{tag:02x}")
    length, start = _read_length(data, pos + 1)
    end = start + length
    if end > len(data):
        raise DERError("truncated value")
    return data[start:end], end


def _read_uint(data: bytes, pos: int) -> tuple[int, int]:
    body, end = _read_tlv(data, pos, 0x02)
    if not body:
        raise DERError("empty INTEGER")
    if body[0] & 0x80:
        raise DERError("negative INTEGER")
    if len(body) > 1 and body[0] == 0 and not body[1] & 0x80:
        raise DERError("non-minimal INTEGER")
    return int.from_bytes(body, "big"), end


def _length_bytes(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    size = (n.bit_length() + 7) // 8
    return bytes([0x80 | size]) + n.to_bytes(size, "big")


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _length_bytes(len(body)) + body


def _uint(value: int) -> bytes:
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big")
    return _tlv(0x02, body)


def _read_sequence(data: bytes) -> tuple[bytes, int]:
    body, end = _read_tlv(data, 0, 0x30)
    if end != len(data):
        raise DERError("trailing bytes after SEQUENCE")
    return body, 0


def decode_signature(data: bytes) -> tuple[int, int]:
    """Parse a strict-DER ``SEQUENCE { r, s }``; raises :class:`DERError` otherwise."""
    body, pos = _read_sequence(data)
    r, pos = _read_uint(body, pos)
    s, pos = _read_uint(body, pos)
    if pos != len(body):
        raise DERError("extra fields in signature")
    return r, s


def encode_signature(r: int, s: int) -> bytes:
    """Encode (r, s) as DER ``SEQUENCE { r, s }``."""
    return _tlv(0x30, _uint(r) + _uint(s))


def decode_sm2_cipher(data: bytes) -> tuple[int, int, bytes, bytes]:
    """Parse a strict-DER ``SM2Cipher``: (x, y, C3 hash, C2 ciphertext)."""
    body, pos = _read_sequence(data)
    x, pos = _read_uint(body, pos)
    y, pos = _read_uint(body, pos)
    c3, pos = _read_tlv(body, pos, 0x04)
    c2, pos = _read_tlv(body, pos, 0x04)
    if pos != len(body):
        raise DERError("extra fields in SM2 ciphertext")
    return x, y, c3, c2


def encode_sm2_cipher(x: int, y: int, c3: bytes, c2: bytes) -> bytes:
    """Encode an ``SM2Cipher`` from its parts."""
    return _tlv(0x30, _uint(x) + _uint(y) + _tlv(0x04, c3) + _tlv(0x04, c2))
