"""An institution's identity: its consortium code, its SM2 signing key and its chain account.

Banks, insurers, gateways and the identity authority each act as one institution. The
committee bound the institution's chain account and SM2 public key together when it admitted
it, so both keys are loaded together and never printed::

    me = Institution.load(
        "bank.jinan",
        sm2_key="/etc/quancheng/sm2.pem",
        chain_key_file="/etc/quancheng/chain.key",
    )

or from the environment (``QC_INSTITUTION_CODE``, ``QC_SM2_KEY_FILE``,
``QC_SM2_KEY_PASSWORD``, ``QC_CHAIN_KEY`` or ``QC_CHAIN_KEY_FILE``, ``QC_CHAIN_KEY_PASSWORD``)
with :meth:`Institution.from_env`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from quancheng.chain.types import InstitutionId, code32
from quancheng.crypto import InvalidKey, SM2PrivateKey, SM2PublicKey
from quancheng.errors import ConfigError
from quancheng.protocol.ids import CODE_PATTERN

__all__ = ["IdentityError", "Institution"]

_CODE = re.compile(CODE_PATTERN)
_HEX_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


class IdentityError(ConfigError):
    """An institution's code or keys are missing, unreadable or malformed.

    Attributes:
        what: Which part of the identity is wrong (``"code"``, ``"SM2 key"``, ``"chain key"``).
        reason: What is wrong with it (never the secret itself).
    """

    code = "IDENTITY_ERROR"

    def __init__(self, what: str, reason: str) -> None:
        self.what, self.reason = what, reason
        super().__init__(f"institution {what}: {reason}")


class Institution:
    """A consortium member as it acts: code, SM2 private key and chain account.

    Build one with :meth:`load`, :meth:`from_env`, or directly from loaded keys. Neither key
    appears in ``repr`` or ``str``.

    Attributes:
        code: The institution's consortium code, e.g. ``"bank.jinan"``.
        sm2_key: The SM2 key that signs grant requests, queries, answers and receipts.
        account: The secp256k1 account that signs the institution's transactions.
    """

    __slots__ = ("account", "code", "sm2_key")

    def __init__(self, code: str, sm2_key: SM2PrivateKey, account: LocalAccount) -> None:
        """Bind a code to already loaded keys.

        Raises:
            IdentityError: If the code is not a valid consortium code.
        """
        if not _CODE.fullmatch(code):
            raise IdentityError("code", f"{code!r} does not match {CODE_PATTERN}")
        self.code = code
        self.sm2_key = sm2_key
        self.account = account

    # ---------------------------------------------------------------------------- loading

    @classmethod
    def load(
        cls,
        code: str,
        *,
        sm2_key: SM2PrivateKey | Path | str | bytes,
        sm2_password: bytes | None = None,
        chain_key: str | bytes | None = None,
        chain_key_file: Path | str | None = None,
        chain_key_password: str | None = None,
    ) -> Institution:
        """Load an institution's keys.

        Args:
            code: The consortium code.
            sm2_key: A loaded key, PEM text or bytes, or the path of a PKCS#8 PEM file.
            sm2_password: The passphrase of an encrypted PEM.
            chain_key: The chain private key as hex (or 32 raw bytes).
            chain_key_file: A file holding the hex key, or an Ethereum V3 keystore (JSON).
            chain_key_password: The keystore's password.

        Returns:
            The institution.

        Raises:
            IdentityError: A key is missing, unreadable or malformed, or both or neither of
                ``chain_key`` and ``chain_key_file`` are given.
        """
        if (chain_key is None) == (chain_key_file is None):
            raise IdentityError("chain key", "give exactly one of chain_key or chain_key_file")
        sm2 = _load_sm2(sm2_key, sm2_password)
        if chain_key_file is not None:
            account = _account_from_file(Path(chain_key_file), chain_key_password)
        else:
            assert chain_key is not None
            account = _account_from_secret(chain_key)
        return cls(code, sm2, account)

    @classmethod
    def from_env(cls, prefix: str = "QC_", env: Mapping[str, str] | None = None) -> Institution:
        """Load the identity named by environment variables.

        Reads ``{prefix}INSTITUTION_CODE``, ``{prefix}SM2_KEY_FILE`` (and optionally
        ``{prefix}SM2_KEY_PASSWORD``), and ``{prefix}CHAIN_KEY`` or ``{prefix}CHAIN_KEY_FILE``
        (and optionally ``{prefix}CHAIN_KEY_PASSWORD``).

        Args:
            prefix: The variables' prefix.
            env: Where to read them (``os.environ`` by default).

        Raises:
            IdentityError: A variable is missing or a key cannot be loaded.
        """
        source = os.environ if env is None else env

        def need(name: str) -> str:
            value = source.get(prefix + name)
            if not value:
                raise IdentityError(name.lower(), f"set {prefix}{name}")
            return value

        password = source.get(prefix + "SM2_KEY_PASSWORD")
        return cls.load(
            need("INSTITUTION_CODE"),
            sm2_key=Path(need("SM2_KEY_FILE")),
            sm2_password=password.encode() if password else None,
            chain_key=source.get(prefix + "CHAIN_KEY") or None,
            chain_key_file=source.get(prefix + "CHAIN_KEY_FILE") or None,
            chain_key_password=source.get(prefix + "CHAIN_KEY_PASSWORD") or None,
        )

    # --------------------------------------------------------------------------- views

    @property
    def id(self) -> InstitutionId:
        """The code packed as the chain's ``bytes32`` institution id."""
        return InstitutionId(code32(self.code))

    @property
    def address(self) -> ChecksumAddress:
        """The checksummed chain address."""
        return self.account.address

    @property
    def sm2_public_key(self) -> SM2PublicKey:
        """The SM2 public key the committee registered for this institution."""
        return self.sm2_key.public_key()

    def __repr__(self) -> str:
        fingerprint = self.sm2_public_key.fingerprint()[:16]
        return f"Institution(code={self.code!r}, address={self.address}, sm2={fingerprint}…)"

    __str__ = __repr__


# ------------------------------------------------------------------------------- internals


def _load_sm2(source: SM2PrivateKey | Path | str | bytes, password: bytes | None) -> SM2PrivateKey:
    if isinstance(source, SM2PrivateKey):
        return source
    if isinstance(source, bytes) or (isinstance(source, str) and "-----BEGIN" in source):
        pem = source if isinstance(source, bytes) else source.encode()
        where = "given PEM"
    else:
        path = Path(source)
        where = str(path)
        try:
            pem = path.read_bytes()
        except FileNotFoundError:
            raise IdentityError("SM2 key", f"no file at {path}") from None
        except OSError as exc:
            raise IdentityError("SM2 key", f"cannot read {path}: {exc.strerror}") from None
    try:
        return SM2PrivateKey.from_pem(pem, password)
    except InvalidKey as exc:
        raise IdentityError("SM2 key", f"{where}: {exc.reason}") from None


def _account_from_secret(secret: str | bytes) -> LocalAccount:
    if isinstance(secret, str):
        text = secret.strip()
        if not _HEX_KEY.fullmatch(text):
            raise IdentityError("chain key", "expected 32 bytes as hex")
        raw = bytes.fromhex(text.removeprefix("0x"))
    else:
        raw = bytes(secret)
        if len(raw) != 32:
            raise IdentityError("chain key", f"expected 32 bytes, got {len(raw)}")
    try:
        account: LocalAccount = Account.from_key(raw)
    except (ValueError, TypeError):
        raise IdentityError("chain key", "not a valid secp256k1 private key") from None
    return account


def _account_from_file(path: Path, password: str | None) -> LocalAccount:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IdentityError("chain key", f"no file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IdentityError("chain key", f"cannot read {path}: {exc}") from None
    if not text.startswith("{"):
        try:
            return _account_from_secret(text)
        except IdentityError as exc:
            raise IdentityError("chain key", f"{path}: {exc.reason}") from None
    if password is None:
        raise IdentityError("chain key", f"{path} is a keystore: give its password")
    try:
        raw = Account.decrypt(json.loads(text), password)
    except (ValueError, KeyError, TypeError):
        raise IdentityError("chain key", f"{path}: not a keystore, or wrong password") from None
    return _account_from_secret(bytes(raw))
