"""The few Tongsuo EVP calls that tongsuopy's public API does not wrap.

tongsuopy signs only through ``EVP_DigestSign``, which applies Z_A with the default
user ID and offers no way to set another (``EVP_PKEY_CTX_set1_id`` is not bound), and
it has no SM2 public-key encryption at all.  Tongsuo's SM2 ``EVP_PKEY_sign`` /
``EVP_PKEY_verify`` take the already-computed ``e = SM3(Z_A ‖ M)``, and its
``EVP_PKEY_encrypt`` / ``EVP_PKEY_decrypt`` implement GB/T 32918.4 with SM3, so these
wrappers keep every secret-key operation native (and constant time) for those cases.

This touches tongsuopy internals (``backend._lib`` and ``key._evp_pkey``); the pinned
range in pyproject keeps them stable and the tests cover each call against OpenSSL.
"""

from __future__ import annotations

from typing import Any

from tongsuopy.backends.tongsuo.backend import backend as _backend

_lib: Any = _backend._lib
_ffi: Any = _backend._ffi

__all__ = ["clear_errors", "decrypt", "encrypt", "is_sm2_key", "sign_digest", "verify_digest"]


def is_sm2_key(key: Any) -> bool:
    """Whether a tongsuopy key is an SM2-typed EVP_PKEY (not plain ECDSA on the SM2 curve)."""
    return bool(_lib.EVP_PKEY_id(key._evp_pkey) == _lib.EVP_PKEY_SM2)


def _new_ctx(key: Any) -> Any:
    ctx = _lib.EVP_PKEY_CTX_new(key._evp_pkey, _ffi.NULL)
    if ctx == _ffi.NULL:  # pragma: no cover - allocation failure
        raise MemoryError("EVP_PKEY_CTX_new failed")
    return _ffi.gc(ctx, _lib.EVP_PKEY_CTX_free)


def clear_errors() -> None:
    """Empty Tongsuo's error queue after an expected failure."""
    _lib.ERR_clear_error()


_MAX_SIGNATURE_SIZE = 72  # DER of two 256-bit integers, each possibly 0x00-padded


def sign_digest(private_key: Any, e: bytes) -> bytes:
    """Sign ``e`` (already SM3(Z_A ‖ M)) and return the DER signature."""
    ctx = _new_ctx(private_key)
    size = _ffi.new("size_t *", _MAX_SIGNATURE_SIZE)
    buf = _ffi.new("unsigned char[]", _MAX_SIGNATURE_SIZE)
    if _lib.EVP_PKEY_sign_init(ctx) != 1 or _lib.EVP_PKEY_sign(ctx, buf, size, e, len(e)) != 1:
        clear_errors()  # pragma: no cover - only on allocation failure or a non-SM2 key
        raise RuntimeError("Tongsuo EVP_PKEY_sign failed")
    return bytes(_ffi.buffer(buf, size[0]))


def verify_digest(public_key: Any, signature: bytes, e: bytes) -> bool:
    """Verify a DER signature over ``e``; never raises for a bad signature."""
    ctx = _new_ctx(public_key)
    if _lib.EVP_PKEY_verify_init(ctx) != 1:  # pragma: no cover
        clear_errors()
        return False
    ok = bool(_lib.EVP_PKEY_verify(ctx, signature, len(signature), e, len(e)) == 1)
    if not ok:
        clear_errors()
    return ok


def encrypt(public_key: Any, plaintext: bytes) -> bytes:
    """GB/T 32918.4 encryption with SM3; returns the DER ``SM2Cipher`` (C1, C3, C2)."""
    ctx = _new_ctx(public_key)
    size = _ffi.new("size_t *")
    if (
        _lib.EVP_PKEY_encrypt_init(ctx) != 1
        or _lib.EVP_PKEY_encrypt(ctx, _ffi.NULL, size, plaintext, len(plaintext)) != 1
    ):  # pragma: no cover
        clear_errors()
        raise RuntimeError("Tongsuo EVP_PKEY_encrypt setup failed")
    buf = _ffi.new("unsigned char[]", size[0])
    if _lib.EVP_PKEY_encrypt(ctx, buf, size, plaintext, len(plaintext)) != 1:  # pragma: no cover
        clear_errors()
        raise RuntimeError("Tongsuo EVP_PKEY_encrypt failed")
    return bytes(_ffi.buffer(buf, size[0]))


def decrypt(private_key: Any, ciphertext: bytes) -> bytes | None:
    """GB/T 32918.4 decryption of a DER ``SM2Cipher``; ``None`` if it does not check."""
    ctx = _new_ctx(private_key)
    size = _ffi.new("size_t *")
    if (
        _lib.EVP_PKEY_decrypt_init(ctx) != 1
        or _lib.EVP_PKEY_decrypt(ctx, _ffi.NULL, size, ciphertext, len(ciphertext)) != 1
    ):
        clear_errors()
        return None
    buf = _ffi.new("unsigned char[]", max(size[0], 1))
    if _lib.EVP_PKEY_decrypt(ctx, buf, size, ciphertext, len(ciphertext)) != 1:
        clear_errors()
        return None
    return bytes(_ffi.buffer(buf, size[0]))
