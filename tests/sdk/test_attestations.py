"""verify_attestation: the identity authority's signed binding of an owner key to a pseudonym."""

from __future__ import annotations

import json

import pytest

from quancheng.attestations import AttestationInvalid, verify_attestation
from quancheng.crypto import SM2PrivateKey
from quancheng.protocol import AttestationDocument

AUTHORITY = SM2PrivateKey.generate()
OWNER = SM2PrivateKey.generate().public_key().to_bytes()
PSEUDONYM = bytes(range(32))


def _document(**changes: object) -> bytes:
    fields = {
        "pseudonym": "0x" + PSEUDONYM.hex(),
        "owner_key": "0x" + OWNER.hex(),
        "attester": "jinan.bdb",
        "attested_at": 1_790_000_000,
        **changes,
    }
    return AttestationDocument.model_validate(fields).canonical()


def _verify(document: bytes, signature: bytes) -> None:
    verify_attestation(
        document,
        signature,
        AUTHORITY.public_key(),
        pseudonym=PSEUDONYM,
        owner_key=OWNER,
        attester="jinan.bdb",
    )


def test_a_signed_canonical_attestation_verifies() -> None:
    document = _document()
    _verify(document, AUTHORITY.sign(document))


@pytest.mark.parametrize(
    ("document", "check"),
    [
        (
            _document(owner_key="0x" + SM2PrivateKey.generate().public_key().to_bytes().hex()),
            "owner_key",
        ),
        (_document(pseudonym="0x" + "ff" * 32), "pseudonym"),
        (_document(attester="other.bdb"), "attester"),
        (json.dumps(json.loads(_document()), indent=1).encode(), "format"),
        (b'{"type":"quancheng.attestation/1"}', "format"),
    ],
)
def test_a_document_that_names_something_else_is_refused(document: bytes, check: str) -> None:
    with pytest.raises(AttestationInvalid) as exc:
        _verify(document, AUTHORITY.sign(document))
    assert exc.value.check == check


def test_a_signature_by_another_key_is_refused() -> None:
    document = _document()
    with pytest.raises(AttestationInvalid) as exc:
        _verify(document, SM2PrivateKey.generate().sign(document))
    assert (exc.value.check, exc.value.code) == ("signature", "ATTESTATION_INVALID")
