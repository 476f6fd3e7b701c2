"""Talking to the chain: a tuned web3 factory, calls and locally signed transactions.

Institutions sign their own transactions (eth-account, fast with coincurve) and send them
raw; the node never holds a key. Every revert, whether found by ``eth_call``/``eth_estimateGas``
before sending or by a mined transaction with status 0, comes back as the typed exception of
:mod:`quancheng.chain.errors`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from typing import Any, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception, Web3RPCError
from web3.types import BlockIdentifier, TxParams, TxReceipt

from quancheng.chain.errors import RevertError, decode_revert
from quancheng.errors import ChainError

__all__ = [
    "ChainUnavailable",
    "NonceManager",
    "TransactionFailed",
    "TransactionRejected",
    "call",
    "load_account",
    "make_web3",
    "revert_data_of",
    "send_transaction",
]

_ZERO_ADDRESS = "0x" + "00" * 20
#: Headroom over eth_estimateGas: estimates can be a little short when state moves.
GAS_MARGIN = 1.2


class ChainUnavailable(ChainError):
    """The node could not be reached, or did not answer in time."""

    code = "CHAIN_UNAVAILABLE"


class TransactionRejected(ChainError):
    """The node refused a call or transaction for a reason other than a revert.

    For example: the sender cannot pay for gas, a nonce is stale, a gas limit is too low.
    """

    code = "TRANSACTION_REJECTED"


class TransactionFailed(ChainError):
    """A transaction was mined with status 0 and its revert could not be reproduced."""

    code = "TRANSACTION_FAILED"

    def __init__(self, tx_hash: str, block_number: int) -> None:
        self.tx_hash, self.block_number = tx_hash, block_number
        super().__init__(f"transaction {tx_hash} failed in block {block_number}")


def make_web3(rpc_url: str, *, timeout: float = 30.0) -> Web3:
    """A web3 client for ``rpc_url`` tuned for many small calls.

    Requests whose answer cannot change (chain id, …) are cached, and the validation and ENS
    middleware are dropped: a contract call then costs one HTTP round trip instead of three.
    """
    provider = HTTPProvider(
        rpc_url, cache_allowed_requests=True, request_kwargs={"timeout": timeout}
    )
    w3 = Web3(provider)
    for name in ("validation", "ens_name_to_address"):
        with contextlib.suppress(ValueError, Web3Exception):  # absent in some web3 versions
            w3.middleware_onion.remove(name)
    return w3


def load_account(private_key: str | bytes) -> LocalAccount:
    """The local signing account of a secp256k1 private key (hex or 32 bytes)."""
    return cast(LocalAccount, Account.from_key(private_key))


class NonceManager:
    """Next nonce per (node, account), kept locally so that sending needs no extra round trip.

    It resynchronises from the node (``pending`` count) the first time and after any failed
    send, so another process using the same account only costs one retry.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[tuple[str, str], int] = {}

    def reserve(self, w3: Web3, address: str) -> int:
        """Take the next nonce of ``address``."""
        key = (_endpoint(w3), address)
        with self._lock:
            nonce = self._next.get(key)
            if nonce is None:
                nonce = w3.eth.get_transaction_count(to_checksum_address(address), "pending")
            self._next[key] = nonce + 1
            return nonce

    def forget(self, w3: Web3, address: str) -> None:
        """Drop the local nonce of ``address``: the next reserve asks the node."""
        with self._lock:
            self._next.pop((_endpoint(w3), address), None)


#: The process-wide nonce manager used by :func:`send_transaction` by default.
NONCES = NonceManager()


def call(fn_call: ContractFunction, *, block: BlockIdentifier = "latest") -> Any:
    """Call a view function, turning a revert into its typed exception.

    Raises:
        RevertError: the call reverted (a subclass named after the Solidity error).
        TransactionRejected: the node refused the call for another reason.
        ChainUnavailable: the node could not be reached.
    """
    try:
        return fn_call.call(block_identifier=block)
    except (ContractLogicError, Web3RPCError) as exc:
        raise _chain_error(exc) from exc
    except OSError as exc:
        raise ChainUnavailable(f"call failed: {exc}") from exc


def send_transaction(
    w3: Web3,
    account: LocalAccount,
    fn_call: ContractFunction | ContractConstructor | TxParams,
    *,
    value: int = 0,
    gas: int | None = None,
    timeout: float = 120.0,
    nonces: NonceManager = NONCES,
) -> TxReceipt:
    """Sign ``fn_call`` locally with ``account``, send it raw and wait for its receipt.

    Args:
        w3: A client from :func:`make_web3`.
        account: The sender's local account.
        fn_call: A bound contract function, a contract constructor, or ``{"to", "data"}``.
        value: Wei to send along.
        gas: Gas limit; estimated (with a margin) when omitted, which also surfaces a revert
            before anything is sent.
        timeout: Seconds to wait for the receipt.
        nonces: Where nonces are kept (the process-wide manager by default).

    Returns:
        The receipt of the mined transaction (status 1).

    Raises:
        RevertError: the transaction reverts (a subclass named after the Solidity error).
        TransactionFailed: mined with status 0 and the revert could not be reproduced.
        TransactionRejected: the node refused it (funds, nonce, gas limit, ...).
        ChainUnavailable: the node could not be reached, or no receipt came in time.
    """
    try:
        return _send(w3, account, fn_call, value, gas, timeout, nonces)
    except OSError as exc:
        nonces.forget(w3, account.address)
        raise ChainUnavailable(f"transaction not sent: {exc}") from exc


def _send(
    w3: Web3,
    account: LocalAccount,
    fn_call: ContractFunction | ContractConstructor | TxParams,
    value: int,
    gas: int | None,
    timeout: float,
    nonces: NonceManager,
) -> TxReceipt:
    to, data = _target(fn_call)
    base: dict[str, Any] = {"from": account.address, "value": value, "data": data}
    if to is not None:
        base["to"] = to
    if gas is None:
        gas = _estimate_gas(w3, cast(TxParams, base))
    for attempt in (1, 2):
        nonce = nonces.reserve(w3, account.address)
        tx = {
            **base,
            "gas": gas,
            "gasPrice": w3.eth.gas_price,
            "nonce": nonce,
            "chainId": w3.eth.chain_id,
        }
        del tx["from"]
        raw = account.sign_transaction(tx).raw_transaction
        try:
            tx_hash = w3.eth.send_raw_transaction(raw)
            break
        except (ContractLogicError, Web3RPCError) as exc:
            nonces.forget(w3, account.address)
            error = _chain_error(exc)
            if isinstance(error, RevertError) or attempt == 2 or not _is_nonce_error(exc):
                raise error from exc
    return _wait(w3, HexBytes(tx_hash), cast(TxParams, base), timeout)


def revert_data_of(exc: BaseException) -> bytes | None:
    """The raw revert data a web3 exception carries, if any (None when it is not a revert)."""
    data: Any = getattr(exc, "data", None)
    if data is None and isinstance(exc, Web3RPCError):
        error = (exc.rpc_response or {}).get("error")
        data = error.get("data") if isinstance(error, Mapping) else None
        if data is None:
            return None
    if isinstance(data, Mapping):
        data = data.get("data")
    if isinstance(data, str):
        text = data[2:] if data.startswith("0x") else data
        try:
            return bytes.fromhex(text)
        except ValueError:
            return None
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if isinstance(exc, ContractLogicError):
        return b""  # a revert without data
    return None


# ---------------------------------------------------------------------------- internals


def _endpoint(w3: Web3) -> str:
    return str(getattr(w3.provider, "endpoint_uri", id(w3.provider)))


def _target(fn_call: ContractFunction | ContractConstructor | TxParams) -> tuple[str | None, bytes]:
    if isinstance(fn_call, ContractFunction):
        # Every field given: web3 only encodes, it asks the node nothing.
        placeholder = {"from": _ZERO_ADDRESS, "gas": 1, "gasPrice": 0, "nonce": 0, "chainId": 1}
        tx = fn_call.build_transaction(cast(TxParams, placeholder))
        return str(tx["to"]), HexBytes(tx["data"])
    if isinstance(fn_call, ContractConstructor):
        return None, HexBytes(fn_call.data_in_transaction)
    to = fn_call.get("to")
    return (str(to) if to else None), HexBytes(fn_call.get("data", b""))


def _estimate_gas(w3: Web3, tx: TxParams) -> int:
    try:
        return int(w3.eth.estimate_gas(tx) * GAS_MARGIN)
    except (ContractLogicError, Web3RPCError) as exc:
        raise _chain_error(exc) from exc


def _wait(w3: Web3, tx_hash: HexBytes, tx: TxParams, timeout: float) -> TxReceipt:
    try:
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.05)
    except TimeExhausted as exc:
        raise ChainUnavailable(f"no receipt for {tx_hash.to_0x_hex()} after {timeout} s") from exc
    if receipt["status"] == 1:
        return receipt
    block = int(receipt["blockNumber"])
    try:
        w3.eth.call(tx, block_identifier=block)
    except (ContractLogicError, Web3RPCError) as exc:
        error = _chain_error(exc)
        if isinstance(error, RevertError):
            raise error from exc
    raise TransactionFailed(tx_hash.to_0x_hex(), block)


def _chain_error(exc: Web3Exception) -> RevertError | TransactionRejected:
    data = revert_data_of(exc)
    if data is not None:
        return decode_revert(data)
    message = str(exc)
    if isinstance(exc, Web3RPCError) and exc.rpc_response:
        error = exc.rpc_response.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            message = str(error["message"])
    return TransactionRejected(message)


def _is_nonce_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "nonce" in text or "already known" in text or "replacement transaction" in text
