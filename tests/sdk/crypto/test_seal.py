"""Sealed envelopes: round trips, the wrong recipient, tampering anywhere, version checks."""

from __future__ import annotations

import pytest

from quancheng.crypto import (
    ENVELOPE_VERSION,
    DecryptionFailed,
    MalformedEnvelope,
    SM2PrivateKey,
    UnsupportedEnvelopeVersion,
    open_sealed,
    parse_envelope,
    seal,
)

PLAINTEXT = "医保结算记录: 2024-03, ¥1,234.56".encode()


@pytest.mark.parametrize("plaintext", [b"", b"x", PLAINTEXT, bytes(100_000)])
def test_seal_round_trips(session_key: SM2PrivateKey, plaintext: bytes) -> None:
    sealed = seal(session_key.public_key(), plaintext, aad=b"grant:g-1")
    assert open_sealed(session_key, sealed, aad=b"grant:g-1") == plaintext


def test_envelope_is_self_describing(session_key: SM2PrivateKey) -> None:
    sealed = seal(session_key.public_key(), PLAINTEXT)
    env = parse_envelope(sealed)
    assert sealed[:4] == b"QCSE"
    assert (env.version, env.suite) == (ENVELOPE_VERSION, 1)
    assert len(env.ciphertext) == len(PLAINTEXT) + 16
    assert session_key.decrypt(env.wrapped_seed)  # the seed is plain SM2 encryption


def test_two_seals_of_the_same_data_differ(session_key: SM2PrivateKey) -> None:
    assert seal(session_key.public_key(), PLAINTEXT) != seal(session_key.public_key(), PLAINTEXT)


def test_wrong_recipient_cannot_open(session_key: SM2PrivateKey, other_key: SM2PrivateKey) -> None:
    sealed = seal(session_key.public_key(), PLAINTEXT)
    with pytest.raises(DecryptionFailed):
        open_sealed(other_key, sealed)


def test_wrong_aad_cannot_open(session_key: SM2PrivateKey) -> None:
    sealed = seal(session_key.public_key(), PLAINTEXT, aad=b"grant:g-1")
    with pytest.raises(DecryptionFailed):
        open_sealed(session_key, sealed, aad=b"grant:g-2")
    with pytest.raises(DecryptionFailed):
        open_sealed(session_key, sealed)


def test_a_flipped_bit_anywhere_after_the_framing_is_detected(session_key: SM2PrivateKey) -> None:
    sealed = seal(session_key.public_key(), PLAINTEXT)
    for position in range(8, len(sealed)):  # wrapped seed, ciphertext and tag
        bad = bytearray(sealed)
        bad[position] ^= 0x80
        with pytest.raises(DecryptionFailed):
            open_sealed(session_key, bytes(bad))


def test_truncated_envelope_is_refused(session_key: SM2PrivateKey) -> None:
    sealed = seal(session_key.public_key(), PLAINTEXT)
    for length in (0, 3, 7, 8, 50, len(sealed) - len(PLAINTEXT) - 17):
        with pytest.raises(MalformedEnvelope):
            open_sealed(session_key, sealed[:length])
    with pytest.raises(DecryptionFailed):
        open_sealed(session_key, sealed[:-1])


def test_bad_magic_is_a_malformed_envelope(session_key: SM2PrivateKey) -> None:
    sealed = seal(session_key.public_key(), PLAINTEXT)
    with pytest.raises(MalformedEnvelope):
        open_sealed(session_key, b"XXXX" + sealed[4:])


@pytest.mark.parametrize(("version", "suite"), [(0, 1), (2, 1), (255, 1), (1, 0), (1, 2)])
def test_unknown_version_or_suite_is_refused_by_name(
    session_key: SM2PrivateKey, version: int, suite: int
) -> None:
    sealed = seal(session_key.public_key(), PLAINTEXT)
    changed = sealed[:4] + bytes([version, suite]) + sealed[6:]
    with pytest.raises(UnsupportedEnvelopeVersion) as info:
        open_sealed(session_key, changed)
    assert (info.value.version, info.value.suite) == (version, suite)


@pytest.mark.parametrize("length", [0, 99, 161, 0xFFFF])
def test_wrapped_seed_length_out_of_range_is_malformed(
    session_key: SM2PrivateKey, length: int
) -> None:
    sealed = seal(session_key.public_key(), PLAINTEXT)
    with pytest.raises(MalformedEnvelope):
        open_sealed(session_key, sealed[:6] + length.to_bytes(2, "big") + sealed[8:])


def test_wrapped_seed_length_shifted_by_one_fails_authentication(
    session_key: SM2PrivateKey,
) -> None:
    sealed = seal(session_key.public_key(), PLAINTEXT)
    n = int.from_bytes(sealed[6:8], "big")
    with pytest.raises(DecryptionFailed):
        open_sealed(session_key, sealed[:6] + (n + 1).to_bytes(2, "big") + sealed[8:])
