"""Recipes: signed documents over canonical JSON, and keyed pseudonyms of identifiers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quancheng.crypto import (
    InvalidKey,
    InvalidParameter,
    InvalidSignature,
    NotCanonicalizable,
    SignedDocument,
    SM2PrivateKey,
    canonical_digest,
    canonical_json,
    normalize_identifier,
    pseudonym,
    sign_document,
    sm3_hmac,
    verify_document,
)
from tests.sdk.crypto._support import write
from tests.utils.openssl import OpenSSL

DOC = {"id": "doc-7", "purpose": "CLAIMS", "fields": ["plate", "status"], "amount": 1234.5}
PSEUDONYM_KEY = bytes(range(32))


def test_document_signature_verifies_whatever_the_key_order(session_key: SM2PrivateKey) -> None:
    sig = sign_document(session_key, DOC)
    reordered = json.loads(json.dumps(dict(reversed(list(DOC.items()))), indent=2))
    verify_document(session_key.public_key(), reordered, sig)


def test_changed_document_is_refused(session_key: SM2PrivateKey) -> None:
    sig = sign_document(session_key, DOC)
    with pytest.raises(InvalidSignature):
        verify_document(session_key.public_key(), {**DOC, "amount": 1234.51}, sig)


def test_document_signature_is_over_the_canonical_bytes(session_key: SM2PrivateKey) -> None:
    session_key.public_key().verify(sign_document(session_key, DOC), canonical_json(DOC))


def test_document_without_json_form_cannot_be_signed(session_key: SM2PrivateKey) -> None:
    with pytest.raises(NotCanonicalizable):
        sign_document(session_key, {"amount": float("nan")})


@pytest.mark.openssl
def test_openssl_verifies_a_document_signature_over_canonical_json(
    tmp_path: Path, session_key: SM2PrivateKey, openssl: OpenSSL
) -> None:
    pub = write(tmp_path / "pub.pem", session_key.public_key().to_pem())
    doc = write(tmp_path / "doc.json", canonical_json(DOC))
    sig = write(tmp_path / "doc.sig", sign_document(session_key, DOC))
    assert openssl.verify(pub, doc, sig)


def test_signed_document_verifies_against_the_expected_signer(
    session_key: SM2PrivateKey, other_key: SM2PrivateKey
) -> None:
    signed = SignedDocument.create(session_key, DOC)
    signed.verify(session_key.public_key())
    assert signed.document == DOC
    assert signed.digest == canonical_digest(DOC)
    with pytest.raises(InvalidSignature):
        signed.verify(other_key.public_key())


def test_signed_document_survives_a_json_round_trip(session_key: SM2PrivateKey) -> None:
    signed = SignedDocument.create(session_key, DOC)
    again = SignedDocument.from_dict(json.loads(json.dumps(signed.to_dict())))
    assert again == signed
    again.verify(session_key.public_key())


def test_signed_document_with_swapped_signer_is_refused(
    session_key: SM2PrivateKey, other_key: SM2PrivateKey
) -> None:
    # An attacker re-signs a changed document with their own key and presents it.
    forged = SignedDocument.create(other_key, {**DOC, "amount": 1})
    with pytest.raises(InvalidSignature):
        forged.verify(session_key.public_key())


def test_signed_document_with_edited_content_is_refused(session_key: SM2PrivateKey) -> None:
    data = SignedDocument.create(session_key, DOC).to_dict()
    data["document"]["purpose"] = "CREDIT"
    with pytest.raises(InvalidSignature):
        SignedDocument.from_dict(data).verify(session_key.public_key())


@pytest.mark.parametrize(
    "data",
    [{}, {"document": {}, "signer": "zz", "signature": ""},
     {"document": [], "signer": "", "signature": ""}, {"document": {}, "signer": 1}],
)  # fmt: skip
def test_malformed_signed_document_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(InvalidParameter):
        SignedDocument.from_dict(data)


def test_signed_document_with_invalid_signer_key_is_refused() -> None:
    with pytest.raises(InvalidKey):
        SignedDocument.from_dict({"document": {}, "signer": "04" + "00" * 64, "signature": ""})


# --- pseudonyms ------------------------------------------------------------------------


def test_pseudonym_is_32_bytes_and_deterministic() -> None:
    p = pseudonym(PSEUDONYM_KEY, "resident_id", "37010219900101123X")
    assert len(p) == 32
    assert p == pseudonym(PSEUDONYM_KEY, "resident_id", "37010219900101123X")


def test_pseudonym_is_the_documented_hmac_sm3_message() -> None:
    ident = b"37010219900101123X"
    message = b"quancheng/pseudonym/v1\x00" + b"\x0b" + b"resident_id" + b"\x00\x12" + ident
    expected = bytes(sm3_hmac(PSEUDONYM_KEY, message))
    assert bytes(pseudonym(PSEUDONYM_KEY, "resident_id", ident.decode())) == expected


def test_same_identifier_under_another_kind_or_key_is_unrelated() -> None:
    base = pseudonym(PSEUDONYM_KEY, "resident_id", "370102199001011234")
    assert base != pseudonym(PSEUDONYM_KEY, "plate", "370102199001011234")
    assert base != pseudonym(bytes(32), "resident_id", "370102199001011234")


def test_kind_and_identifier_cannot_be_shifted_into_each_other() -> None:
    assert pseudonym(PSEUDONYM_KEY, "ab", "C") != pseudonym(PSEUDONYM_KEY, "a", "BC")


def test_full_width_and_lower_case_input_give_the_same_pseudonym() -> None:
    canonical = pseudonym(PSEUDONYM_KEY, "resident_id", "37010219900101123X")
    assert pseudonym(PSEUDONYM_KEY, "resident_id", " 37010219900101123x ") == canonical
    assert (
        pseudonym(PSEUDONYM_KEY, "resident_id", "３７０１０２１９９００１０１１２３Ｘ") == canonical
    )
    assert normalize_identifier("鲁a·12345") == "鲁A·12345"


@pytest.mark.parametrize("key", [b"", b"short", bytes(15)])
def test_short_pseudonym_key_is_refused(key: bytes) -> None:
    with pytest.raises(InvalidKey):
        pseudonym(key, "resident_id", "1")


@pytest.mark.parametrize("kind", ["", "Resident", "resident id", "1st", "x" * 65, "身份证"])
def test_malformed_id_kind_is_refused(kind: str) -> None:
    with pytest.raises(InvalidParameter):
        pseudonym(PSEUDONYM_KEY, kind, "1")


@pytest.mark.parametrize("identifier", ["", "   ", "12\x003", "line\nbreak"])
def test_empty_or_control_character_identifier_is_refused(identifier: str) -> None:
    with pytest.raises(InvalidParameter):
        pseudonym(PSEUDONYM_KEY, "resident_id", identifier)
