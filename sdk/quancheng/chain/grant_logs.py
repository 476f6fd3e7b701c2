"""Reading the ``GrantRequested`` events: where the signed grant documents live.

The contract stores only the SM3 digest of a grant document; the canonical document itself
and the consumer's signature are emitted in ``GrantRequested``, indexed by grant id, owner
pseudonym and consumer id, so the owner portal, gateways and auditors find them by any of the
three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.exceptions import Web3Exception
from web3.types import BlockIdentifier, FilterParams

from quancheng.chain.client import ChainUnavailable
from quancheng.chain.contracts import ContractSet

__all__ = ["GRANT_REQUESTED_TOPIC", "GrantRequestedLog", "grant_requested_logs"]

#: topic0 of ``GrantRequested(bytes32,bytes32,bytes32,bytes32,bytes,bytes)``.
GRANT_REQUESTED_TOPIC = bytes(
    Web3.keccak(text="GrantRequested(bytes32,bytes32,bytes32,bytes32,bytes,bytes)")
)


@dataclass(frozen=True)
class GrantRequestedLog:
    """One ``GrantRequested`` event.

    Attributes:
        grant_id: The grant id.
        owner_pseudonym: The owner's pseudonym.
        consumer_id: The requesting consumer's institution id.
        document_digest: The digest the consumer declared (stored on chain).
        document: The canonical grant document bytes as emitted.
        consumer_signature: The consumer's DER SM2 signature over ``document``.
        block_number: Block of the request.
        tx_hash: ``0x`` hex of the request transaction.
    """

    grant_id: bytes
    owner_pseudonym: bytes
    consumer_id: bytes
    document_digest: bytes
    document: bytes
    consumer_signature: bytes
    block_number: int
    tx_hash: str


def grant_requested_logs(
    contracts: ContractSet,
    *,
    grant_id: bytes | None = None,
    owner_pseudonym: bytes | None = None,
    consumer_id: bytes | None = None,
    from_block: BlockIdentifier | None = None,
    to_block: BlockIdentifier = "latest",
) -> list[GrantRequestedLog]:
    """The ``GrantRequested`` events matching the given indexed arguments, oldest first.

    ``from_block`` defaults to the GrantRegistry's deployment block: nothing before it can match.

    Raises:
        ChainUnavailable: The node could not be reached or refused the log query.
    """
    topics: list[Any] = [
        "0x" + GRANT_REQUESTED_TOPIC.hex(),
        _topic(grant_id),
        _topic(owner_pseudonym),
        _topic(consumer_id),
    ]
    while topics[-1] is None:
        topics.pop()
    params: FilterParams = {
        "address": contracts.grants.address,
        "fromBlock": (
            contracts.manifest.contracts["GrantRegistry"].block_number
            if from_block is None
            else from_block
        ),
        "toBlock": to_block,
        "topics": topics,
    }
    try:
        raw_logs = contracts.w3.eth.get_logs(params)
    except (OSError, Web3Exception) as exc:
        raise ChainUnavailable(f"cannot read GrantRequested events: {exc}") from exc
    found = []
    for log in raw_logs:
        event = contracts.decode_log(log)
        if event is None or event.name != "GrantRequested":
            continue
        args = event.args
        found.append(
            GrantRequestedLog(
                grant_id=bytes(args["grantId"]),
                owner_pseudonym=bytes(args["ownerPseudonym"]),
                consumer_id=bytes(args["consumerId"]),
                document_digest=bytes(args["documentDigest"]),
                document=bytes(args["document"]),
                consumer_signature=bytes(args["consumerSignature"]),
                block_number=int(log["blockNumber"]),
                tx_hash="0x" + bytes(log["transactionHash"]).hex(),
            )
        )
    return found


def _topic(value: bytes | None) -> str | None:
    if value is None:
        return None
    if len(value) != 32:
        raise ValueError(f"an indexed bytes32 filter must be 32 bytes, got {len(value)}")
    return "0x" + bytes(value).hex()
