"""The crypto error leaves: one tree, stable codes, messages built from typed fields."""

from __future__ import annotations

import pytest

from quancheng.crypto import errors
from quancheng.errors import CryptoError, QuanchengError

LEAVES = [getattr(errors, name) for name in errors.__all__]


@pytest.mark.parametrize("cls", LEAVES, ids=lambda c: c.__name__)
def test_every_crypto_error_is_a_crypto_error_with_its_own_code(cls: type[CryptoError]) -> None:
    assert issubclass(cls, CryptoError) and issubclass(cls, QuanchengError)
    assert cls.code != CryptoError.code and cls.code.isupper()


def test_codes_are_unique() -> None:
    codes = [cls.code for cls in LEAVES]
    assert len(codes) == len(set(codes))


def test_messages_are_built_from_the_fields() -> None:
    err = errors.UnsupportedEnvelopeVersion(9, 1, ((1, 1),))
    assert (err.version, err.suite, err.supported) == (9, 1, ((1, 1),))
    assert "version 9" in str(err) and "v1/suite 1" in str(err)
    key_err = errors.InvalidKey("SM2 public key", "point is not on the SM2 curve")
    assert str(key_err) == "invalid SM2 public key: point is not on the SM2 curve"
    assert errors.InvalidSignature().reason == "does not verify"
    assert errors.DecryptionFailed("SM4-GCM").scheme == "SM4-GCM"
