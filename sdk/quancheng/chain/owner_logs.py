"""An owner's key history from the OwnerRegistry's events: every binding, re-binding and
revocation, with its time and the identity authority that made it.

The owner's portal and wallet show it so that a key bound without the owner's knowledge is
visible to the owner (the audit lists the same re-bindings as ``OWNER_KEY_REBOUND``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from web3.exceptions import Web3Exception
from web3.types import FilterParams

from quancheng.chain.client import ChainUnavailable
from quancheng.chain.contracts import ContractSet
from quancheng.chain.types import decode_code32

__all__ = ["KeyEvent", "owner_key_history"]

#: Most events one owner's history returns (a pseudonym with more is not a person's).
MAX_EVENTS = 1_000


@dataclass(frozen=True)
class KeyEvent:
    """One change of an owner's key binding.

    Attributes:
        kind: ``"bound"`` (first key), ``"rebound"`` (a new key replaced one), ``"reattested"``
            (the same key attested again after a revocation) or ``"revoked"``.
        authority: Institution code of the identity authority that made the change.
        public_key: The key bound from then on (``0x04…``; empty for a revocation).
        previous_key: The key it replaced (empty for a first binding or a revocation).
        key_version: The owner's key version after the change (0 for a revocation).
        reason: The revocation's reason code (empty otherwise).
        block_number: Block of the change.
        timestamp: Block time of the change (unix seconds).
        tx_hash: The transaction.
    """

    kind: Literal["bound", "rebound", "reattested", "revoked"]
    authority: str
    public_key: str
    previous_key: str
    key_version: int
    reason: str
    block_number: int
    timestamp: int
    tx_hash: str


def owner_key_history(contracts: ContractSet, pseudonym: bytes) -> list[KeyEvent]:
    """Every key binding and revocation of ``pseudonym``, oldest first.

    Raises:
        ChainUnavailable: The node could not be reached or refused the log query.
    """
    if len(pseudonym) != 32:
        raise ValueError(f"a pseudonym is 32 bytes, got {len(pseudonym)}")
    params: FilterParams = {
        "address": contracts.owners.address,
        "fromBlock": contracts.manifest.contracts["OwnerRegistry"].block_number,
        "toBlock": "latest",
        "topics": [None, "0x" + pseudonym.hex()],  # pseudonym is the first indexed argument
    }
    try:
        logs = contracts.w3.eth.get_logs(params)[:MAX_EVENTS]
        times: dict[int, int] = {}
        events = []
        for log in logs:
            event = contracts.decode_log(log)
            if event is None or event.name not in ("OwnerAttested", "OwnerAttestationRevoked"):
                continue
            block = int(log["blockNumber"])
            if block not in times:
                times[block] = int(contracts.w3.eth.get_block(block)["timestamp"])
            events.append(_key_event(event.name, event.args, log, times[block]))
    except (OSError, Web3Exception) as exc:
        raise ChainUnavailable(f"cannot read the owner's key events: {exc}") from exc
    return events


def _key_event(name: str, args: Any, log: Any, timestamp: int) -> KeyEvent:
    authority = decode_code32(bytes(args["attesterId"])) or ""
    block, tx_hash = int(log["blockNumber"]), "0x" + bytes(log["transactionHash"]).hex()
    if name == "OwnerAttestationRevoked":
        reason = decode_code32(bytes(args["reason"])) or ""
        return KeyEvent("revoked", authority, "", "", 0, reason, block, timestamp, tx_hash)
    key, previous = bytes(args["sm2PublicKey"]), bytes(args["previousSm2PublicKey"])
    kind: Literal["bound", "rebound", "reattested"] = (
        "bound" if not previous else ("reattested" if previous == key else "rebound")
    )
    return KeyEvent(
        kind,
        authority,
        "0x" + key.hex(),
        "0x" + previous.hex() if previous else "",
        int(args["keyVersion"]),
        "",
        block,
        timestamp,
        tx_hash,
    )
