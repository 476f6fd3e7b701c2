"""SM3, HMAC-SM3 and the SM3 KDF against GB/T 32905 vectors, OpenSSL and pure-Python gmssl."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gmssl import func as gm_func
from gmssl import sm3 as gm_sm3

from quancheng.crypto import (
    InvalidParameter,
    SM3Hasher,
    sm3,
    sm3_hmac,
    sm3_hmac_verify,
    sm3_kdf,
)
from tests.utils.openssl import OpenSSL

# GB/T 32905-2016 Annex A (examples 1 and 2) and the digest of the empty message.
GBT_32905_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    (b"", "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"),
]


@pytest.mark.parametrize(("message", "digest"), GBT_32905_VECTORS)
def test_sm3_matches_the_standard_examples(message: bytes, digest: str) -> None:
    assert sm3(message).hex() == digest
    assert SM3Hasher(message).hexdigest() == digest


def test_streaming_in_odd_chunks_equals_one_shot() -> None:
    data = os.urandom(200_003)
    hasher = SM3Hasher()
    for start in range(0, len(data), 4099):
        hasher.update(data[start : start + 4099])
    assert hasher.digest() == sm3(data)


def test_digest_leaves_the_hasher_usable_and_copy_is_independent() -> None:
    hasher = SM3Hasher(b"ab")
    branch = hasher.copy()
    assert hasher.digest() == sm3(b"ab")
    hasher.update(b"c")
    branch.update(b"X")
    assert hasher.digest() == sm3(b"abc")
    assert branch.digest() == sm3(b"abX")


@pytest.mark.parametrize("size", [0, 1, 55, 56, 63, 64, 65, 119, 1000])
def test_sm3_agrees_with_pure_python_gmssl_around_block_boundaries(size: int) -> None:
    message = os.urandom(size)
    assert sm3(message).hex() == gm_sm3.sm3_hash(gm_func.bytes_to_list(message))


@pytest.mark.openssl
def test_large_streamed_file_matches_openssl_dgst(tmp_path: Path, openssl: OpenSSL) -> None:
    path = tmp_path / "big.bin"
    block = os.urandom(1 << 20)
    hasher = SM3Hasher()
    with path.open("wb") as fh:
        for i in range(32):  # 32 MiB, streamed both ways
            chunk = block[i:] + block[:i]
            fh.write(chunk)
            hasher.update(chunk)
    out = openssl.run("dgst", "-sm3", "-r", path).stdout.split()[0].decode()
    assert hasher.hexdigest() == out


@pytest.mark.openssl
def test_hmac_sm3_matches_openssl(tmp_path: Path, openssl: OpenSSL) -> None:
    key, message = os.urandom(32), os.urandom(777)
    path = tmp_path / "m"
    path.write_bytes(message)
    out = openssl.run(
        "mac", "-digest", "SM3", "-macopt", f"hexkey:{key.hex()}", "-in", path, "HMAC"
    ).stdout
    assert sm3_hmac(key, message).hex() == out.decode().strip().lower()


def test_hmac_verify_accepts_the_tag_and_refuses_others() -> None:
    tag = sm3_hmac(b"k" * 16, b"data")
    assert sm3_hmac_verify(b"k" * 16, b"data", tag)
    assert not sm3_hmac_verify(b"k" * 16, b"datA", tag)
    assert not sm3_hmac_verify(b"k" * 16, b"data", tag[:-1])


def test_hmac_with_empty_key_is_refused() -> None:
    with pytest.raises(InvalidParameter):
        sm3_hmac(b"", b"data")


@pytest.mark.parametrize("length", [1, 16, 31, 32, 33, 64, 100])
def test_kdf_agrees_with_gmssl(length: int) -> None:
    z = os.urandom(64)
    assert sm3_kdf(z, length).hex() == gm_sm3.sm3_kdf(z.hex().encode(), length)


def test_kdf_is_the_counter_construction_of_gbt_32918_4() -> None:
    z = b"shared secret"
    expected = sm3(z + (1).to_bytes(4, "big")) + sm3(z + (2).to_bytes(4, "big"))
    assert sm3_kdf(z, 40) == expected[:40]


@pytest.mark.parametrize("length", [0, -1])
def test_kdf_refuses_a_non_positive_length(length: int) -> None:
    with pytest.raises(InvalidParameter):
        sm3_kdf(b"z", length)
