"""Leaf errors of the national-crypto layer.

Every error here derives from :class:`quancheng.errors.CryptoError`, carries a stable
``code`` and builds its message from typed fields, so callers can branch on the type
or the code and log the fields without parsing text.
"""

from __future__ import annotations

from quancheng.errors import CryptoError

__all__ = [
    "DecryptionFailed",
    "InvalidKey",
    "InvalidParameter",
    "InvalidSignature",
    "MalformedEnvelope",
    "NotCanonicalizable",
    "UnsupportedEnvelopeVersion",
]


class InvalidSignature(CryptoError):
    """A signature does not verify, or is not a well-formed SM2 signature at all.

    Attributes:
        reason: Why it was rejected (``"does not verify"``, ``"not strict DER"``, ...).
    """

    code = "INVALID_SIGNATURE"

    def __init__(self, reason: str = "does not verify") -> None:
        self.reason = reason
        super().__init__(f"invalid SM2 signature: {reason}")


class InvalidKey(CryptoError):
    """A key could not be loaded or is not a valid SM2 / SM4 key.

    Attributes:
        kind: What was being loaded (``"SM2 public key"``, ``"SM4 key"``, ...).
        reason: What is wrong with it.
    """

    code = "INVALID_KEY"

    def __init__(self, kind: str, reason: str) -> None:
        self.kind = kind
        self.reason = reason
        super().__init__(f"invalid {kind}: {reason}")


class InvalidParameter(CryptoError):
    """An argument of a cryptographic call has the wrong size or form.

    Attributes:
        name: The parameter's name.
        reason: What is wrong with it.
    """

    code = "INVALID_CRYPTO_PARAMETER"

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"invalid {name}: {reason}")


class DecryptionFailed(CryptoError):
    """Authenticated decryption failed: wrong key, wrong AAD, or tampered data.

    The cause is deliberately not narrowed down further: telling a tampered tag from a
    wrong key would help an attacker and not the caller.

    Attributes:
        scheme: The scheme that refused (``"SM4-GCM"``, ``"sealed envelope v1"``, ...).
    """

    code = "DECRYPTION_FAILED"

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        super().__init__(f"{scheme}: authentication failed (wrong key, wrong AAD or tampered data)")


class MalformedEnvelope(CryptoError):
    """Bytes that should be a sealed envelope are not one.

    Attributes:
        reason: What is wrong with the framing.
    """

    code = "MALFORMED_ENVELOPE"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"malformed sealed envelope: {reason}")


class UnsupportedEnvelopeVersion(CryptoError):
    """A sealed envelope announces a version or suite this SDK cannot open.

    Attributes:
        version: The envelope's version byte.
        suite: The envelope's suite byte.
        supported: The (version, suite) pairs this SDK opens.
    """

    code = "UNSUPPORTED_ENVELOPE_VERSION"

    def __init__(self, version: int, suite: int, supported: tuple[tuple[int, int], ...]) -> None:
        self.version = version
        self.suite = suite
        self.supported = supported
        super().__init__(
            f"sealed envelope version {version} suite {suite} is not supported "
            f"(supported: {', '.join(f'v{v}/suite {s}' for v, s in supported)})"
        )


class NotCanonicalizable(CryptoError):
    """A value has no RFC 8785 canonical JSON form (NaN, infinity, bytes, a set...).

    Attributes:
        reason: What the canonicalizer refused.
    """

    code = "NOT_CANONICALIZABLE"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"value has no canonical JSON form: {reason}")
