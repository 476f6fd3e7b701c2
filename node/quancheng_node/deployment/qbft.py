"""The QBFT genesis of a Besu network: ``extraData`` and the genesis file.

``extraData`` of a QBFT genesis block with block-header validator selection is, per Besu's
documentation, ``RLP([32 bytes vanity, [validator addresses], no vote, round 0, no seals])``
where "no vote" and "no seals" are empty lists and round 0 is the empty byte string (its RLP
is ``0x80``). ``besu rlp encode --type=QBFT_EXTRA_DATA`` produces the same bytes; the tests
check this module against the example Besu publishes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import rlp
from eth_utils.address import is_hex_address, to_checksum_address

from quancheng_node.deployment.spec import HARDFORKS, TopologyError, TopologySpec

__all__ = [
    "MIX_HASH",
    "decode_qbft_extra_data",
    "encode_qbft_extra_data",
    "milestones",
    "qbft_genesis",
]

#: "Istanbul byzantine fault tolerance" as mixHash identifies BFT blocks (Besu requires it).
MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
_ZERO32 = "0x" + "00" * 32
_VANITY = b"\x00" * 32

#: Pre-Shanghai forks all activate at block 0 (Besu builds each on the previous ones).
_BLOCK_FORKS = (
    "homesteadBlock",
    "eip150Block",
    "eip155Block",
    "eip158Block",
    "byzantiumBlock",
    "constantinopleBlock",
    "petersburgBlock",
    "istanbulBlock",
    "berlinBlock",
    "londonBlock",
)
_TIME_FORKS = {"shanghai": "shanghaiTime", "cancun": "cancunTime"}


def encode_qbft_extra_data(validators: Sequence[str], *, sort: bool = True) -> str:
    """The genesis ``extraData`` naming ``validators`` (``0x`` hex).

    Args:
        validators: Validator addresses (any case).
        sort: Write them in ascending order, as Besu's documentation asks (its own example
            keeps the order given, so tests can reproduce it with ``sort=False``).

    Raises:
        TopologyError: an address is malformed or repeated, or the list is empty.
    """
    if not validators:
        raise TopologyError("a QBFT genesis needs at least one validator")
    bad = [v for v in validators if not is_hex_address(v)]
    if bad:
        raise TopologyError(f"not validator addresses: {', '.join(bad)}")
    raw = [bytes.fromhex(v[2:] if v.startswith("0x") else v) for v in validators]
    if len(set(raw)) != len(raw):
        raise TopologyError("a validator is listed twice")
    if sort:
        raw.sort()
    return "0x" + bytes(rlp.encode([_VANITY, raw, [], b"", []])).hex()


def decode_qbft_extra_data(extra_data: str) -> list[str]:
    """The validator addresses (checksummed, in order) of a genesis ``extraData``.

    Raises:
        TopologyError: it is not the RLP of a QBFT genesis ``extraData``.
    """
    try:
        decoded: Any = rlp.decode(bytes.fromhex(extra_data.removeprefix("0x")))
    except (ValueError, rlp.exceptions.DecodingError) as exc:
        raise TopologyError(f"extraData is not RLP: {exc}") from exc
    if not isinstance(decoded, list) or len(decoded) != 5:
        raise TopologyError("extraData must be a 5-item RLP list")
    vanity, validators, vote, round_, seals = decoded
    if vanity != _VANITY or vote != [] or round_ != b"" or seals != []:
        raise TopologyError("genesis extraData must have zero vanity, no vote, round 0, no seals")
    if not isinstance(validators, list) or any(
        not isinstance(v, bytes) or len(v) != 20 for v in validators
    ):
        raise TopologyError("extraData validators must be 20-byte addresses")
    return [str(to_checksum_address(v)) for v in validators]


def milestones(hardfork: str) -> dict[str, int]:
    """The genesis ``config`` milestones that activate ``hardfork`` (and all before) at 0."""
    forks: dict[str, int] = dict.fromkeys(_BLOCK_FORKS, 0)
    for name in HARDFORKS[1 : HARDFORKS.index(hardfork) + 1]:
        forks[_TIME_FORKS[name]] = 0
    return forks


def qbft_genesis(
    spec: TopologySpec, validators: Sequence[str], alloc: Mapping[str, int]
) -> dict[str, Any]:
    """The genesis file of a free-gas QBFT network.

    Args:
        spec: Chain id, block period, round timeout, epoch, gas limit and hardfork.
        validators: The initial validators' addresses.
        alloc: Pre-funded accounts and their balances in wei.
    """
    return {
        "config": {
            "chainId": spec.chain_id,
            **milestones(spec.hardfork),
            # Free gas on a permissioned chain: base fee 0 from London on (Besu's
            # zeroBaseFee), and every node runs with min-gas-price=0 (config.toml).
            "zeroBaseFee": True,
            "qbft": {
                "blockperiodseconds": spec.block_period_seconds,
                "epochlength": spec.epoch_length,
                "requesttimeoutseconds": spec.request_timeout,
            },
        },
        "nonce": "0x0",
        "timestamp": hex(spec.genesis_timestamp),
        "extraData": encode_qbft_extra_data(validators),
        "gasLimit": hex(spec.gas_limit),
        "difficulty": "0x1",
        "mixHash": MIX_HASH,
        "coinbase": "0x" + "00" * 20,
        "baseFeePerGas": "0x0",
        "alloc": {a.lower().removeprefix("0x"): {"balance": hex(wei)} for a, wei in alloc.items()},
        "number": "0x0",
        "gasUsed": "0x0",
        "parentHash": _ZERO32,
    }
