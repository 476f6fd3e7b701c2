"""SM2 signatures verified on the node by ``Sm2Verifier`` (pure EVM code, no precompile).

Checked against the GB/T 32918.5 Annex A example, the SDK's signer, the openssl 3 CLI and the
SDK's verifier; every malformed key, encoding or out-of-range value gives ``false`` (or the
named revert for ``userHash``), never an unexpected revert.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from web3.contract import Contract

from quancheng.chain import call
from quancheng.chain.errors import Sm2VerifierInvalidPublicKey
from quancheng.crypto import InvalidSignature, SM2PrivateKey, SM2PublicKey, compute_za, sm3
from quancheng.crypto._curve import SM2P256
from quancheng.crypto._der import DERError, decode_signature
from tests.sdk.crypto.test_sm2_vectors import STD_MSG, STD_R, STD_S, STD_X, STD_Y, STD_ZA
from tests.utils.openssl import find_openssl
from tests.utils.sm2_onchain import (
    DEPLOYER_INDEX,
    GX,
    GY,
    N,
    P,
    deploy_sm2_verifier,
    der,
    der_int,
    der_seq,
    estimate,
    gas_table,
    point,
    verifies,
)

STD_KEY = point(STD_X, STD_Y)
Verify = Callable[[bytes, bytes, bytes], bool]

#: Gas budgets (today's figures plus ~25 %), the 21,000 base and calldata included.
BUDGETS = {
    "verify, 100-byte message": 620_000,
    "verify, 500-byte message": 940_000,
    "verify, 2,000-byte message": 2_180_000,
    "verifyWithUserHash, 100 bytes": 520_000,
    "userHash": 140_000,
}


@pytest.fixture(scope="module")
def verifier(chain_node) -> Contract:  # type: ignore[no-untyped-def]
    return deploy_sm2_verifier(chain_node.rpc_url, chain_node.dev_private_keys[DEPLOYER_INDEX])


@pytest.fixture(scope="module")
def verify(verifier: Contract) -> Verify:
    return verifies(verifier)


# ------------------------------------------------------------------ valid signatures


def test_user_hash_of_the_standard_key_is_the_standard_za(verifier: Contract) -> None:
    assert bytes(verifier.functions.userHash(STD_KEY).call()).hex() == STD_ZA


def test_standard_signature_verifies(verifier: Contract, verify: Verify) -> None:
    assert verify(STD_KEY, STD_MSG, der(STD_R, STD_S))
    za = bytes.fromhex(STD_ZA)
    assert verifier.functions.verifyWithUserHash(STD_KEY, za, STD_MSG, der(STD_R, STD_S)).call()


def test_sdk_signatures_on_random_messages_verify(verifier: Contract, verify: Verify) -> None:
    rng = random.Random(32918)
    for length in (0, 1, 31, 32, 33, 64, 100, 255, 1000):
        key = SM2PrivateKey.generate()
        public = key.public_key().to_bytes()
        message = rng.randbytes(length)
        assert verify(public, message, key.sign(message)), length
        assert bytes(verifier.functions.userHash(public).call()) == compute_za(public)


def test_openssl_signatures_verify(verify: Verify, tmp_path: Path) -> None:
    openssl = find_openssl()
    if openssl is None:
        pytest.skip("openssl 3 is not installed")
    key_file = openssl.genpkey_sm2(tmp_path / "key.pem")
    public = SM2PrivateKey.from_pem(key_file.read_bytes()).public_key().to_bytes()
    for i, message in enumerate([b"", b'{"grant":"g-1","purpose":"claims"}', bytes(range(256))]):
        msg_file = tmp_path / f"msg{i}"
        msg_file.write_bytes(message)
        signature = openssl.sign(key_file, msg_file, tmp_path / f"sig{i}")
        assert verify(public, message, signature)
        assert not verify(public, message + b"!", signature)


def test_key_equal_to_the_base_point_verifies(verify: Verify) -> None:
    """d = 1: the table entry G + P is 2G (a doubling, not an addition)."""
    e = int.from_bytes(sm3(compute_za(point(GX, GY)) + STD_MSG), "big")
    r, s = SM2P256.reference_sign(1, e, 0x1234567)
    assert verify(point(GX, GY), STD_MSG, der(r, s))


def test_key_equal_to_minus_the_base_point_is_refused_without_revert(verify: Verify) -> None:
    """d = n − 1 cannot sign (1 + d ≡ 0); G + P is the point at infinity."""
    assert not verify(point(GX, P - GY), STD_MSG, der(STD_R, STD_S))


# ------------------------------------------------------------------ refused signatures


def test_signature_on_another_message_is_refused(verify: Verify) -> None:
    assert not verify(STD_KEY, STD_MSG + b".", der(STD_R, STD_S))


def test_signature_checked_with_another_key_is_refused(verify: Verify) -> None:
    other = SM2PrivateKey.generate().public_key().to_bytes()
    assert not verify(other, STD_MSG, der(STD_R, STD_S))


@pytest.mark.parametrize("bit", [0, 1, 77, 255])
def test_signature_with_a_flipped_bit_in_r_or_s_is_refused(verify: Verify, bit: int) -> None:
    assert not verify(STD_KEY, STD_MSG, der(STD_R ^ (1 << bit), STD_S))
    assert not verify(STD_KEY, STD_MSG, der(STD_R, STD_S ^ (1 << bit)))


@pytest.mark.parametrize(
    ("r", "s"),
    [(0, STD_S), (STD_R, 0), (N, STD_S), (STD_R, N), (N + 1, STD_S), (STD_R, 2**256 - 1)],
    ids=["r=0", "s=0", "r=n", "s=n", "r=n+1", "s=2^256-1"],
)
def test_signature_with_r_or_s_out_of_range_is_refused(verify: Verify, r: int, s: int) -> None:
    assert not verify(STD_KEY, STD_MSG, der(r, s))


def test_signature_with_s_equal_to_n_is_refused(verify: Verify) -> None:
    assert not verify(STD_KEY, STD_MSG, der(STD_R, N))


def test_signature_with_s_replaced_by_n_minus_s_is_refused(verify: Verify) -> None:
    """SM2 has no (r, s) / (r, n − s) malleability: the flipped one is just wrong."""
    assert not verify(STD_KEY, STD_MSG, der(STD_R, N - STD_S))


def test_signature_with_r_plus_s_zero_mod_n_is_refused(verify: Verify) -> None:
    assert not verify(STD_KEY, STD_MSG, der(STD_R, N - STD_R))


R33, S33 = (
    der_int(b"\x00" + STD_R.to_bytes(32, "big")),
    der_int(b"\x00" + STD_S.to_bytes(32, "big")),
)
MALFORMED_DER = {
    "empty": b"",
    "sequence tag 0x31": der_seq(R33, S33, tag=0x31),
    "integer tag 0x03": der_seq(der_int(R33[2:], tag=0x03), S33),
    "sequence length + 1": der_seq(R33, S33, extra_length=1),
    "sequence length - 1": der_seq(R33, S33, extra_length=-1),
    "long-form sequence length": b"\x30\x81\x46" + R33 + S33,
    "integer length + 1": der_seq(bytes([0x02, 0x22]) + R33[2:], S33),
    "integer length - 1": der_seq(bytes([0x02, 0x20]) + R33[2:], S33),
    "non-minimal r": der_seq(der_int(b"\x00" + R33[2:]), S33),
    "non-minimal small s": der_seq(R33, der_int(b"\x00\x01")),
    "negative r": der_seq(der_int(R33[3:]), S33),
    "negative s": der_seq(R33, der_int(b"\xff")),
    "empty integer": der_seq(R33, der_int(b"")),
    "trailing byte": der(STD_R, STD_S) + b"\x00",
    "third integer": der_seq(R33, S33, der_int(b"\x01")),
    "r only": der_seq(R33),
}


@pytest.mark.parametrize("encoding", MALFORMED_DER.values(), ids=MALFORMED_DER.keys())
def test_malformed_der_is_refused(verifier: Contract, verify: Verify, encoding: bytes) -> None:
    with pytest.raises(DERError):  # the SDK's strict parser agrees
        decode_signature(encoding)
    assert not verify(STD_KEY, STD_MSG, encoding)
    za = bytes.fromhex(STD_ZA)
    assert not verifier.functions.verifyWithUserHash(STD_KEY, za, STD_MSG, encoding).call()


def test_integer_of_34_bytes_is_refused(verify: Verify) -> None:
    """Well-formed DER for the SDK (which then refuses r ≥ n); the contract stops at 33 bytes."""
    encoding = der_seq(der_int(b"\x01" + R33[2:]), S33)
    assert not _sdk_accepts(SM2PublicKey.from_bytes(STD_KEY), encoding, STD_MSG)
    assert not verify(STD_KEY, STD_MSG, encoding)


def test_random_byte_strings_are_refused(verify: Verify) -> None:
    rng = random.Random(200)
    for i in range(200):
        junk = rng.randbytes(rng.randrange(0, 80))
        if i % 2:  # half of them look like a sequence of the right length
            junk = bytes([0x30, len(junk)]) + junk
        assert not verify(STD_KEY, STD_MSG, junk)


# ------------------------------------------------------------------ refused public keys

BAD_KEYS = {
    "off the curve": point(STD_X, STD_Y ^ 1),
    "prefix 0x02": point(STD_X, STD_Y, b"\x02"),
    "prefix 0x03": point(STD_X, STD_Y, b"\x03"),
    "prefix 0x00": point(STD_X, STD_Y, b"\x00"),
    "64 raw bytes": point(STD_X, STD_Y)[1:],
    "66 bytes": point(STD_X, STD_Y) + b"\x00",
    "compressed": b"\x02" + STD_X.to_bytes(32, "big"),
    "x = p": point(P, STD_Y),
    "y = p": point(STD_X, P),
    "x = 2^256 - 1": point(2**256 - 1, STD_Y),
    "(0, 0)": point(0, 0),
    "infinity 0x00": b"\x00",
    "empty": b"",
}


@pytest.mark.parametrize("key", BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_invalid_public_key_is_refused(verifier: Contract, verify: Verify, key: bytes) -> None:
    assert not verifier.functions.isValidPublicKey(key).call()
    assert not verify(key, STD_MSG, der(STD_R, STD_S))
    za = bytes.fromhex(STD_ZA)
    assert not verifier.functions.verifyWithUserHash(key, za, STD_MSG, der(STD_R, STD_S)).call()
    with pytest.raises(Sm2VerifierInvalidPublicKey) as exc:
        call(verifier.functions.userHash(key))
    assert exc.value.arguments == {"publicKey": key}


def test_valid_public_keys_are_accepted(verifier: Contract) -> None:
    assert verifier.functions.isValidPublicKey(STD_KEY).call()
    assert verifier.functions.isValidPublicKey(point(GX, GY)).call()


# ------------------------------------------------------------------ property and gas


def test_random_keys_and_messages_agree_with_the_sdk_verifier(verify: Verify) -> None:
    rng = random.Random(20240)
    keys = [SM2PrivateKey.generate() for _ in range(6)]
    for i in range(60):
        key = keys[i % len(keys)]
        message = rng.randbytes(rng.randrange(0, 300))
        signature = bytearray(key.sign(message))
        public = key.public_key()
        case = i % 4
        if case == 1:  # another message
            message += b"\x00"
        elif case == 2:  # a flipped bit anywhere in the DER
            signature[rng.randrange(len(signature))] ^= 1 << rng.randrange(8)
        elif case == 3:  # another key
            public = keys[(i + 1) % len(keys)].public_key()
        expected = _sdk_accepts(public, bytes(signature), message)
        assert expected == (case == 0)
        assert verify(public.to_bytes(), message, bytes(signature)) is expected, i


def _sdk_accepts(public: SM2PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def test_gas_of_verify(verifier: Contract) -> None:
    key = SM2PrivateKey.generate()
    public = key.public_key().to_bytes()
    rng = random.Random(7)
    gas: dict[str, int] = {}
    for length, label in ((100, "100"), (500, "500"), (2000, "2,000")):
        message = rng.randbytes(length)
        fn = verifier.functions.verify(public, message, key.sign(message))
        gas[f"verify, {label}-byte message"] = estimate(fn)
    message = rng.randbytes(100)
    za = bytes(compute_za(public))
    fn = verifier.functions.verifyWithUserHash(public, za, message, key.sign(message))
    gas["verifyWithUserHash, 100 bytes"] = estimate(fn)
    gas["userHash"] = estimate(verifier.functions.userHash(public))
    print(gas_table("gas of Sm2Verifier (eth_estimateGas)", gas, BUDGETS))
    over = {name: used for name, used in gas.items() if used > BUDGETS[name]}
    assert not over, f"over budget: {over}"
