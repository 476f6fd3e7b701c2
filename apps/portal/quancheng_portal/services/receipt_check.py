"""Verifying one access receipt for its owner: the gateway's signature, the grant's terms,
and the receipt's inclusion in a batch the provider anchored on chain.

The checks are the SDK's (:mod:`quancheng.verify`), so "✓" in the portal means what it means
for consumers and auditors; this module only turns their outcome into what the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from quancheng.chain import ContractSet, RevertError, code32
from quancheng.crypto import InvalidKey, SM2PublicKey
from quancheng.errors import ChainError, GatewayError
from quancheng.gateway_client import GatewayClient
from quancheng.http_bounds import (
    EndpointNotAllowed,
    RedirectRefused,
    ResponseTooLarge,
    ResponseTooSlow,
)
from quancheng.log_reader import LogReader
from quancheng.protocol import SignedReceipt
from quancheng.protocol.refusals import ReceiptNotAnchored, Refusal
from quancheng.verify import parse_receipt_proof, verify_inclusion, verify_receipt

__all__ = ["GrantTerms", "ReceiptCheck", "check_inclusion", "check_signature"]


@dataclass(frozen=True)
class GrantTerms:
    """What a receipt of this grant must say."""

    consumer: str
    #: The grant's purpose code: the receipt's purpose must be a scenario it covers, and its
    #: tier the code's tier.
    purpose: int
    resources: frozenset[str]


@dataclass(frozen=True)
class ReceiptCheck:
    """Outcome of one check: ``status`` is ``ok``, ``pending``, ``bad`` or ``unknown``.

    ``unreachable``: the gateway could not be read (or broke a bound of the read): asking it
    again in the same refresh is pointless.
    """

    status: str
    problem: str | None = None
    anchor_seq: int | None = None
    anchor_block: int | None = None
    unreachable: bool = False


def _provider_key(contracts: ContractSet, provider: str) -> SM2PublicKey:
    record = contracts.institution(code32(provider))
    return SM2PublicKey.from_bytes(record.sm2_public_key)


def check_signature(
    contracts: ContractSet, signed: SignedReceipt, terms: GrantTerms, catalogue_provider: str
) -> ReceiptCheck:
    """The gateway's SM2 signature with the provider's registered key, and the grant's terms.

    ``catalogue_provider`` is the provider the catalogue names for the receipt's resource: a
    receipt signed by anyone else proves nothing about this access.
    """
    receipt = signed.receipt
    if receipt.resource not in terms.resources:
        return ReceiptCheck("bad", f"资源 {receipt.resource} 不在该授权范围内")
    try:
        key = _provider_key(contracts, catalogue_provider)
        verify_receipt(
            signed, key, provider=catalogue_provider, grant_id=receipt.grant_id,
            consumer=terms.consumer, grant_purpose=terms.purpose,
        )  # fmt: skip
    except (InvalidKey, ValueError):
        return ReceiptCheck("bad", f"找不到 {catalogue_provider} 登记的签名公钥")
    except GatewayError as exc:
        return ReceiptCheck("bad", _problem(exc))
    except ChainError:
        return ReceiptCheck("unknown", "暂时无法读取区块链")
    return ReceiptCheck("ok")


def check_inclusion(
    contracts: ContractSet, gateways: GatewayClient, endpoint: str, signed: SignedReceipt,
    provider: str, *, reader: LogReader, owner: str,
) -> ReceiptCheck:  # fmt: skip
    """Fetch the receipt's inclusion proof (as the identity authority, for ``owner``) and
    check it against the anchor on chain."""
    receipt_id = signed.receipt.receipt_id
    try:
        body = gateways.get_receipt_proof(
            endpoint, receipt_id, reader=reader, audience=provider, owner=owner
        )
    except ReceiptNotAnchored:
        return ReceiptCheck("pending")
    except Refusal as exc:
        return ReceiptCheck("bad", f"网关拒绝提供证明（{exc.code}）")
    except GatewayError as exc:
        return ReceiptCheck("unknown", _unreadable(exc), unreachable=True)
    try:
        proof = parse_receipt_proof(body)
        key = _provider_key(contracts, provider)
        onchain = contracts.anchor(code32(provider), proof.batch.seq)
        inclusion = verify_inclusion(
            proof, provider=provider, provider_key=key, onchain=onchain, receipt=signed
        )
    except RevertError:
        return ReceiptCheck("bad", "链上没有这一批次的锚定记录")
    except GatewayError as exc:
        return ReceiptCheck("bad", _problem(exc))
    except ChainError:
        return ReceiptCheck("unknown", "暂时无法读取区块链")
    return ReceiptCheck("ok", None, inclusion.batch.seq, inclusion.anchor_block)


def _unreadable(exc: GatewayError) -> str:
    """What the page says when the gateway could not be read within bounds."""
    if isinstance(exc, EndpointNotAllowed):
        return "网关地址不在链上数据目录中，未连接"
    if isinstance(exc, RedirectRefused):
        return "网关要求跳转到其他地址，已拒绝"
    if isinstance(exc, ResponseTooLarge | ResponseTooSlow):
        return "网关的回答超出大小或时间限制"
    return "网关暂时无法连接"


def _problem(exc: GatewayError) -> str:
    check = getattr(exc, "check", None) or exc.code
    return f"校验未通过：{check}（{exc}）"
