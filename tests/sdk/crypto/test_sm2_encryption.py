"""SM2 public-key encryption (GB/T 32918.4): round trips, encodings, gmssl cross-check."""

from __future__ import annotations

import os

import pytest
from gmssl import sm2 as gm_sm2

from quancheng.crypto import (
    DecryptionFailed,
    InvalidParameter,
    SM2PrivateKey,
    c1c3c2_to_der,
    der_to_c1c3c2,
)


@pytest.mark.parametrize("size", [1, 31, 32, 33, 1000])
def test_encryption_round_trips(session_key: SM2PrivateKey, size: int) -> None:
    plaintext = os.urandom(size)
    ct = session_key.public_key().encrypt(plaintext)
    assert session_key.decrypt(ct) == plaintext
    assert len(der_to_c1c3c2(ct)) == 65 + 32 + size


def test_empty_plaintext_is_refused(session_key: SM2PrivateKey) -> None:
    with pytest.raises(InvalidParameter):
        session_key.public_key().encrypt(b"")


def test_other_key_cannot_decrypt(session_key: SM2PrivateKey, other_key: SM2PrivateKey) -> None:
    ct = session_key.public_key().encrypt(b"secret")
    with pytest.raises(DecryptionFailed):
        other_key.decrypt(ct)


def test_tampering_with_any_part_is_detected(session_key: SM2PrivateKey) -> None:
    raw = der_to_c1c3c2(session_key.public_key().encrypt(b"sixteen byte msg"))
    for position in (1, 64, 65, 96, 97, len(raw) - 1):  # C1 x, C1 y, C3, C2
        bad = bytearray(raw)
        bad[position] ^= 0x01
        with pytest.raises(DecryptionFailed):
            session_key.decrypt(c1c3c2_to_der(bytes(bad)))


@pytest.mark.parametrize("garbage", [b"", b"\x30\x00", b"not der", bytes(120)])
def test_malformed_ciphertext_is_refused(session_key: SM2PrivateKey, garbage: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        session_key.decrypt(garbage)


def test_der_and_raw_encodings_convert_both_ways(session_key: SM2PrivateKey) -> None:
    der = session_key.public_key().encrypt(b"hello")
    assert c1c3c2_to_der(der_to_c1c3c2(der)) == der


def test_raw_conversion_refuses_malformed_input() -> None:
    with pytest.raises(InvalidParameter):
        c1c3c2_to_der(b"\x04" + bytes(96))  # no C2
    with pytest.raises(InvalidParameter):
        c1c3c2_to_der(b"\x02" + bytes(100))
    with pytest.raises(InvalidParameter):
        der_to_c1c3c2(b"garbage")


def _gmssl_peer(key: SM2PrivateKey) -> gm_sm2.CryptSM2:
    # gmssl strips any leading '0'/'4' characters of the key, not a "04" prefix: pass the
    # 128 hex digits without prefix (callers pick keys whose x does not start with 0 or 4).
    pub_hex = key.public_key().to_bytes()[1:].hex()
    return gm_sm2.CryptSM2(private_key=f"{key.private_value:064x}", public_key=pub_hex, mode=1)


def _key_gmssl_can_parse() -> SM2PrivateKey:
    while True:
        key = SM2PrivateKey.generate()
        if key.public_key().to_bytes()[1:].hex()[0] not in "04":
            return key


def test_gmssl_ciphertext_decrypts_here() -> None:
    key = _key_gmssl_can_parse()
    raw = _gmssl_peer(key).encrypt(b"cross-check with pure Python")
    assert key.decrypt(c1c3c2_to_der(b"\x04" + raw)) == b"cross-check with pure Python"


def test_our_ciphertext_decrypts_in_gmssl() -> None:
    key = _key_gmssl_can_parse()
    raw = der_to_c1c3c2(key.public_key().encrypt(b"and back again"))
    assert _gmssl_peer(key).decrypt(raw[1:]) == b"and back again"
