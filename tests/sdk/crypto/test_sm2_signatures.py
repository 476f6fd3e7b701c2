"""SM2 signatures: round trips, user IDs, and every way a bad signature must be refused.

A verify raises :class:`InvalidSignature` — and nothing else — for any signature that is
not the one strict DER encoding of a valid (r, s): that is what lets callers treat it as
a plain yes/no and never leak a library exception to a client.
"""

from __future__ import annotations

import random

import pytest
from gmssl import sm2 as gm_sm2

from quancheng.crypto import (
    DEFAULT_USER_ID,
    MAX_USER_ID_LENGTH,
    InvalidParameter,
    InvalidSignature,
    SM2PrivateKey,
)
from quancheng.crypto._curve import SM2P256
from quancheng.crypto._der import decode_signature, encode_signature

MSG = "授权书 #42: 车管所 → 保险公司".encode()
USER_IDS = [DEFAULT_USER_ID, b"ALICE123@YAHOO.COM", b""]


def _int_tlv(value_bytes: bytes) -> bytes:
    return b"\x02" + bytes([len(value_bytes)]) + value_bytes


def _seq(body: bytes) -> bytes:
    return b"\x30" + bytes([len(body)]) + body


@pytest.mark.parametrize("user_id", USER_IDS)
def test_signature_round_trips(session_key: SM2PrivateKey, user_id: bytes) -> None:
    sig = session_key.sign(MSG, user_id=user_id)
    session_key.public_key().verify(sig, MSG, user_id=user_id)


def test_signatures_are_randomized(session_key: SM2PrivateKey) -> None:
    assert session_key.sign(MSG) != session_key.sign(MSG)


def test_signature_is_der_with_r_and_s_in_range(session_key: SM2PrivateKey) -> None:
    r, s = decode_signature(session_key.sign(MSG))
    assert 1 <= r < SM2P256.n and 1 <= s < SM2P256.n


def test_empty_message_signs_and_verifies(session_key: SM2PrivateKey) -> None:
    session_key.public_key().verify(session_key.sign(b""), b"")


def test_longest_user_id_is_accepted_and_one_more_byte_is_refused(
    session_key: SM2PrivateKey,
) -> None:
    longest = b"i" * MAX_USER_ID_LENGTH
    session_key.public_key().verify(session_key.sign(MSG, user_id=longest), MSG, user_id=longest)
    with pytest.raises(InvalidParameter):
        session_key.sign(MSG, user_id=longest + b"i")
    with pytest.raises(InvalidParameter):
        session_key.public_key().verify(b"", MSG, user_id=longest + b"i")


@pytest.mark.parametrize("user_id", USER_IDS)
def test_wrong_key_is_refused(
    session_key: SM2PrivateKey, other_key: SM2PrivateKey, user_id: bytes
) -> None:
    with pytest.raises(InvalidSignature):
        other_key.public_key().verify(session_key.sign(MSG, user_id=user_id), MSG, user_id=user_id)


@pytest.mark.parametrize("user_id", USER_IDS)
def test_wrong_message_is_refused(session_key: SM2PrivateKey, user_id: bytes) -> None:
    sig = session_key.sign(MSG, user_id=user_id)
    with pytest.raises(InvalidSignature):
        session_key.public_key().verify(sig, MSG + b".", user_id=user_id)


@pytest.mark.parametrize(
    ("signed_with", "checked_with"),
    [(DEFAULT_USER_ID, b"ALICE123@YAHOO.COM"), (b"ALICE123@YAHOO.COM", DEFAULT_USER_ID),
     (DEFAULT_USER_ID, b""), (b"", DEFAULT_USER_ID)],
)  # fmt: skip
def test_wrong_user_id_is_refused(
    session_key: SM2PrivateKey, signed_with: bytes, checked_with: bytes
) -> None:
    sig = session_key.sign(MSG, user_id=signed_with)
    with pytest.raises(InvalidSignature):
        session_key.public_key().verify(sig, MSG, user_id=checked_with)


def _malformed_variants(sig: bytes) -> dict[str, bytes]:
    r, s = decode_signature(sig)
    n = SM2P256.n
    r_body = r.to_bytes(32, "big").lstrip(b"\x00")
    r_body = (b"\x00" + r_body) if r_body[0] & 0x80 else r_body
    s_body = s.to_bytes(32, "big").lstrip(b"\x00")
    s_body = (b"\x00" + s_body) if s_body[0] & 0x80 else s_body
    body = _int_tlv(r_body) + _int_tlv(s_body)
    return {
        "empty": b"",
        "truncated by one byte": sig[:-1],
        "only the header": sig[:2],
        "trailing zero byte": sig + b"\x00",
        "trailing garbage": sig + b"garbage",
        "s replaced by n - s": encode_signature(r, n - s),
        "r replaced by r + n": encode_signature(r + n, s),
        "s replaced by s + n": encode_signature(r, s + n),
        "r and s swapped": encode_signature(s, r),
        "r is zero": encode_signature(0, s),
        "s is zero": encode_signature(r, 0),
        "r is n": encode_signature(n, s),
        "s is n": encode_signature(r, n),
        "extra leading zero on r": _seq(_int_tlv(b"\x00" + r_body) + _int_tlv(s_body)),
        "extra leading zero on s": _seq(_int_tlv(r_body) + _int_tlv(b"\x00" + s_body)),
        "r as a negative integer": _seq(_int_tlv(b"\xff" + r_body) + _int_tlv(s_body)),
        "long-form sequence length": b"\x30\x81" + bytes([len(body)]) + body,
        "indefinite length (BER)": b"\x30\x80" + body + b"\x00\x00",
        "sequence length too long": b"\x30" + bytes([len(body) + 1]) + body,
        "sequence length too short": b"\x30" + bytes([len(body) - 1]) + body,
        "third integer in the sequence": _seq(body + _int_tlv(b"\x01")),
        "set instead of sequence": b"\x31" + sig[1:],
        "raw r||s instead of DER": r.to_bytes(32, "big") + s.to_bytes(32, "big"),
        "hex text instead of DER": sig.hex().encode(),
    }


@pytest.mark.parametrize("user_id", [DEFAULT_USER_ID, b"ALICE123@YAHOO.COM"])
def test_every_malformed_or_malleated_signature_is_refused(
    session_key: SM2PrivateKey, user_id: bytes
) -> None:
    sig = session_key.sign(MSG, user_id=user_id)
    pub = session_key.public_key()
    for name, bad in _malformed_variants(sig).items():
        with pytest.raises(InvalidSignature):
            pub.verify(bad, MSG, user_id=user_id)
            pytest.fail(f"accepted: {name}")
    pub.verify(sig, MSG, user_id=user_id)  # the untouched one still verifies


@pytest.mark.parametrize("user_id", [DEFAULT_USER_ID, b"ALICE123@YAHOO.COM"])
def test_every_single_bit_flip_is_refused(session_key: SM2PrivateKey, user_id: bytes) -> None:
    sig = session_key.sign(MSG, user_id=user_id)
    pub = session_key.public_key()
    for i in range(len(sig) * 8):
        flipped = bytearray(sig)
        flipped[i // 8] ^= 1 << (i % 8)
        with pytest.raises(InvalidSignature):
            pub.verify(bytes(flipped), MSG, user_id=user_id)


def test_random_garbage_only_ever_raises_invalid_signature(session_key: SM2PrivateKey) -> None:
    rng = random.Random(20240601)
    pub = session_key.public_key()
    sig = session_key.sign(MSG)
    candidates = [rng.randbytes(rng.randrange(0, 90)) for _ in range(300)]
    # Garbage that starts like a signature gets past the first checks.
    for _ in range(300):
        candidates.append(sig[: rng.randrange(0, len(sig))] + rng.randbytes(rng.randrange(0, 8)))
    for bad in candidates:
        if bad == sig:
            continue
        with pytest.raises(InvalidSignature):
            pub.verify(bad, MSG)


def test_our_signatures_verify_in_pure_python_gmssl() -> None:
    # Independent check of Z_A and the signature equation.  gmssl strips leading '0'/'4'
    # characters from public keys (not a "04" prefix), so use keys it parses correctly.
    key = SM2PrivateKey.generate()
    while key.public_key().to_bytes()[1:].hex()[0] in "04":
        key = SM2PrivateKey.generate()
    peer = gm_sm2.CryptSM2(private_key="", public_key=key.public_key().to_bytes()[1:].hex())
    for _ in range(5):
        r, s = decode_signature(key.sign(MSG))
        assert peer.verify_with_sm3(f"{r:064x}{s:064x}", MSG)
        assert not peer.verify_with_sm3(f"{r:064x}{s:064x}", MSG + b"!")
