"""Fixtures for the crypto tests: fresh keys, key files, and a runner for the openssl CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from quancheng.crypto import SM2PrivateKey
from tests.sdk.crypto._support import KeyFiles
from tests.utils.openssl import OpenSSL, find_openssl


@pytest.fixture(scope="session")
def openssl() -> OpenSSL:
    """The openssl 3 CLI; tests using it are skipped where it is missing or older."""
    found = find_openssl()
    if found is None:
        pytest.skip("needs the openssl 3 CLI")
    return found


@pytest.fixture(scope="session")
def session_key() -> SM2PrivateKey:
    """One SM2 key for tests that only need some key (generation is not what they test)."""
    return SM2PrivateKey.generate()


@pytest.fixture
def key() -> SM2PrivateKey:
    """A fresh SM2 key."""
    return SM2PrivateKey.generate()


@pytest.fixture
def other_key() -> SM2PrivateKey:
    """A second, unrelated SM2 key."""
    return SM2PrivateKey.generate()


@pytest.fixture
def our_key_files(tmp_path: Path, key: SM2PrivateKey) -> KeyFiles:
    """``key`` written by this SDK."""
    priv, pub = tmp_path / "ours.pem", tmp_path / "ours.pub.pem"
    priv.write_bytes(key.to_pem())
    pub.write_bytes(key.public_key().to_pem())
    return KeyFiles(priv, pub)


@pytest.fixture
def openssl_key_files(tmp_path: Path, openssl: OpenSSL) -> KeyFiles:
    """A key pair generated and written by ``openssl genpkey -algorithm SM2``."""
    priv = openssl.genpkey_sm2(tmp_path / "openssl.pem")
    return KeyFiles(priv, openssl.pubout(priv, tmp_path / "openssl.pub.pem"))
