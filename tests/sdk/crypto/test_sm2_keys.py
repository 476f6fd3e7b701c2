"""Loading, saving and validating SM2 keys: PEM, raw points, encrypted PKCS#8, bad input."""

from __future__ import annotations

import base64

import pytest

from quancheng.crypto import (
    InvalidKey,
    InvalidParameter,
    SM2PrivateKey,
    SM2PublicKey,
    sm3,
)
from quancheng.crypto._curve import SM2P256


def test_private_key_pem_round_trip_keeps_the_key(key: SM2PrivateKey) -> None:
    pem = key.to_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    again = SM2PrivateKey.from_pem(pem)
    assert again.private_value == key.private_value
    assert again.public_key() == key.public_key()


def test_private_key_pem_accepts_text(key: SM2PrivateKey) -> None:
    assert SM2PrivateKey.from_pem(key.to_pem().decode()).public_key() == key.public_key()


def test_encrypted_private_key_needs_the_right_password(key: SM2PrivateKey) -> None:
    pem = key.to_pem(password=b"correct horse")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert SM2PrivateKey.from_pem(pem, b"correct horse").private_value == key.private_value
    with pytest.raises(InvalidKey):
        SM2PrivateKey.from_pem(pem, b"wrong")
    with pytest.raises(InvalidKey):
        SM2PrivateKey.from_pem(pem)


def test_password_for_a_clear_key_is_refused(key: SM2PrivateKey) -> None:
    with pytest.raises(InvalidKey):
        SM2PrivateKey.from_pem(key.to_pem(), b"unexpected")


def test_empty_password_is_refused_when_saving(key: SM2PrivateKey) -> None:
    with pytest.raises(InvalidParameter):
        key.to_pem(password=b"")


def test_public_key_pem_and_der_round_trip(key: SM2PrivateKey) -> None:
    pub = key.public_key()
    assert pub.to_pem().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert SM2PublicKey.from_pem(pub.to_pem()) == pub
    assert SM2PublicKey.from_der(pub.to_der()) == pub


def test_public_key_bytes_are_the_65_byte_uncompressed_point(key: SM2PrivateKey) -> None:
    point = key.public_key().to_bytes()
    assert len(point) == 65 and point[0] == 0x04
    assert SM2PublicKey.from_bytes(point) == key.public_key()


def test_64_byte_raw_key_is_refused_by_from_bytes_and_accepted_by_from_raw64(
    key: SM2PrivateKey,
) -> None:
    raw64 = key.public_key().to_bytes()[1:]
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_bytes(raw64)
    assert SM2PublicKey.from_raw64(raw64) == key.public_key()


@pytest.mark.parametrize("size", [0, 33, 63, 66, 129])
def test_from_raw64_refuses_other_sizes(size: int) -> None:
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_raw64(bytes(size))


def test_compressed_point_is_refused(key: SM2PrivateKey) -> None:
    point = key.public_key().to_bytes()
    compressed = bytes([2 + (point[-1] & 1)]) + point[1:33]
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_bytes(compressed)


def test_wrong_prefix_byte_is_refused(key: SM2PrivateKey) -> None:
    point = bytearray(key.public_key().to_bytes())
    point[0] = 0x06  # hybrid form
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_bytes(bytes(point))


def test_point_not_on_the_curve_is_refused(key: SM2PrivateKey) -> None:
    point = bytearray(key.public_key().to_bytes())
    point[-1] ^= 0x01
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_bytes(bytes(point))


def test_coordinates_not_reduced_mod_p_are_refused() -> None:
    x, y = SM2P256.g
    unreduced = b"\x04" + (x + SM2P256.p).to_bytes(33, "big")[1:] + y.to_bytes(32, "big")
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_bytes(unreduced)


def test_point_at_infinity_encoding_is_refused() -> None:
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_bytes(b"\x00")
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_bytes(b"\x04" + bytes(64))


@pytest.mark.parametrize(
    "pem",
    [
        b"",
        b"garbage",
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
    ],
)
def test_garbage_pem_is_refused_with_invalid_key(pem: bytes) -> None:
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_pem(pem)
    with pytest.raises(InvalidKey):
        SM2PrivateKey.from_pem(pem)


def test_private_pem_is_not_a_public_key(key: SM2PrivateKey) -> None:
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_pem(key.to_pem())


@pytest.mark.parametrize("value", [0, -1, SM2P256.n - 1, SM2P256.n, SM2P256.n + 5])
def test_private_value_outside_1_to_n_minus_2_is_refused(value: int) -> None:
    with pytest.raises(InvalidKey):
        SM2PrivateKey.from_int(value)


def test_private_value_bounds_are_accepted() -> None:
    assert SM2PrivateKey.from_int(1).public_key().to_bytes()[1:33] == SM2P256.gx.to_bytes(32, "big")
    SM2PrivateKey.from_int(SM2P256.n - 2)


def test_equal_points_are_equal_keys_and_hash_alike(key: SM2PrivateKey) -> None:
    a = key.public_key()
    b = SM2PublicKey.from_bytes(a.to_bytes())
    assert a == b and hash(a) == hash(b)
    assert len({a, b, SM2PrivateKey.generate().public_key()}) == 2


def test_fingerprint_is_the_sm3_of_the_point(key: SM2PrivateKey) -> None:
    pub = key.public_key()
    assert pub.fingerprint() == sm3(pub.to_bytes()).hex()


def test_repr_never_shows_the_private_value(key: SM2PrivateKey) -> None:
    text = repr(key)
    assert f"{key.private_value:x}" not in text.lower()
    assert key.public_key().fingerprint()[:16] in text


def test_generated_keys_differ() -> None:
    assert SM2PrivateKey.generate().public_key() != SM2PrivateKey.generate().public_key()


def test_pkcs8_whose_public_key_is_not_d_times_g_is_refused(
    key: SM2PrivateKey, other_key: SM2PrivateKey
) -> None:
    # Tongsuo loads such a file as is; signatures would then bind Z_A to the wrong point.
    lines = key.to_pem().decode().splitlines()
    der = base64.b64decode("".join(lines[1:-1]))
    ours, theirs = key.public_key().to_bytes(), other_key.public_key().to_bytes()
    assert der.count(ours) == 1
    spliced = base64.encodebytes(der.replace(ours, theirs)).decode()
    pem = f"-----BEGIN PRIVATE KEY-----\n{spliced}-----END PRIVATE KEY-----\n"
    with pytest.raises(InvalidKey):
        SM2PrivateKey.from_pem(pem)
