"""SM2 against the published worked examples.

* GB/T 32918.5-2017 / GM/T 0003.5-2012 Annex A: a signature on the recommended curve with
  the default ID, reproduced bit for bit (Z_A, e, k·G, r, s) with the standard's fixed k.
* The same part's Annex C: an encryption with a fixed k, decrypted by our native path.
* GM/T 0003.2 Annex A / draft-shen-sm2-ecdsa-02: the "ALICE123@YAHOO.COM" signature.  It
  lives on the standard's 256-bit *test* curve, not the recommended one: we reproduce it
  with the pure-integer reference code, and show that its public key is rejected as a
  point of the recommended curve (a fixture that claims otherwise is mislabelled).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quancheng.crypto import (
    DEFAULT_USER_ID,
    InvalidKey,
    SM2PrivateKey,
    SM2PublicKey,
    c1c3c2_to_der,
    compute_za,
    sm3,
    sm3_kdf,
)
from quancheng.crypto._curve import SM2P256, CurveParams
from quancheng.crypto._der import decode_signature, encode_signature
from tests.sdk.crypto._support import write
from tests.utils.openssl import OpenSSL

# --- recommended curve, GM/T 0003.5-2012 / GB/T 32918.5 Annex A (signature) -------------
STD_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
STD_X = 0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020
STD_Y = 0xCCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13
STD_MSG = b"message digest"
STD_ZA = "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3"
STD_E = "f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640"
STD_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
STD_X1 = 0x04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73
STD_Y1 = 0xE858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0
STD_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
STD_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA

# --- Annex C (encryption of "encryption standard" with the same d and k), GM/T 0009 DER --
STD_ENC_MSG = b"encryption standard"
STD_ENC_C3 = bytes.fromhex("59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766")
STD_ENC_C2 = bytes.fromhex("21886CA989CA9C7D58087307CA93092D651EFA")

# --- the test curve of GM/T 0003 Annex A and the ALICE example ------------------------
TEST_CURVE = CurveParams(
    name="GM/T 0003 Fp-256 test curve",
    p=0x8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3,
    a=0x787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498,
    b=0x63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A,
    gx=0x421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D,
    gy=0x0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2,
    n=0x8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7,
)
ALICE_ID = b"ALICE123@YAHOO.COM"
ALICE_D = 0x128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263
ALICE_X = 0x0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A
ALICE_Y = 0x7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857
ALICE_ZA = "f4a38489e32b45b6f876e3ac2168ca392362dc8f23459c1d1146fc3dbfb7bc9a"
ALICE_E = "b524f552cd82b8b028476e005c377fb19a87e6fc682d48bb5d42e3d9b9effe76"
ALICE_K = 0x6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F
ALICE_R = 0x40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1
ALICE_S = 0x6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7


def _point(x: int, y: int) -> bytes:
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def test_standard_private_key_gives_the_standard_public_key() -> None:
    key = SM2PrivateKey.from_int(STD_D)
    assert key.public_key().to_bytes() == _point(STD_X, STD_Y)
    assert SM2P256.mul(STD_D, SM2P256.g) == (STD_X, STD_Y)


def test_za_with_the_default_id_matches_the_standard() -> None:
    assert compute_za(_point(STD_X, STD_Y), DEFAULT_USER_ID).hex() == STD_ZA
    assert SM2PublicKey.from_bytes(_point(STD_X, STD_Y)).za().hex() == STD_ZA


def test_message_digest_e_matches_the_standard() -> None:
    pub = SM2PublicKey.from_bytes(_point(STD_X, STD_Y))
    assert pub.message_digest(STD_MSG).hex() == STD_E


def test_fixed_nonce_signature_reproduces_r_and_s_of_the_standard() -> None:
    assert SM2P256.mul(STD_K, SM2P256.g) == (STD_X1, STD_Y1)
    assert SM2P256.reference_sign(STD_D, int(STD_E, 16), STD_K) == (STD_R, STD_S)


def test_the_standard_signature_verifies_with_our_native_verify() -> None:
    pub = SM2PublicKey.from_bytes(_point(STD_X, STD_Y))
    pub.verify(encode_signature(STD_R, STD_S), STD_MSG)


@pytest.mark.openssl
def test_the_standard_signature_verifies_with_openssl(tmp_path: Path, openssl: OpenSSL) -> None:
    pub = write(tmp_path / "std.pub.pem", SM2PublicKey.from_bytes(_point(STD_X, STD_Y)).to_pem())
    msg = write(tmp_path / "msg", STD_MSG)
    sig = write(tmp_path / "sig.der", encode_signature(STD_R, STD_S))
    assert openssl.verify(pub, msg, sig)


def test_native_signatures_of_the_standard_key_verify_under_the_reference_code() -> None:
    key = SM2PrivateKey.from_int(STD_D)

    r, s = decode_signature(key.sign(STD_MSG))
    assert SM2P256.reference_verify(STD_X, STD_Y, int(STD_E, 16), r, s)


def test_standard_encryption_example_decrypts_natively() -> None:
    # Rebuild Annex C's ciphertext from its k with plain integers, check it against the
    # published C3 and C2, then let the native path decrypt it.
    pub = (STD_X, STD_Y)
    c1 = SM2P256.mul(STD_K, SM2P256.g)
    shared = SM2P256.mul(STD_K, pub)
    assert c1 is not None and shared is not None
    x2, y2 = (v.to_bytes(32, "big") for v in shared)
    mask = sm3_kdf(x2 + y2, len(STD_ENC_MSG))
    c2 = bytes(m ^ t for m, t in zip(STD_ENC_MSG, mask, strict=True))
    c3 = sm3(x2 + STD_ENC_MSG + y2)
    assert (c3, c2) == (STD_ENC_C3, STD_ENC_C2)
    raw = _point(*c1) + c3 + c2
    assert SM2PrivateKey.from_int(STD_D).decrypt(c1c3c2_to_der(raw)) == STD_ENC_MSG


# --- the ALICE example on the test curve ------------------------------------------------


def test_alice_example_za_and_e_on_the_test_curve() -> None:
    entl = (len(ALICE_ID) * 8).to_bytes(2, "big")
    za = sm3(entl + ALICE_ID + TEST_CURVE.za_prefix() + _point(ALICE_X, ALICE_Y)[1:])
    assert za.hex() == ALICE_ZA
    assert sm3(za + STD_MSG).hex() == ALICE_E


def test_alice_example_signature_reproduced_and_verified_on_the_test_curve() -> None:
    assert TEST_CURVE.mul(ALICE_D, TEST_CURVE.g) == (ALICE_X, ALICE_Y)
    e = int(ALICE_E, 16)
    assert TEST_CURVE.reference_sign(ALICE_D, e, ALICE_K) == (ALICE_R, ALICE_S)
    assert TEST_CURVE.reference_verify(ALICE_X, ALICE_Y, e, ALICE_R, ALICE_S)
    assert not TEST_CURVE.reference_verify(ALICE_X, ALICE_Y, e + 1, ALICE_R, ALICE_S)


def test_alice_public_key_is_not_a_point_of_the_recommended_curve() -> None:
    assert not SM2P256.is_on_curve(ALICE_X, ALICE_Y)
    with pytest.raises(InvalidKey):
        SM2PublicKey.from_bytes(_point(ALICE_X, ALICE_Y))
