"""SM4-GCM against RFC 8998, and its refusals: wrong key, nonce, AAD, tampering."""

from __future__ import annotations

import pytest

from quancheng.crypto import (
    SM4_GCM_NONCE_SIZE,
    DecryptionFailed,
    InvalidKey,
    InvalidParameter,
    SM4Key,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
    sm4_gcm_open,
    sm4_gcm_seal,
)

# RFC 8998, Appendix A.1 (SM4-GCM test vector).
RFC8998_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
RFC8998_IV = bytes.fromhex("00001234567800000000ABCD")
RFC8998_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
RFC8998_PT = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
RFC8998_CT = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
RFC8998_TAG = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")


def test_gcm_matches_rfc_8998_vector() -> None:
    key = SM4Key(RFC8998_KEY)
    out = sm4_gcm_encrypt(key, RFC8998_IV, RFC8998_PT, RFC8998_AAD)
    assert out == RFC8998_CT + RFC8998_TAG
    assert sm4_gcm_decrypt(key, RFC8998_IV, out, RFC8998_AAD) == RFC8998_PT


@pytest.mark.parametrize("position", [0, 31, len(RFC8998_CT), len(RFC8998_CT) + 15])
def test_a_flipped_bit_in_ciphertext_or_tag_is_refused(position: int) -> None:
    data = bytearray(RFC8998_CT + RFC8998_TAG)
    data[position] ^= 0x01
    with pytest.raises(DecryptionFailed):
        sm4_gcm_decrypt(SM4Key(RFC8998_KEY), RFC8998_IV, bytes(data), RFC8998_AAD)


def test_wrong_aad_is_refused() -> None:
    with pytest.raises(DecryptionFailed):
        sm4_gcm_decrypt(
            SM4Key(RFC8998_KEY), RFC8998_IV, RFC8998_CT + RFC8998_TAG, RFC8998_AAD + b"x"
        )


def test_wrong_key_is_refused() -> None:
    with pytest.raises(DecryptionFailed):
        sm4_gcm_decrypt(SM4Key.generate(), RFC8998_IV, RFC8998_CT + RFC8998_TAG, RFC8998_AAD)


def test_input_shorter_than_a_tag_is_refused() -> None:
    with pytest.raises(DecryptionFailed):
        sm4_gcm_decrypt(SM4Key(RFC8998_KEY), RFC8998_IV, RFC8998_TAG[:15])


@pytest.mark.parametrize("size", [0, 8, 11, 13, 16])
def test_nonce_of_the_wrong_size_is_refused(size: int) -> None:
    with pytest.raises(InvalidParameter):
        sm4_gcm_encrypt(SM4Key.generate(), bytes(size), b"data")


@pytest.mark.parametrize("size", [0, 15, 17, 32])
def test_key_of_the_wrong_size_is_refused(size: int) -> None:
    with pytest.raises(InvalidKey):
        SM4Key(bytes(size))


def test_seal_draws_a_fresh_nonce_and_round_trips() -> None:
    key = SM4Key.generate()
    first, second = sm4_gcm_seal(key, b"same", b"ctx"), sm4_gcm_seal(key, b"same", b"ctx")
    assert first[:SM4_GCM_NONCE_SIZE] != second[:SM4_GCM_NONCE_SIZE]
    assert sm4_gcm_open(key, first, b"ctx") == sm4_gcm_open(key, second, b"ctx") == b"same"
    with pytest.raises(DecryptionFailed):
        sm4_gcm_open(key, first[:20])


def test_empty_plaintext_is_authenticated() -> None:
    key = SM4Key.generate()
    sealed = sm4_gcm_seal(key, b"", b"aad only")
    assert sm4_gcm_open(key, sealed, b"aad only") == b""
    with pytest.raises(DecryptionFailed):
        sm4_gcm_open(key, sealed, b"other aad")


def test_key_never_shows_in_repr_and_compares_by_value() -> None:
    raw = bytes(range(16))
    assert raw.hex() not in repr(SM4Key(raw))
    assert SM4Key(raw) == SM4Key(raw)
    assert SM4Key(raw) != SM4Key.generate()
