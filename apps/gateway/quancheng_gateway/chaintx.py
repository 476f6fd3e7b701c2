"""Transactions that survive a crash: signed, stored, then sent; resent as the same bytes.

The anchorer stores a transaction's raw signed bytes and hash in its batch row before it
sends them. After a crash it looks the hash up; if the transaction was never mined it sends
the very same bytes again (same nonce), so a batch is never anchored twice and its uses
are never recorded twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import TxParams

from quancheng.chain.client import ChainUnavailable, TransactionRejected, revert_data_of
from quancheng.chain.errors import RevertError, decode_revert

__all__ = ["SignedTx", "TxOutcome", "lookup", "send_raw", "sign_call"]

_GAS_MARGIN = 1.3


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction ready to (re)send."""

    raw: str  # 0x hex
    tx_hash: str  # 0x hex
    nonce: int


@dataclass(frozen=True)
class TxOutcome:
    """A mined transaction."""

    ok: bool
    block: int


def _wrap(exc: BaseException) -> BaseException:
    data = revert_data_of(exc)
    if data is not None:
        return decode_revert(data)
    return TransactionRejected(str(exc))


def sign_call(
    w3: Web3, account: LocalAccount, fn: ContractFunction, gas: int | None = None
) -> SignedTx:
    """Sign ``fn`` with the next nonce, after checking it would not revert now (a revert
    surfaces as its typed error).

    ``gas``: the caller's upper bound of the call's gas. One ``eth_call`` then executes the
    call once to check it. Without it, the ``eth_estimateGas`` web3 runs to build the
    transaction checks it, and its figure (with 30 % headroom) is the gas; but a node's
    estimate executes the call many times over, searching for the lowest gas that succeeds:
    for an anchor under load (two estimates then) that was two thirds of the node's CPU and
    0.1-0.2 s of every batch. A bound over what the call uses costs nothing more: only the
    gas used is charged.
    """
    try:
        params: TxParams = {"from": account.address}
        if gas is not None:
            params["gas"] = gas  # then web3 estimates nothing while it fills in the fees
        tx: dict[str, Any] = dict(fn.build_transaction(params))
        if gas is None:
            tx["gas"] = int(tx["gas"] * _GAS_MARGIN)  # web3's eth_estimateGas, with headroom
        else:
            w3.eth.call(tx, "pending")  # type: ignore[arg-type]
        tx["nonce"] = w3.eth.get_transaction_count(account.address, "pending")
        tx["chainId"] = w3.eth.chain_id
        tx.pop("from", None)
    except (ContractLogicError, Web3RPCError) as exc:
        raise _wrap(exc) from exc
    except OSError as exc:
        raise ChainUnavailable(str(exc)) from exc
    signed = account.sign_transaction(tx)
    return SignedTx(
        "0x" + bytes(signed.raw_transaction).hex(), "0x" + bytes(signed.hash).hex(), tx["nonce"]
    )


def lookup(w3: Web3, tx_hash: str) -> TxOutcome | None:
    """The outcome of a transaction if it was mined, else None."""
    try:
        receipt = w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        return None
    except OSError as exc:
        raise ChainUnavailable(str(exc)) from exc
    return TxOutcome(receipt["status"] == 1, int(receipt["blockNumber"]))


def send_raw(w3: Web3, raw: str, tx_hash: str, timeout: float) -> TxOutcome:
    """Send stored bytes (again) and wait for them to be mined.

    Raises:
        RevertError: the node refused it as a revert.
        TransactionRejected: the node refused it otherwise (e.g. its nonce was used).
        ChainUnavailable: the node is unreachable or did not mine it in time.
    """
    try:
        w3.eth.send_raw_transaction(HexBytes(raw))
    except (ContractLogicError, Web3RPCError) as exc:
        text = str(exc).lower()
        if "nonce too low" in text or "nonce has already been used" in text:
            mined = lookup(w3, tx_hash)
            if mined is not None:
                return mined
            raise TransactionRejected(
                f"the nonce of {tx_hash} was used by another transaction"
            ) from exc
        if "already known" not in text:
            raise _wrap(exc) from exc
    except OSError as exc:
        raise ChainUnavailable(str(exc)) from exc
    try:
        receipt = w3.eth.wait_for_transaction_receipt(
            HexBytes(tx_hash), timeout=timeout, poll_latency=0.02
        )
    except OSError as exc:
        raise ChainUnavailable(str(exc)) from exc
    except Exception as exc:  # web3's TimeExhausted
        raise ChainUnavailable(f"{tx_hash} not mined in {timeout} s") from exc
    return TxOutcome(receipt["status"] == 1, int(receipt["blockNumber"]))


__all__ += ["RevertError"]
