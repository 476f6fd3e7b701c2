"""Helpers of the on-chain SM2/SM3 tests: deploy ``Sm2Verifier``, encode keys and signatures.

The verifier is deployed from the committed artifacts (``contracts/build/quancheng.json``), as
``quancheng_node.deploy`` does, so the tests exercise exactly the bytecode that is shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from web3.contract import Contract

from quancheng.chain import make_web3, send_transaction
from quancheng.chain.client import load_account
from quancheng.crypto._curve import SM2P256
from quancheng.crypto._der import encode_signature
from quancheng_node.compile import CompiledArtifacts

__all__ = [
    "DEPLOYER_INDEX",
    "GX",
    "GY",
    "N",
    "P",
    "deploy_sm2_verifier",
    "der",
    "der_int",
    "der_seq",
    "estimate",
    "gas_table",
    "point",
    "verifies",
]

#: Dev account that deploys the verifier (no other test uses it).
DEPLOYER_INDEX = 15

P = SM2P256.p
N = SM2P256.n
GX, GY = SM2P256.g


def deploy_sm2_verifier(rpc_url: str, private_key: str) -> Contract:
    """Deploy ``Sm2Verifier`` from the committed artifacts and return the bound contract."""
    w3 = make_web3(rpc_url)
    artifact = CompiledArtifacts.load().contracts["Sm2Verifier"]
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = send_transaction(w3, load_account(private_key), factory.constructor())
    return cast(Contract, w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi))


def point(x: int, y: int, prefix: bytes = b"\x04") -> bytes:
    """The uncompressed encoding ``prefix ‖ x ‖ y`` (32-byte big-endian coordinates)."""
    return prefix + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def der(r: int, s: int) -> bytes:
    """The strict DER ``SEQUENCE { r, s }`` (the SDK's encoder)."""
    return encode_signature(r, s)


def der_int(body: bytes, tag: int = 0x02) -> bytes:
    """A TLV with a short-form length and ``body`` taken as is (for malformed encodings)."""
    return bytes([tag, len(body)]) + body


def der_seq(*parts: bytes, tag: int = 0x30, extra_length: int = 0) -> bytes:
    """A SEQUENCE of ``parts`` whose length byte may be off by ``extra_length``."""
    body = b"".join(parts)
    return bytes([tag, len(body) + extra_length]) + body


def verifies(verifier: Contract) -> Callable[[bytes, bytes, bytes], bool]:
    """``verify(key, message, signature)`` as a plain function (an ``eth_call``)."""

    def _verify(key: bytes, message: bytes, signature: bytes) -> bool:
        return bool(verifier.functions.verify(key, message, signature).call())

    return _verify


def gas_table(title: str, rows: dict[str, int], budgets: dict[str, int]) -> str:
    """The printed gas table: one line per measurement with its budget."""
    lines = [f"\n  {title}"]
    lines += [
        f"  {name:<34} {used:>10,}  (budget {budgets[name]:,})" for name, used in rows.items()
    ]
    return "\n".join(lines)


def estimate(fn_call: Any) -> int:
    """Gas of a call as a transaction would use it (``eth_estimateGas``, 21,000 base included)."""
    return int(fn_call.estimate_gas())
