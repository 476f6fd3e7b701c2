"""Interop with the real ``openssl`` 3 CLI, in both directions: keys, signatures, encryption.

OpenSSL 3 applies Z_A only with ``-rawin -digest sm3`` and uses the *empty* user ID unless
given ``-pkeyopt distid:...``; the last tests pin that trap down.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quancheng.crypto import (
    DEFAULT_USER_ID,
    InvalidKey,
    InvalidSignature,
    SM2PrivateKey,
    SM2PublicKey,
)
from tests.sdk.crypto._support import KeyFiles, write
from tests.utils.openssl import OpenSSL

pytestmark = pytest.mark.openssl

MSG = b'{"grant":"g-1","purpose":"claims"}'


def test_openssl_generated_keys_load(openssl_key_files: KeyFiles, openssl: OpenSSL) -> None:
    key = SM2PrivateKey.from_pem(openssl_key_files.private.read_bytes())
    pub = SM2PublicKey.from_pem(openssl_key_files.public.read_bytes())
    assert key.public_key() == pub
    text = openssl.run("pkey", "-in", openssl_key_files.private, "-noout", "-text").stdout
    priv_hex = text.split(b"priv:")[1].split(b"pub:")[0]
    assert int(b"".join(priv_hex.split()).replace(b":", b""), 16) == key.private_value


def test_our_keys_load_in_openssl(our_key_files: KeyFiles, openssl: OpenSSL) -> None:
    openssl.run("pkey", "-in", our_key_files.private, "-noout")
    openssl.run("pkey", "-pubin", "-in", our_key_files.public, "-noout")
    derived = openssl.run("pkey", "-in", our_key_files.private, "-pubout").stdout
    assert SM2PublicKey.from_pem(derived) == SM2PublicKey.from_pem(
        our_key_files.public.read_bytes()
    )


def test_our_encrypted_key_opens_in_openssl(
    tmp_path: Path, key: SM2PrivateKey, openssl: OpenSSL
) -> None:
    path = write(tmp_path / "enc.pem", key.to_pem(password=b"s3cret"))
    out = openssl.run("pkey", "-in", path, "-passin", "pass:s3cret", "-pubout").stdout
    assert SM2PublicKey.from_pem(out) == key.public_key()


def test_openssl_encrypted_key_opens_here(tmp_path: Path, openssl: OpenSSL) -> None:
    path = tmp_path / "k.pem"
    openssl.run(
        "genpkey", "-algorithm", "SM2", "-aes-256-cbc", "-pass", "pass:s3cret", "-out", path
    )
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    SM2PrivateKey.from_pem(path.read_bytes(), b"s3cret")


@pytest.mark.parametrize("user_id", [DEFAULT_USER_ID, b"ALICE123@YAHOO.COM"])
def test_openssl_signature_verifies_here(
    tmp_path: Path, openssl_key_files: KeyFiles, openssl: OpenSSL, user_id: bytes
) -> None:
    msg = write(tmp_path / "msg", MSG)
    sig = openssl.sign(openssl_key_files.private, msg, tmp_path / "sig.der", distid=user_id)
    pub = SM2PublicKey.from_pem(openssl_key_files.public.read_bytes())
    pub.verify(sig, MSG, user_id=user_id)
    with pytest.raises(InvalidSignature):
        pub.verify(sig, MSG + b" ", user_id=user_id)


@pytest.mark.parametrize("user_id", [DEFAULT_USER_ID, b"ALICE123@YAHOO.COM"])
def test_our_signature_verifies_in_openssl(
    tmp_path: Path, our_key_files: KeyFiles, key: SM2PrivateKey, openssl: OpenSSL, user_id: bytes
) -> None:
    msg = write(tmp_path / "msg", MSG)
    sig = write(tmp_path / "sig.der", key.sign(MSG, user_id=user_id))
    assert openssl.verify(our_key_files.public, msg, sig, distid=user_id)
    tampered = write(tmp_path / "msg2", MSG.replace(b"claims", b"credit"))
    assert not openssl.verify(our_key_files.public, tampered, sig, distid=user_id)


def test_many_signatures_verify_in_openssl(
    tmp_path: Path, our_key_files: KeyFiles, key: SM2PrivateKey, openssl: OpenSSL
) -> None:
    # Signatures whose r or s has its top bit set need a DER 0x00 pad: cover both shapes.
    msg = write(tmp_path / "msg", MSG)
    for i in range(12):
        sig = write(tmp_path / f"sig{i}.der", key.sign(MSG))
        assert openssl.verify(our_key_files.public, msg, sig)


def test_without_distid_openssl_uses_an_empty_id_and_rejects_standard_signatures(
    tmp_path: Path, our_key_files: KeyFiles, key: SM2PrivateKey, openssl: OpenSSL
) -> None:
    msg = write(tmp_path / "msg", MSG)
    sig = write(tmp_path / "sig.der", key.sign(MSG))
    assert not openssl.verify(our_key_files.public, msg, sig, distid=None)
    assert openssl.verify(our_key_files.public, msg, sig, distid=DEFAULT_USER_ID)


def test_openssl_signature_made_without_distid_only_verifies_with_the_empty_id(
    tmp_path: Path, openssl_key_files: KeyFiles, openssl: OpenSSL
) -> None:
    msg = write(tmp_path / "msg", MSG)
    sig = openssl.sign(openssl_key_files.private, msg, tmp_path / "sig.der", distid=None)
    pub = SM2PublicKey.from_pem(openssl_key_files.public.read_bytes())
    with pytest.raises(InvalidSignature):
        pub.verify(sig, MSG)
    pub.verify(sig, MSG, user_id=b"")


def test_our_encryption_decrypts_in_openssl(
    tmp_path: Path, our_key_files: KeyFiles, key: SM2PrivateKey, openssl: OpenSSL
) -> None:
    ct = write(tmp_path / "ct.der", key.public_key().encrypt(b"encryption standard"))
    out = openssl.run("pkeyutl", "-decrypt", "-inkey", our_key_files.private, "-in", ct).stdout
    assert out == b"encryption standard"


def test_openssl_encryption_decrypts_here(
    tmp_path: Path, openssl_key_files: KeyFiles, openssl: OpenSSL
) -> None:
    pt = write(tmp_path / "pt", b"x" * 1000)
    ct = openssl.run(
        "pkeyutl", "-encrypt", "-pubin", "-inkey", openssl_key_files.public, "-in", pt
    ).stdout
    key = SM2PrivateKey.from_pem(openssl_key_files.private.read_bytes())
    assert key.decrypt(ct) == b"x" * 1000


@pytest.mark.parametrize(
    "genpkey_args",
    [
        ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        ["-algorithm", "ED25519"],
        ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    ],
    ids=["p256", "ed25519", "rsa"],
)
def test_keys_of_other_algorithms_are_refused(
    tmp_path: Path, openssl: OpenSSL, genpkey_args: list[str]
) -> None:
    priv = tmp_path / "other.pem"
    openssl.run("genpkey", *genpkey_args, "-out", priv)
    pub = openssl.pubout(priv, tmp_path / "other.pub.pem")
    with pytest.raises(InvalidKey):
        SM2PrivateKey.from_pem(priv.read_bytes())
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_pem(pub.read_bytes())


def test_ecdsa_typed_key_on_the_sm2_curve_is_not_mistaken_for_sm2(
    tmp_path: Path, openssl: OpenSSL
) -> None:
    # Explicit curve parameters equal to SM2's, typed as plain EC: Tongsuo would compute
    # ECDSA with it.  It must never pass as an SM2 key.
    priv = tmp_path / "explicit.pem"
    openssl.run(
        "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2",
        "-pkeyopt", "ec_param_enc:explicit", "-out", priv,
    )  # fmt: skip
    with pytest.raises(InvalidKey):
        SM2PrivateKey.from_pem(priv.read_bytes())
