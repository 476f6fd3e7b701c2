"""Typed Python exceptions for every Solidity custom error of the contracts.

web3 only hands back raw revert data. At import, this module builds one exception class per
custom error in the contracts' ABIs (``quancheng.chain.abi``), named exactly like the Solidity
error, and maps its 4-byte selector to it::

    from quancheng.chain.errors import GrantRegistryNotActive

    try:
        send_transaction(w3, provider, grants.functions.recordUses(grant_id, resource_id, 1))
    except GrantRegistryNotActive as exc:
        exc.grant_id, exc.status          # b"...", GrantStatus.PAUSED

Arguments become attributes in snake_case (``grantId`` → ``grant_id``); enums become the
:mod:`quancheng.chain.types` enums; ``exc.arguments`` keeps the Solidity names. Errors of the
GrantRegistry derive from :class:`~quancheng.errors.GrantError`, the others from
:class:`~quancheng.errors.ChainError`; all derive from :class:`RevertError`. Revert data that
matches no known error (``Error(string)``, ``Panic(uint256)``, empty, unknown selectors)
becomes :class:`ContractRevert`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any, ClassVar

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from quancheng.chain._abiutil import abi_type, enum_of, signature, snake
from quancheng.chain.abi import ABIS
from quancheng.chain.types import decode_code32
from quancheng.errors import ChainError, GrantError, QuanchengError

__all__ = [
    "ERRORS_BY_NAME",
    "ERRORS_BY_SELECTOR",
    "ContractChainError",
    "ContractGrantError",
    "ContractRevert",
    "RevertError",
    "decode_revert",
]

_ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
_PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)
#: Attributes of the exceptions that a decoded argument must not overwrite.
_RESERVED = frozenset(
    {"abi_inputs", "add_note", "args", "arguments", "code", "contracts", "data", "error_name",
     "reason", "selector", "signature", "with_traceback"}
)  # fmt: skip
#: Contracts whose errors are grant refusals rather than chain refusals.
_GRANT_CONTRACTS = frozenset({"GrantRegistry"})


class RevertError(QuanchengError):
    """Base of every decoded contract revert.

    Attributes:
        data: The raw revert data.
        arguments: Decoded arguments by their Solidity names.
    """

    code = "CONTRACT_REVERT"
    #: The Solidity error name ("" for :class:`ContractRevert`).
    error_name: ClassVar[str] = ""
    #: Canonical signature, e.g. ``GrantRegistryNotActive(bytes32,uint8)``.
    signature: ClassVar[str] = ""
    #: The 4-byte selector.
    selector: ClassVar[bytes] = b""
    #: The contracts whose ABI declares the error.
    contracts: ClassVar[tuple[str, ...]] = ()
    #: The ABI entry's inputs.
    abi_inputs: ClassVar[tuple[Mapping[str, Any], ...]] = ()

    def __init__(self, data: bytes, arguments: Mapping[str, Any] | None = None) -> None:
        self.data = bytes(data)
        self.arguments: dict[str, Any] = dict(arguments or {})
        for name, value in self.arguments.items():
            setattr(self, snake(name), value)
        super().__init__(self._message())

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes that are not set: lets type checkers accept the
        # generated argument attributes while still failing loudly at run time.
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.data, self.arguments))

    def _message(self) -> str:
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.arguments.items())
        return f"{self.error_name}({args})"


class ContractRevert(RevertError, ChainError):
    """A revert that matches no custom error: ``Error(string)``, a panic, or unknown data."""

    code = "CONTRACT_REVERT"

    def __init__(self, data: bytes, reason: str | None = None) -> None:
        self.reason = reason
        super().__init__(data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.data, self.reason))

    def _message(self) -> str:
        if self.reason is not None:
            return f"reverted: {self.reason}"
        if not self.data:
            return "reverted without data"
        return f"reverted with unknown data 0x{self.data.hex()}"


class ContractChainError(RevertError, ChainError):
    """Base of the generated errors of the registry, catalogue, owner registry and ledger."""


class ContractGrantError(RevertError, GrantError):
    """Base of the generated errors of the GrantRegistry."""


def decode_revert(data: bytes | str | None) -> RevertError:
    """The exception that ``data`` (raw revert data, bytes or 0x-hex) stands for.

    Never raises: undecodable data gives a :class:`ContractRevert` carrying it.
    """
    raw = _to_bytes(data)
    cls = ERRORS_BY_SELECTOR.get(raw[:4])
    if cls is not None:
        try:
            values = abi_decode([abi_type(i) for i in cls.abi_inputs], raw[4:])
        except (DecodingError, OverflowError, ValueError):
            return ContractRevert(raw)
        return cls(raw, _arguments(cls.abi_inputs, values))
    if raw[:4] == _ERROR_STRING_SELECTOR:
        try:
            (reason,) = abi_decode(["string"], raw[4:])
        except (DecodingError, ValueError):
            return ContractRevert(raw)
        return ContractRevert(raw, str(reason))
    if raw[:4] == _PANIC_SELECTOR and len(raw) == 36:
        return ContractRevert(raw, f"panic 0x{int.from_bytes(raw[4:], 'big'):02x}")
    return ContractRevert(raw)


# ------------------------------------------------------------------------- generation


def _convert(entry: Mapping[str, Any], value: Any) -> Any:
    enum = enum_of(entry)
    if enum is not None:
        try:
            return enum(value)
        except ValueError:
            return value
    if entry["type"] == "address":
        return to_checksum_address(value)
    return value


def _arguments(inputs: tuple[Mapping[str, Any], ...], values: tuple[Any, ...]) -> dict[str, Any]:
    return {
        str(entry["name"]) or f"arg{i}": _convert(entry, value)
        for i, (entry, value) in enumerate(zip(inputs, values, strict=True))
    }


def _code(name: str) -> str:
    return snake(name).upper()


def _show(value: Any) -> str:
    if isinstance(value, IntEnum):
        return value.name
    if isinstance(value, bytes):
        code = decode_code32(value) if len(value) == 32 else None
        return repr(code) if code is not None else "0x" + value.hex()
    return repr(value)


def _to_bytes(data: bytes | str | None) -> bytes:
    if data is None:
        return b""
    if isinstance(data, str):
        text = data[2:] if data[:2].lower() == "0x" else data
        try:
            return bytes.fromhex(text)
        except ValueError:
            return b""
    return bytes(data)


def _generate() -> dict[bytes, type[RevertError]]:
    by_selector: dict[bytes, type[RevertError]] = {}
    declared: dict[bytes, list[str]] = {}
    entries: dict[bytes, Mapping[str, Any]] = {}
    for contract, abi in sorted(ABIS.items()):
        for abi_entry in abi:
            if abi_entry.get("type") != "error":
                continue
            selector = keccak(text=signature(abi_entry))[:4]
            declared.setdefault(selector, []).append(contract)
            entries[selector] = abi_entry
    for selector, entry in entries.items():
        name = str(entry["name"])
        contracts = tuple(declared[selector])
        inputs = tuple(entry.get("inputs", ()))
        clashes = {snake(str(i["name"])) for i in inputs} & _RESERVED
        if clashes:  # pragma: no cover - would shadow an attribute of the exception
            raise RuntimeError(f"error {name}: rename parameter(s) {sorted(clashes)}")
        grant = any(c in _GRANT_CONTRACTS for c in contracts)
        base: type[RevertError] = ContractGrantError if grant else ContractChainError
        attrs: dict[str, Any] = {
            "__doc__": f"Solidity error ``{name}`` of {', '.join(contracts)}.",
            "__module__": __name__,
            "code": _code(name),
            "error_name": name,
            "signature": signature(entry),
            "selector": selector,
            "contracts": contracts,
            "abi_inputs": inputs,
        }
        by_selector[selector] = type(name, (base,), attrs)
    return by_selector


#: Selector → exception class, for every custom error of every contract.
ERRORS_BY_SELECTOR: dict[bytes, type[RevertError]] = _generate()
#: Solidity error name → exception class.
ERRORS_BY_NAME: dict[str, type[RevertError]] = {
    cls.error_name: cls for cls in ERRORS_BY_SELECTOR.values()
}
globals().update(ERRORS_BY_NAME)
__all__ += sorted(ERRORS_BY_NAME)


def __getattr__(name: str) -> type[RevertError]:
    # The generated classes are in the module's globals; this only tells type checkers that
    # ``from quancheng.chain.errors import GrantRegistryNotActive`` is an exception class.
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
