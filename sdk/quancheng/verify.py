"""Pure verification of what gateways and the chain say: answers, receipts, grant documents,
and receipt inclusion in anchored batches.

The consumer client, the owner portal and auditors all call these same functions, so "the
answer verifies" means one thing everywhere. Nothing here talks to the network: the caller
passes the keys and on-chain records it trusts (from the consortium registry, the owner
registry and the receipt ledger). Each function raises the typed error naming the first check
that fails (:mod:`quancheng.verify_errors`, :mod:`quancheng.grants`) and returns nothing, or
the verified object, when every check passes. :func:`verify_grant_document` lives in
:mod:`quancheng.verify_grant` and is re-exported here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from quancheng._util import describe, signature_valid
from quancheng.chain import code32
from quancheng.chain.records import AnchorRecord
from quancheng.crypto import SM2PrivateKey, SM2PublicKey, canonical_digest, canonical_json, sm3
from quancheng.crypto.seal import open_sealed
from quancheng.errors import CryptoError
from quancheng.merkle import leaf_hash
from quancheng.merkle import verify_inclusion as merkle_verify_inclusion
from quancheng.protocol import Answer, GrantMode, QueryRequest, SignedReceipt
from quancheng.protocol.documents import signing_bytes
from quancheng.protocol.ids import from_hex, hex32
from quancheng.protocol.purposes import covers, tier_of
from quancheng.verified import ReceiptInclusion, ReceiptProof, VerifiedAnswer
from quancheng.verify_errors import (
    AnchorMismatch,
    AnchorSignatureInvalid,
    AnswerFieldMismatch,
    AnswerNotSealed,
    DataDigestMismatch,
    InclusionProofInvalid,
    MalformedAnswer,
    MalformedProof,
    MissingFields,
    ReceiptFieldMismatch,
    ReceiptPurposeNotCovered,
    ReceiptSignatureInvalid,
    RequestHashMismatch,
    SealedAnswerInvalid,
    UnrequestedFields,
)
from quancheng.verify_grant import verify_grant_document

__all__ = [
    "ReceiptInclusion",
    "ReceiptProof",
    "VerifiedAnswer",
    "data_digest",
    "parse_answer",
    "parse_receipt_proof",
    "request_hash",
    "signature_valid",
    "verify_answer",
    "verify_grant_document",
    "verify_inclusion",
    "verify_receipt",
]


def request_hash(request: QueryRequest) -> str:
    """SM3 of the canonical query request (``0x`` hex): what answers and receipts bind to."""
    return request.digest_hex()


def data_digest(data: Mapping[str, Any]) -> str:
    """SM3 of the canonical JSON of an answer's data (``0x`` hex).

    Raises:
        NotCanonicalizable: If the data has no canonical JSON form.
    """
    return "0x" + canonical_digest(dict(data)).hex()


# --------------------------------------------------------------------------------- parsing


def parse_answer(body: bytes | str) -> Answer:
    """Parse a gateway's 200 body strictly: exactly an ``Answer``, nothing more.

    Raises:
        MalformedAnswer: Not JSON, unknown or missing fields, wrong types.
    """
    try:
        return Answer.model_validate_json(body, strict=True)
    except ValidationError as exc:
        raise MalformedAnswer(describe(exc)) from None


def parse_receipt_proof(body: bytes | str) -> ReceiptProof:
    """Parse a gateway's ``/v1/receipts/{id}/proof`` body strictly.

    Raises:
        MalformedProof: Not JSON, unknown or missing fields, wrong types.
    """
    try:
        return ReceiptProof.model_validate_json(body, strict=True)
    except ValidationError as exc:
        raise MalformedProof(describe(exc)) from None


# --------------------------------------------------------------------------------- answers


def verify_answer(
    answer: Answer,
    *,
    request: QueryRequest,
    provider: str,
    provider_key: SM2PublicKey,
    mode: GrantMode | None = None,
    grant_purpose: int | None = None,
    consumer_key: SM2PrivateKey | None = None,
    sealing_required: bool = False,
) -> dict[str, Any]:
    """Check a gateway's answer against the request that was sent; the data it carries.

    The answer is not signed; its receipt is (:class:`~quancheng.protocol.Answer`). Checks, in
    order: the request hash; request id, grant, resource, provider (and mode, if given);
    that the data is sealed where it had to be (``sealing_required`` or the request asked),
    and opens with ``consumer_key``; the data digest; that the data holds every requested
    field (or, in DERIVED mode, indicator) and no other; then the receipt
    (:func:`verify_receipt`: the gateway's signature with the provider's registered key, the
    request's grant, consumer, resource, purpose and hash, the data digest, and the tier if
    the grant's purpose is given), and that what the answer repeats of the receipt — mode and
    time — is what the receipt signs.

    Args:
        answer: The parsed answer.
        request: The query request exactly as it was signed and sent.
        provider: The catalogue's provider of ``request.resource``.
        provider_key: That provider's SM2 key from the consortium registry.
        mode: The grant's mode, if known.
        grant_purpose: The grant's purpose code, if known.
        consumer_key: The consumer's SM2 private key, to open a sealed answer.
        sealing_required: The catalogue rates the resource sensitive: data in the clear
            is refused.

    Returns:
        The data, opened if it came sealed.

    Raises:
        AnswerVerificationError: The subclass naming the first check that failed
            (``ReceiptSignatureInvalid`` for the gateway's signature; ``AnswerNotSealed`` and
            ``SealedAnswerInvalid`` for sealing).
    """
    expected_hash = request_hash(request)
    if answer.request_hash != expected_hash:
        raise RequestHashMismatch(expected_hash, answer.request_hash)
    expected: list[tuple[str, Any, Any]] = [
        ("request_id", request.request_id, answer.request_id),
        ("grant_id", request.grant_id, answer.grant_id),
        ("resource", request.resource, answer.resource),
        ("provider", provider, answer.provider),
    ]
    if mode is not None:
        expected.append(("mode", mode, answer.mode))
    for field, want, got in expected:
        if want != got:
            raise AnswerFieldMismatch(field, want, got)
    data, digest = _answer_data(answer, request, expected_hash, consumer_key, sealing_required)
    if digest != answer.data_digest:
        raise DataDigestMismatch(digest, answer.data_digest)
    extra = set(data) - set(request.fields)
    if extra:
        raise UnrequestedFields(extra)
    missing = set(request.fields) - set(data)  # a value the source lacks comes as null
    if missing:
        raise MissingFields(missing, answer.mode.value)
    verify_receipt(
        answer.receipt,
        provider_key,
        provider=provider,
        grant_id=request.grant_id,
        consumer=request.consumer,
        resource=request.resource,
        purpose=int(request.purpose),
        grant_purpose=grant_purpose,
        request_hash=expected_hash,
        response_hash=answer.data_digest,
        mode=mode,
    )
    signed = answer.receipt.receipt
    for field, want, got in (
        ("mode", signed.mode, answer.mode),
        ("served_at_ms", signed.served_at_ms, answer.served_at_ms),
    ):
        if want != got:
            raise AnswerFieldMismatch(field, want, got)
    return data


def _answer_data(
    answer: Answer,
    request: QueryRequest,
    request_hash_hex: str,
    consumer_key: SM2PrivateKey | None,
    sealing_required: bool,
) -> tuple[dict[str, Any], str]:
    """The answer's data and the digest it must carry (of the sealed plaintext if sealed)."""
    if answer.sealed is None:
        if sealing_required or request.seal:
            raise AnswerNotSealed(request.resource)
        assert answer.data is not None  # the model holds exactly one of the two
        try:
            return answer.data, data_digest(answer.data)
        except CryptoError as exc:
            raise MalformedAnswer(f"data has no canonical JSON form: {exc}") from None
    if consumer_key is None:
        raise SealedAnswerInvalid("no consumer key to open it with")
    try:
        plaintext = open_sealed(
            consumer_key, base64.b64decode(answer.sealed), aad=bytes.fromhex(request_hash_hex[2:])
        )
        payload = json.loads(plaintext)
    except (CryptoError, ValueError) as exc:
        raise SealedAnswerInvalid(type(exc).__name__) from None
    if (
        not isinstance(payload, dict)
        or set(payload) != {"data", "salt"}
        or not isinstance(payload["data"], dict)
        or not isinstance(payload["salt"], str)
    ):
        raise SealedAnswerInvalid('the plaintext is not {"data": {...}, "salt": ...}')
    try:
        if canonical_json(payload) != plaintext:
            raise SealedAnswerInvalid("the plaintext is not canonical JSON")
    except CryptoError:
        raise SealedAnswerInvalid("the plaintext has no canonical JSON form") from None
    return payload["data"], "0x" + sm3(plaintext).hex()


def verify_receipt(
    signed: SignedReceipt,
    provider_key: SM2PublicKey,
    *,
    provider: str,
    grant_id: str | None = None,
    consumer: str | None = None,
    resource: str | None = None,
    purpose: int | None = None,
    grant_purpose: int | None = None,
    request_hash: str | None = None,
    response_hash: str | None = None,
    mode: GrantMode | None = None,
) -> None:
    """Check a receipt's signature and the fields the caller knows.

    Args:
        signed: The receipt.
        provider_key: The provider's SM2 key from the consortium registry.
        provider: The provider that must have issued it.
        grant_id, consumer, resource, purpose, request_hash, response_hash, mode: Expected
            values; ``None`` skips a field.
        grant_purpose: The purpose code of the receipt's grant: the receipt's ``tier`` must be
            that code's tier and its ``purpose`` one of the scenarios the code covers.

    Raises:
        ReceiptSignatureInvalid: The signature does not verify with ``provider_key``.
        ReceiptFieldMismatch: A field differs from the expected value (``tier`` included).
        ReceiptPurposeNotCovered: The grant's purpose does not cover the receipt's.
    """
    receipt = signed.receipt
    if not signature_valid(provider_key, signed.signature, signing_bytes(receipt)):
        raise ReceiptSignatureInvalid(receipt.receipt_id, provider)
    expected: tuple[tuple[str, Any, Any], ...] = (
        ("provider", provider, receipt.provider),
        ("grant_id", grant_id, receipt.grant_id),
        ("consumer", consumer, receipt.consumer),
        ("resource", resource, receipt.resource),
        ("purpose", purpose, int(receipt.purpose)),
        ("request_hash", request_hash, receipt.request_hash),
        ("response_hash", response_hash, receipt.response_hash),
        ("mode", mode, receipt.mode),
    )
    for field, want, got in expected:
        if want is not None and want != got:
            raise ReceiptFieldMismatch(field, want, got)
    if grant_purpose is not None:
        tier = tier_of(grant_purpose).name
        if receipt.tier != tier:
            raise ReceiptFieldMismatch("tier", tier, receipt.tier)
        if not covers(grant_purpose, receipt.purpose):
            raise ReceiptPurposeNotCovered(receipt.receipt_id, grant_purpose, int(receipt.purpose))


# ------------------------------------------------------------------------------- inclusion


def verify_inclusion(
    proof: ReceiptProof,
    *,
    provider: str,
    provider_key: SM2PublicKey,
    onchain: AnchorRecord,
    receipt: SignedReceipt | None = None,
) -> ReceiptInclusion:
    """Check that a receipt is in a batch whose root the provider anchored on chain.

    Checks: the proof is about ``receipt`` (if given) and its signature verifies; the batch
    is the provider's and its anchor document is signed by the provider (as the gateway sent
    it and as recorded on chain); the chain's anchor has the same seq, root, size, previous
    root and first index (and block, when the gateway states one); the receipt's log index
    is ``first_index + leaf_index``; and the Merkle path leads from
    ``SM3(0x00 ‖ canonical(receipt))`` to the root.

    Args:
        proof: The gateway's parsed proof.
        provider: The provider that issued the receipt.
        provider_key: Its SM2 key from the consortium registry.
        onchain: ``ReceiptLedger.getAnchor(provider, proof.batch.seq)``.
        receipt: The receipt the caller holds (from a verified answer), if any.

    Raises:
        ReceiptVerificationError: The receipt is not the expected one or does not verify.
        ProofVerificationError: The subclass naming the first proof check that failed.
    """
    if receipt is not None and signing_bytes(proof.receipt) != signing_bytes(receipt):
        held, got = receipt.receipt, proof.receipt.receipt
        field = (
            "receipt_id" if held.receipt_id != got.receipt_id
            else "log_index" if receipt.log_index != proof.receipt.log_index
            else "receipt"
        )  # fmt: skip
        raise ReceiptFieldMismatch(field, held.receipt_id, got.receipt_id)
    verify_receipt(proof.receipt, provider_key, provider=provider)
    batch = proof.batch
    if batch.provider != provider:
        raise AnchorMismatch("provider", provider, batch.provider)
    message = signing_bytes(batch)
    if not signature_valid(provider_key, proof.anchor_signature, message):
        raise AnchorSignatureInvalid("gateway", provider, batch.seq)
    _check_onchain(proof, onchain, provider)
    if not signature_valid(provider_key, onchain.gateway_signature, message):
        raise AnchorSignatureInvalid("chain", provider, batch.seq)
    index, size = proof.leaf_index, batch.size
    if proof.receipt.log_index != batch.first_index + index:
        raise InclusionProofInvalid(
            index, size, "receipt log_index is not first_index + leaf_index"
        )
    path = [from_hex(h) for h in proof.proof]
    leaf = leaf_hash(signing_bytes(proof.receipt))
    if not merkle_verify_inclusion(leaf, index, size, path, from_hex(batch.root)):
        raise InclusionProofInvalid(index, size)
    return ReceiptInclusion.from_verified(proof, tuple(path), onchain)


def _check_onchain(proof: ReceiptProof, onchain: AnchorRecord, provider: str) -> None:
    batch = proof.batch
    if onchain.provider_id != bytes(code32(provider)):
        raise AnchorMismatch("provider", "0x" + onchain.provider_id.hex(), provider)
    fields: tuple[tuple[str, Any, Any], ...] = (
        ("seq", onchain.seq, batch.seq),
        ("root", hex32(onchain.root), batch.root),
        ("size", onchain.size, batch.size),
        ("prev_root", hex32(onchain.prev_root), batch.prev_root),
        ("first_index", onchain.first_index, batch.first_index),
    )
    for field, chain_value, claimed in fields:
        if chain_value != claimed:
            raise AnchorMismatch(field, chain_value, claimed)
    if proof.anchor_block is not None and proof.anchor_block != onchain.block_number:
        raise AnchorMismatch("block_number", onchain.block_number, proof.anchor_block)
