"""Small shared helpers of the SDK's client layer: id coercion, connections, a TTL cache."""

from __future__ import annotations

import binascii
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from pydantic import ValidationError

from quancheng.chain import ContractSet, Manifest, make_web3
from quancheng.crypto import InvalidKey, InvalidSignature, SM2PublicKey
from quancheng.errors import ConfigError
from quancheng.protocol.documents import unb64

__all__ = [
    "ArgumentError",
    "HasContracts",
    "TTLCache",
    "as_bytes32",
    "as_date",
    "as_public_key",
    "as_unix",
    "connect",
    "contracts_of",
    "describe",
    "signature_valid",
    "utc_from_ms",
]

_K = TypeVar("_K")
_V = TypeVar("_V")


class ArgumentError(ConfigError):
    """An argument given to the SDK is malformed.

    Attributes:
        name: The argument's name.
        reason: What is wrong with it.
    """

    code = "INVALID_ARGUMENT"

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason
        super().__init__(f"invalid {name}: {reason}")


class HasContracts(Protocol):
    """Anything bound to a deployment (a client, the authority)."""

    @property
    def contracts(self) -> ContractSet:
        """The deployment."""
        ...


def as_bytes32(value: bytes | str, name: str) -> bytes:
    """32 bytes from bytes or ``0x`` hex.

    Raises:
        ArgumentError: If it is not 32 bytes.
    """
    if isinstance(value, str):
        text = value.removeprefix("0x")
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ArgumentError(name, "not hex") from None
    else:
        raw = bytes(value)
    if len(raw) != 32:
        raise ArgumentError(name, f"expected 32 bytes, got {len(raw)}")
    return raw


def as_public_key(value: SM2PublicKey | bytes | str, name: str = "public key") -> SM2PublicKey:
    """An SM2 public key from a key, 65 uncompressed bytes, their hex, or PEM text.

    Raises:
        ArgumentError: If it is not an SM2 public key.
    """
    if isinstance(value, SM2PublicKey):
        return value
    try:
        if isinstance(value, str):
            if "-----BEGIN" in value:
                return SM2PublicKey.from_pem(value)
            return SM2PublicKey.from_bytes(bytes.fromhex(value.removeprefix("0x")))
        return SM2PublicKey.from_bytes(bytes(value))
    except (InvalidKey, ValueError) as exc:
        raise ArgumentError(name, str(exc)) from None


def as_unix(value: datetime | int | float, name: str) -> int:
    """Unix seconds from an aware datetime or a number.

    Raises:
        ArgumentError: If the datetime is naive.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ArgumentError(name, "a datetime must carry its time zone")
        return int(value.timestamp())
    return int(value)


def as_date(value: date | str, name: str) -> str:
    """An ISO date string from a date or ISO text.

    Raises:
        ArgumentError: If it is not a date.
    """
    if isinstance(value, datetime):
        raise ArgumentError(name, "give a date, not a datetime")
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise ArgumentError(name, f"{value!r} is not an ISO date") from None


def utc_from_ms(ms: int) -> datetime:
    """An aware UTC datetime from Unix milliseconds."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def connect(rpc_url: str, manifest: Manifest | Path | str) -> ContractSet:
    """The deployment of ``manifest`` on the node at ``rpc_url`` (nothing is sent yet).

    Raises:
        ManifestError: If the manifest file is missing or invalid.
    """
    loaded = manifest if isinstance(manifest, Manifest) else Manifest.load(Path(manifest))
    return ContractSet(make_web3(rpc_url), loaded)


def contracts_of(source: ContractSet | HasContracts) -> ContractSet:
    """The deployment of a ContractSet or of anything bound to one."""
    if isinstance(source, ContractSet):
        return source
    return source.contracts


class TTLCache(Generic[_K, _V]):
    """A small thread-safe cache whose entries expire after ``ttl`` seconds of ``clock``."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self._ttl, self._clock = ttl, clock
        self._lock = threading.Lock()
        self._items: dict[_K, tuple[float, _V]] = {}

    def get(self, key: _K) -> _V | None:
        """The value, or None if absent or expired."""
        with self._lock:
            item = self._items.get(key)
            if item is None or self._clock() - item[0] >= self._ttl:
                return None
            return item[1]

    def put(self, key: _K, value: _V) -> None:
        """Store ``value`` from now."""
        with self._lock:
            self._items[key] = (self._clock(), value)

    def drop(self, key: _K) -> None:
        """Forget ``key``."""
        with self._lock:
            self._items.pop(key, None)


def describe(exc: ValidationError | ValueError) -> str:
    """The first problem of a validation error, as ``location: message``."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "value"
    return f"{where}: {err.get('msg', 'invalid')}"


def signature_valid(key: SM2PublicKey, signature_b64: str | bytes, message: bytes) -> bool:
    """True when ``signature_b64`` (base64 DER, or DER bytes) verifies over ``message``."""
    try:
        der = unb64(signature_b64) if isinstance(signature_b64, str) else bytes(signature_b64)
        key.verify(der, message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
