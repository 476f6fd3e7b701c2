"""SM3 (GB/T 32905) computed by ``Sm2Verifier.sm3`` on the node, against the standard's
examples and the SDK's implementation (``quancheng.crypto.sm3``)."""

from __future__ import annotations

import random

import pytest
from web3.contract import Contract

from quancheng.crypto import sm3
from tests.utils.sm2_onchain import DEPLOYER_INDEX, deploy_sm2_verifier, estimate, gas_table

#: Gas budgets of ``sm3`` (today's figures plus ~25 %), calldata and the 21,000 base included.
BUDGETS = {
    "sm3, 0 bytes (1 block)": 75_000,
    "sm3, 64 bytes (2 blocks)": 125_000,
    "sm3, 2,048 bytes (33 blocks)": 1_700_000,
    "sm3, per 64-byte block": 50_000,
}


@pytest.fixture(scope="module")
def verifier(chain_node) -> Contract:  # type: ignore[no-untyped-def]
    return deploy_sm2_verifier(chain_node.rpc_url, chain_node.dev_private_keys[DEPLOYER_INDEX])


def _onchain(verifier: Contract, data: bytes) -> bytes:
    return bytes(verifier.functions.sm3(data).call())


def test_standard_example_abc(verifier: Contract) -> None:
    assert _onchain(verifier, b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_standard_example_abcd_sixteen_times(verifier: Contract) -> None:
    assert _onchain(verifier, b"abcd" * 16).hex() == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_empty_input(verifier: Contract) -> None:
    assert _onchain(verifier, b"").hex() == (
        "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
    )


def test_every_length_up_to_200_bytes_matches_the_sdk(verifier: Contract) -> None:
    rng = random.Random(3205)
    for length in range(201):
        data = rng.randbytes(length)
        assert _onchain(verifier, data) == sm3(data), length


@pytest.mark.parametrize("length", [55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 183, 184])
def test_lengths_around_block_and_padding_boundaries(verifier: Contract, length: int) -> None:
    for fill in (b"\x00", b"\xff", b"\x80"):
        data = fill * length
        assert _onchain(verifier, data) == sm3(data)


def test_random_data_up_to_a_few_kilobytes_matches_the_sdk(verifier: Contract) -> None:
    rng = random.Random(32905)
    for length in (511, 1024, 1999, 4096, 5000):
        data = rng.randbytes(length)
        assert _onchain(verifier, data) == sm3(data), length


def test_gas_of_sm3(verifier: Contract) -> None:
    gas = {
        "sm3, 0 bytes (1 block)": estimate(verifier.functions.sm3(b"")),
        "sm3, 64 bytes (2 blocks)": estimate(verifier.functions.sm3(b"\x01" * 64)),
        "sm3, 2,048 bytes (33 blocks)": estimate(verifier.functions.sm3(b"\x01" * 2048)),
    }
    # Slope between 1 and 33 blocks, less the calldata (16 gas per non-zero byte).
    per_block = (gas["sm3, 2,048 bytes (33 blocks)"] - gas["sm3, 0 bytes (1 block)"]) // 32
    gas["sm3, per 64-byte block"] = per_block - 64 * 16
    print(gas_table("gas of Sm2Verifier.sm3", gas, BUDGETS))
    over = {name: used for name, used in gas.items() if used > BUDGETS[name]}
    assert not over, f"over budget: {over}"
