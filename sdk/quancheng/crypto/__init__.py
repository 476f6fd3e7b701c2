"""National cryptography for Quancheng Chain: SM2, SM3, SM4, canonical JSON, recipes.

Two levels, like pyca/cryptography:

* primitives — :class:`SM2PrivateKey`, :class:`SM2PublicKey`, :func:`sm3`,
  :class:`SM3Hasher`, :func:`sm3_hmac`, :func:`sm4_gcm_encrypt`, :func:`seal`, ...
* recipes — :func:`sign_document`, :func:`verify_document`, :class:`SignedDocument`,
  :func:`pseudonym`, which fix every choice (canonical JSON, default user ID, DER,
  domain separation) so callers cannot get them wrong.

Example:
    >>> from quancheng.crypto import SM2PrivateKey, sign_document, verify_document
    >>> key = SM2PrivateKey.generate()
    >>> sig = sign_document(key, {"grant": 1, "purpose": "claims"})
    >>> verify_document(key.public_key(), {"purpose": "claims", "grant": 1}, sig)
"""

from quancheng.crypto.canonical import canonical_digest, canonical_json
from quancheng.crypto.errors import (
    DecryptionFailed,
    InvalidKey,
    InvalidParameter,
    InvalidSignature,
    MalformedEnvelope,
    NotCanonicalizable,
    UnsupportedEnvelopeVersion,
)
from quancheng.crypto.recipes import (
    PSEUDONYM_KEY_MIN_SIZE,
    Pseudonym,
    SignedDocument,
    normalize_identifier,
    pseudonym,
    sign_document,
    verify_document,
)
from quancheng.crypto.seal import ENVELOPE_VERSION, Envelope, open_sealed, parse_envelope, seal
from quancheng.crypto.sm2 import (
    DEFAULT_USER_ID,
    MAX_USER_ID_LENGTH,
    KeyFingerprint,
    SM2PrivateKey,
    SM2PublicKey,
    SM2Signature,
    compute_za,
)
from quancheng.crypto.sm2_ciphertext import c1c3c2_to_der, der_to_c1c3c2
from quancheng.crypto.sm3 import (
    SM3_DIGEST_SIZE,
    SM3Digest,
    SM3Hasher,
    SM3Mac,
    sm3,
    sm3_hmac,
    sm3_hmac_verify,
    sm3_kdf,
)
from quancheng.crypto.sm4 import (
    SM4_GCM_NONCE_SIZE,
    SM4_GCM_TAG_SIZE,
    SM4_KEY_SIZE,
    SM4Key,
    SM4Nonce,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
    sm4_gcm_open,
    sm4_gcm_seal,
)

__all__ = [
    "DEFAULT_USER_ID",
    "ENVELOPE_VERSION",
    "MAX_USER_ID_LENGTH",
    "PSEUDONYM_KEY_MIN_SIZE",
    "SM3_DIGEST_SIZE",
    "SM4_GCM_NONCE_SIZE",
    "SM4_GCM_TAG_SIZE",
    "SM4_KEY_SIZE",
    "DecryptionFailed",
    "Envelope",
    "InvalidKey",
    "InvalidParameter",
    "InvalidSignature",
    "KeyFingerprint",
    "MalformedEnvelope",
    "NotCanonicalizable",
    "Pseudonym",
    "SM2PrivateKey",
    "SM2PublicKey",
    "SM2Signature",
    "SM3Digest",
    "SM3Hasher",
    "SM3Mac",
    "SM4Key",
    "SM4Nonce",
    "SignedDocument",
    "UnsupportedEnvelopeVersion",
    "c1c3c2_to_der",
    "canonical_digest",
    "canonical_json",
    "compute_za",
    "der_to_c1c3c2",
    "normalize_identifier",
    "open_sealed",
    "parse_envelope",
    "pseudonym",
    "seal",
    "sign_document",
    "sm3",
    "sm3_hmac",
    "sm3_hmac_verify",
    "sm3_kdf",
    "sm4_gcm_decrypt",
    "sm4_gcm_encrypt",
    "sm4_gcm_open",
    "sm4_gcm_seal",
    "verify_document",
]
