"""SM2 keys and signatures (GB/T 32918), interoperable with OpenSSL 3.

Signatures follow the standard exactly: ``e = SM3(Z_A ‖ M)`` where Z_A binds the
signer's user ID and public key, and (r, s) are DER-encoded.  The default user ID is
``1234567812345678`` (GM/T 0009); OpenSSL 3 only agrees when told
``-pkeyopt distid:1234567812345678``.

The native backend is Tongsuo through tongsuopy: its ``EVP_DigestSign`` applies Z_A with
the default ID itself; any other ID goes through :mod:`quancheng.crypto._native` with
Z_A and e computed here.
"""

from __future__ import annotations

from typing import Any

from tongsuopy.crypto import hashes as _t_hashes
from tongsuopy.crypto import serialization as _ser
from tongsuopy.crypto.asymciphers import ec as _ec

from quancheng.crypto import _native
from quancheng.crypto._curve import SM2P256
from quancheng.crypto._der import DERError, decode_signature, decode_sm2_cipher
from quancheng.crypto._sm2_params import (
    DEFAULT_USER_ID,
    MAX_USER_ID_LENGTH,
    KeyFingerprint,
    SM2Signature,
    check_tongsuo_key,
    check_user_id,
    compute_za,
    point_of,
    validate_point,
)
from quancheng.crypto.errors import DecryptionFailed, InvalidKey, InvalidParameter, InvalidSignature
from quancheng.crypto.sm3 import SM3Digest, SM3Hasher, sm3

__all__ = [
    "DEFAULT_USER_ID",
    "MAX_USER_ID_LENGTH",
    "KeyFingerprint",
    "SM2PrivateKey",
    "SM2PublicKey",
    "SM2Signature",
    "compute_za",
]

_SM2_WITH_SM3 = _ec.ECDSA(_t_hashes.SM3())
_ENC_SCHEME = "SM2 encryption (GB/T 32918.4)"


class SM2PublicKey:
    """An SM2 public key: verifies signatures and encrypts to its owner.

    Build one with :meth:`from_pem`, :meth:`from_der`, :meth:`from_bytes` or
    :meth:`SM2PrivateKey.public_key`.  Equality and hashing follow the curve point.
    """

    __slots__ = ("_key", "_point")

    def __init__(self, _key: Any) -> None:
        """Wrap a validated tongsuopy key (internal: use the ``from_*`` constructors)."""
        check_tongsuo_key(_key, "SM2 public key")
        self._key = _key
        self._point = point_of(_key)
        validate_point(self._point)

    # -- loading and saving ------------------------------------------------------

    @classmethod
    def from_pem(cls, data: bytes | str) -> SM2PublicKey:
        """Load a PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo), as ``openssl pkey -pubout`` writes.

        Args:
            data: The PEM text.

        Returns:
            The key.

        Raises:
            InvalidKey: If it is not the PEM of an SM2 public key on a valid point.
        """
        raw = data.encode() if isinstance(data, str) else bytes(data)
        try:
            key = _ser.load_pem_public_key(raw)
        except Exception:  # tongsuopy raises ValueError, TypeError or UnsupportedAlgorithm
            raise InvalidKey("SM2 public key", "not a PEM SubjectPublicKeyInfo") from None
        return cls(key)

    @classmethod
    def from_der(cls, data: bytes) -> SM2PublicKey:
        """Load a DER SubjectPublicKeyInfo.

        Raises:
            InvalidKey: If it is not the DER of an SM2 public key on a valid point.
        """
        try:
            key = _ser.load_der_public_key(bytes(data))
        except Exception:
            raise InvalidKey("SM2 public key", "not a DER SubjectPublicKeyInfo") from None
        return cls(key)

    @classmethod
    def from_bytes(cls, data: bytes) -> SM2PublicKey:
        """Load a 65-byte uncompressed point ``0x04 ‖ x ‖ y``.

        Raw 64-byte keys are refused here on purpose: use :meth:`from_raw64` at the
        boundary that needs them.

        Raises:
            InvalidKey: If it is not 65 bytes starting 0x04, or not a point of the curve.
        """
        point = bytes(data)
        validate_point(point)
        try:
            key = _ec.EllipticCurvePublicKey.from_encoded_point(_ec.SM2(), point)
        except Exception:  # pragma: no cover - validated above
            raise InvalidKey("SM2 public key", "rejected by the SM2 backend") from None
        return cls(key)

    @classmethod
    def from_raw64(cls, data: bytes) -> SM2PublicKey:
        """Load a 64-byte raw key ``x ‖ y`` (some HSMs and wallets export this form).

        Raises:
            InvalidKey: If it is not 64 bytes or not a point of the curve.
        """
        if len(data) != 64:
            raise InvalidKey("SM2 public key", f"expected 64 raw bytes x ‖ y, got {len(data)}")
        return cls.from_bytes(b"\x04" + bytes(data))

    def to_pem(self) -> bytes:
        """Return the PEM SubjectPublicKeyInfo (what ``openssl pkey -pubin`` reads)."""
        return bytes(
            self._key.public_bytes(_ser.Encoding.PEM, _ser.PublicFormat.SubjectPublicKeyInfo)
        )

    def to_der(self) -> bytes:
        """Return the DER SubjectPublicKeyInfo."""
        return bytes(
            self._key.public_bytes(_ser.Encoding.DER, _ser.PublicFormat.SubjectPublicKeyInfo)
        )

    def to_bytes(self) -> bytes:
        """Return the 65-byte uncompressed point ``0x04 ‖ x ‖ y``."""
        return self._point

    def fingerprint(self) -> KeyFingerprint:
        """Return the hex SM3 digest of the 65-byte point, a stable short name for the key."""
        return KeyFingerprint(sm3(self._point).hex())

    # -- signatures ----------------------------------------------------------------

    def za(self, user_id: bytes = DEFAULT_USER_ID) -> SM3Digest:
        """Return Z_A for this key and ``user_id`` (see :func:`compute_za`)."""
        return compute_za(self._point, bytes(user_id))

    def message_digest(self, data: bytes, *, user_id: bytes = DEFAULT_USER_ID) -> SM3Digest:
        """Return ``e = SM3(Z_A ‖ data)``, the value an SM2 signature actually signs."""
        h = SM3Hasher(self.za(user_id))
        h.update(data)
        return h.digest()

    def verify(self, signature: bytes, data: bytes, *, user_id: bytes = DEFAULT_USER_ID) -> None:
        """Check an SM2 signature over ``data``.

        Args:
            signature: DER ``SEQUENCE { r, s }``, strictly encoded.
            data: The signed message (not its digest).
            user_id: The signer's user ID; the default unless a profile says otherwise.

        Raises:
            InvalidSignature: For any signature that is not valid: wrong key, message or
                ID, malformed or non-strict DER, trailing bytes, r or s out of range.
            InvalidParameter: If ``user_id`` is too long (a caller error, not a bad
                signature).
        """
        user_id = bytes(user_id)
        check_user_id(user_id)
        sig = bytes(signature)
        try:
            r, s = decode_signature(sig)
        except DERError as exc:
            raise InvalidSignature(f"not a strict DER SM2 signature ({exc})") from None
        if not (1 <= r < SM2P256.n and 1 <= s < SM2P256.n):
            raise InvalidSignature("r or s out of range [1, n-1]")
        if user_id == DEFAULT_USER_ID:
            try:
                self._key.verify(sig, bytes(data), _SM2_WITH_SM3)
            except Exception:  # tongsuopy's InvalidSignature, or InternalError on odd input
                _native.clear_errors()
                raise InvalidSignature() from None
            return
        if not _native.verify_digest(self._key, sig, self.message_digest(data, user_id=user_id)):
            raise InvalidSignature()

    # -- encryption ----------------------------------------------------------------

    def encrypt(self, plaintext: bytes) -> bytes:
        """Encrypt to this key with SM2 public-key encryption (GB/T 32918.4, SM3).

        The result is the DER ``SM2Cipher`` of GM/T 0009 (C1, C3, C2), which
        ``openssl pkeyutl -decrypt`` reads.  For bulk data prefer
        :func:`quancheng.crypto.seal`.

        Raises:
            InvalidParameter: If ``plaintext`` is empty.
        """
        if not plaintext:
            raise InvalidParameter("plaintext", "SM2 encryption needs at least one byte")
        return _native.encrypt(self._key, bytes(plaintext))

    # -- value semantics -------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SM2PublicKey):
            return NotImplemented
        return self._point == other._point

    def __hash__(self) -> int:
        return hash((SM2PublicKey, self._point))

    def __repr__(self) -> str:
        return f"SM2PublicKey(fingerprint={self.fingerprint()[:16]}…)"


class SM2PrivateKey:
    """An SM2 private key: signs and decrypts.

    The secret never appears in ``repr``.  Create one with :meth:`generate`,
    :meth:`from_pem` or :meth:`from_int`.
    """

    __slots__ = ("_key", "_public")

    def __init__(self, _key: Any) -> None:
        """Wrap a validated tongsuopy key (internal: use the constructors)."""
        check_tongsuo_key(_key, "SM2 private key")
        d = _key.private_numbers().private_value
        if not 1 <= d <= SM2P256.n - 2:
            raise InvalidKey("SM2 private key", "private value outside [1, n-2]")
        self._key = _key
        self._public = SM2PublicKey(_key.public_key())

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        """Generate a fresh key with Tongsuo's CSPRNG."""
        return cls(_ec.generate_private_key(_ec.SM2()))

    @classmethod
    def from_int(cls, value: int) -> SM2PrivateKey:
        """Build a key from its private value d (tests and key import only).

        Raises:
            InvalidKey: If d is not in [1, n − 2].
        """
        if not 1 <= value <= SM2P256.n - 2:
            raise InvalidKey("SM2 private key", "private value outside [1, n-2]")
        return cls(_ec.derive_private_key(value, _ec.SM2()))

    @classmethod
    def from_pem(cls, data: bytes | str, password: bytes | None = None) -> SM2PrivateKey:
        """Load a PEM PKCS#8 key (``PRIVATE KEY`` or ``ENCRYPTED PRIVATE KEY``).

        Keys from ``openssl genpkey -algorithm SM2`` load as they are.

        Args:
            data: The PEM text.
            password: The passphrase if the key is encrypted.

        Raises:
            InvalidKey: If it is not an SM2 private key, the password is missing or wrong,
                or the public key stored beside d is not d·G.
        """
        raw = data.encode() if isinstance(data, str) else bytes(data)
        try:
            key = _ser.load_pem_private_key(raw, password)
        except TypeError as exc:  # password given for a clear key, or missing for an encrypted one
            raise InvalidKey("SM2 private key", str(exc)) from None
        except Exception:
            raise InvalidKey("SM2 private key", "not a PEM PKCS#8 key, or wrong password") from None
        loaded = cls(key)
        # PKCS#8 may carry a public key that does not belong to d; Z_A would then be
        # computed from the wrong point.  Recompute d·G natively and compare.
        derived = _ec.derive_private_key(loaded.private_value, _ec.SM2()).public_key()
        if point_of(derived) != loaded.public_key().to_bytes():
            raise InvalidKey("SM2 private key", "stored public key does not match the private key")
        return loaded

    def to_pem(self, password: bytes | None = None) -> bytes:
        """Return the PEM PKCS#8 encoding, encrypted (PBES2) when ``password`` is given.

        Raises:
            InvalidParameter: If ``password`` is empty.
        """
        if password is None:
            enc: Any = _ser.NoEncryption()
        elif not password:
            raise InvalidParameter("password", "must not be empty")
        else:
            enc = _ser.BestAvailableEncryption(bytes(password))
        return bytes(self._key.private_bytes(_ser.Encoding.PEM, _ser.PrivateFormat.PKCS8, enc))

    @property
    def private_value(self) -> int:
        """The private scalar d (handle with care)."""
        return int(self._key.private_numbers().private_value)

    def public_key(self) -> SM2PublicKey:
        """Return the matching public key."""
        return self._public

    def sign(self, data: bytes, *, user_id: bytes = DEFAULT_USER_ID) -> SM2Signature:
        """Sign ``data`` with e = SM3(Z_A ‖ data) and a fresh random nonce.

        Args:
            data: The message (not its digest).
            user_id: The signer's user ID; the default unless a profile says otherwise.

        Returns:
            The DER signature.

        Raises:
            InvalidParameter: If ``user_id`` is too long.
        """
        user_id = bytes(user_id)
        check_user_id(user_id)
        if user_id == DEFAULT_USER_ID:
            return SM2Signature(bytes(self._key.sign(bytes(data), _SM2_WITH_SM3)))
        e = self._public.message_digest(data, user_id=user_id)
        return SM2Signature(_native.sign_digest(self._key, e))

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Decrypt a DER ``SM2Cipher`` made by :meth:`SM2PublicKey.encrypt` or OpenSSL.

        Raises:
            DecryptionFailed: If it is malformed, for another key, or tampered with.
        """
        try:
            decode_sm2_cipher(bytes(ciphertext))
        except DERError:
            raise DecryptionFailed(_ENC_SCHEME) from None
        out = _native.decrypt(self._key, bytes(ciphertext))
        if out is None:
            raise DecryptionFailed(_ENC_SCHEME)
        return out

    def __repr__(self) -> str:
        return f"SM2PrivateKey(public={self._public!r})"
