"""The bundled SM2 library in real headless chromium against the project's own crypto.

Signatures made in the browser verify with ``SM2PublicKey.verify`` (strict DER, Z_A with the
default user ID) and the reverse; the browser reproduces GB/T 32918.5 Annex A bit for bit;
SM3, Z_A, RFC 8785 canonical JSON and PKCS#8 key backups agree byte for byte.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from quancheng.crypto import (
    InvalidSignature,
    SM2PrivateKey,
    SM2PublicKey,
    canonical_json,
    compute_za,
    sm3,
)
from quancheng.crypto._der import decode_signature
from tests.portal.support import World

# GB/T 32918.5-2017 Annex A (recommended curve, default ID, fixed k): the standard's values.
STD_ZA = "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3"
STD_E = "f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640"
STD_R = "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
STD_S = "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa"


@pytest.fixture
def qc(world: World, page: Any) -> Any:
    """A page with the portal's static bundle loaded (served by the portal, nothing else)."""
    page.goto(world.portal.url + "/login")
    page.wait_for_function("window.QCCrypto !== undefined")
    return page


def _messages() -> list[bytes]:
    fixed = [b"", b"a", "授权文件 ✓".encode(), bytes(range(256)), b"\x00" * 33]
    return fixed + [secrets.token_bytes(secrets.randbelow(300)) for _ in range(59)]


def test_browser_signatures_are_strict_der_and_verify_in_python(qc: Any) -> None:
    messages = _messages()
    out = qc.evaluate(
        """(hexes) => {
            const Q = QCCrypto, kp = Q.generateKeyPair();
            return { pub: kp.publicKey,
                     sigs: hexes.map((h) => Q.bytesToHex(Q.sign(Q.hexToBytes(h), kp.privateKey))) };
        }""",
        [m.hex() for m in messages],
    )
    key = SM2PublicKey.from_bytes(bytes.fromhex(out["pub"]))
    high_bit = 0
    for message, sig_hex in zip(messages, out["sigs"], strict=True):
        der = bytes.fromhex(sig_hex)
        key.verify(der, message)  # strict DER, e = SM3(Z_A ‖ M), default user ID
        r, _s = decode_signature(der)
        high_bit += r >> 255
        with pytest.raises(InvalidSignature):
            key.verify(der, message + b"!")
    assert 0 < high_bit < len(messages)  # both DER shapes of r (with and without 0x00) seen


def test_python_signatures_verify_in_the_browser_and_forgeries_do_not(qc: Any) -> None:
    key = SM2PrivateKey.generate()
    messages = _messages()[:24]
    sigs = [key.sign(m).hex() for m in messages]
    other = SM2PrivateKey.generate().sign(messages[2]).hex()
    verdicts = qc.evaluate(
        """([pub, hexes, sigs, other]) => {
            const Q = QCCrypto, b = Q.hexToBytes;
            const good = hexes.map((h, i) => Q.verify(b(h), b(sigs[i]), pub));
            const tampered = Q.verify(b(hexes[2] + "00"), b(sigs[2]), pub);
            const foreign = Q.verify(b(hexes[2]), b(other), pub);
            const lax = Q.verify(b(hexes[2]), b(sigs[2] + "00"), pub);  // trailing byte
            return { good, tampered, foreign, lax };
        }""",
        [key.public_key().to_bytes().hex(), [m.hex() for m in messages], sigs, other],
    )
    assert verdicts["good"] == [True] * len(messages)
    assert (verdicts["tampered"], verdicts["foreign"], verdicts["lax"]) == (False, False, False)


def test_browser_reproduces_the_gbt_32918_5_worked_example(qc: Any) -> None:
    kat = qc.evaluate("QCCrypto.selfTest()")
    assert (kat["za"], kat["e"], kat["r"], kat["s"]) == (STD_ZA, STD_E, STD_R, STD_S)
    point = bytes.fromhex(kat["publicKey"])
    assert compute_za(point).hex() == STD_ZA


def test_sm3_and_za_agree_with_python(qc: Any) -> None:
    data = [b"abc", b"abcd" * 16, "泉城链".encode(), secrets.token_bytes(1000)]
    key = SM2PrivateKey.generate().public_key()
    out = qc.evaluate(
        "([hexes, pub]) => ({ sm3: hexes.map((h) => QCCrypto.sm3(QCCrypto.hexToBytes(h))),"
        " za: QCCrypto.za(pub) })",
        [[d.hex() for d in data], key.to_bytes().hex()],
    )
    assert out["sm3"][0] == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert out["sm3"] == [sm3(d).hex() for d in data]
    assert out["za"] == key.za().hex()


CANONICAL_CASES: list[Any] = [
    {"type": "quancheng.grant-action/1", "action": "revoke", "grant_id": "0x" + "ab" * 32,
     "document_digest": "0x" + "cd" * 32, "at": 1767225600},
    {"b": 1, "a": 2, "A": 3, "_": 4, "": 5},
    {"\u20ac": "euro", "\U0001f600": "emoji sorts by UTF-16 units", "\uffff": "max BMP", "é": 0},
    {"s": "quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f"},
    {"ctl": "\u0001 \u001f del \u007f"},
    {"n": [0, -1, 2**53 - 1, -(2**53 - 1)], "t": True, "f": False, "z": None},
    {"nested": {"y": [1, {"b": "", "a": []}], "x": {}}, "中文键": "值"},
]  # fmt: skip


def test_browser_canonical_json_equals_rfc8785(qc: Any) -> None:
    texts = qc.evaluate("(cases) => cases.map((c) => QCCrypto.canonicalJson(c))", CANONICAL_CASES)
    for case, text in zip(CANONICAL_CASES, texts, strict=True):
        assert text.encode("utf-8") == canonical_json(case)
    refused = qc.evaluate(
        """() => [1.5, NaN, 2 ** 53, "\\ud800"].map((v) => {
            try { QCCrypto.canonicalJson({ v }); return "accepted"; } catch { return "refused"; }
        })"""
    )
    assert refused == ["refused"] * 4


def test_key_backups_are_pkcs8_both_ways(qc: Any) -> None:
    out = qc.evaluate(
        "() => { const kp = QCCrypto.generateKeyPair();"
        " return { ...kp, pem: QCCrypto.exportPkcs8Pem(kp.privateKey) }; }"
    )
    loaded = SM2PrivateKey.from_pem(out["pem"])  # what OpenSSL 3 and the SDK wallet read
    assert loaded.private_value == int(out["privateKey"], 16)
    assert loaded.public_key().to_bytes().hex() == out["publicKey"]
    python_key = SM2PrivateKey.generate()
    imported = qc.evaluate(
        "(pems) => pems.map((p) => QCCrypto.importPrivateKey(p))",
        [python_key.to_pem().decode(), f"{python_key.private_value:064x}"],
    )
    assert imported == [f"{python_key.private_value:064x}"] * 2
    encrypted = python_key.to_pem(b"secret").decode()
    message = qc.evaluate(
        "(pem) => { try { QCCrypto.importPrivateKey(pem); return ''; }"
        " catch (e) { return e.message; } }",
        encrypted,
    )
    assert "加密" in message
