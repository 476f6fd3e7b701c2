"""ReceiptLedger: each provider anchors its own chain of receipt batches, in sequence and
linked by their roots; every refusal."""

from __future__ import annotations

import secrets

import pytest

from quancheng.chain import InstitutionStatus, Role
from quancheng.chain.errors import (
    ConsortiumRegistryInstitutionNotActive,
    ConsortiumRegistryUnknownAccount,
    ConsortiumRegistryWrongRole,
    ReceiptLedgerEmptyBatch,
    ReceiptLedgerForeignAnchor,
    ReceiptLedgerMissingSignature,
    ReceiptLedgerOutOfSequence,
    ReceiptLedgerPrevRootMismatch,
    ReceiptLedgerUnknownAnchor,
    ReceiptLedgerZeroRoot,
)
from quancheng.crypto import SM2PublicKey, canonical_json
from tests.utils.chain_factories import Member, TestNetwork, admit, fresh_account, suspend

ZERO32 = b"\x00" * 32


def _anchor_document(provider: Member, seq: int, root: bytes, size: int, prev: bytes) -> bytes:
    return canonical_json({
        "type": "receipt-anchor", "provider": provider.code, "seq": seq,
        "root": root.hex(), "size": size, "prevRoot": prev.hex(),
    })  # fmt: skip


def _anchor(
    net: TestNetwork,
    provider: Member,
    seq: int,
    root: bytes,
    size: int,
    prev: bytes,
    *,
    provider_id: bytes | None = None,
    signature: bytes | None = None,
):  # type: ignore[no-untyped-def]
    if signature is None:
        signature = provider.sm2.sign(_anchor_document(provider, seq, root, size, prev))
    fn = net.receipts.functions.anchor(provider_id or provider.id, seq, root, size, prev, signature)
    return net.send(provider, fn)


def test_batches_form_a_linked_sequence_with_a_running_index(
    net: TestNetwork, provider: Member
) -> None:
    roots = [secrets.token_bytes(32) for _ in range(3)]
    sizes = [5, 1, 7]
    prev = ZERO32
    for seq, (root, size) in enumerate(zip(roots, sizes, strict=True)):
        assert net.contracts.next_seq(provider.id) == seq
        receipt = _anchor(net, provider, seq, root, size, prev)
        (event,) = net.events(receipt)
        signature = event.args.pop("signature")
        assert (event.name, event.args) == ("BatchAnchored", {
            "providerId": provider.id, "seq": seq, "root": root, "size": size,
            "firstIndex": sum(sizes[:seq]), "prevRoot": prev,
        })  # fmt: skip
        key = SM2PublicKey.from_bytes(net.contracts.institution(provider.id).sm2_public_key)
        key.verify(signature, _anchor_document(provider, seq, root, size, prev))
        anchor = net.contracts.anchor(provider.id, seq)
        block = net.w3.eth.get_block(receipt["blockNumber"])
        assert anchor.model_dump() == {
            "provider_id": provider.id, "seq": seq, "first_index": sum(sizes[:seq]), "size": size,
            "anchored_at": block["timestamp"], "root": root, "prev_root": prev,
            "block_number": receipt["blockNumber"], "gateway_signature": signature,
        }  # fmt: skip
        prev = root
    assert net.receipts.functions.lastRoot(provider.id).call() == roots[-1]
    assert net.receipts.functions.totalReceipts(provider.id).call() == 13
    assert net.contracts.next_seq(provider.id) == 3
    assert net.receipts.functions.version().call() == "0.2.0"


def test_out_of_sequence_anchor_is_refused(net: TestNetwork, provider: Member) -> None:
    with pytest.raises(ReceiptLedgerOutOfSequence) as ahead:
        _anchor(net, provider, 1, secrets.token_bytes(32), 3, ZERO32)
    assert (ahead.value.provider_id, ahead.value.seq, ahead.value.expected_seq) == (
        provider.id,
        1,
        0,
    )
    root = secrets.token_bytes(32)
    _anchor(net, provider, 0, root, 3, ZERO32)
    with pytest.raises(ReceiptLedgerOutOfSequence) as replay:
        _anchor(net, provider, 0, secrets.token_bytes(32), 3, ZERO32)
    assert (replay.value.seq, replay.value.expected_seq) == (0, 1)


def test_anchor_with_a_wrong_previous_root_is_refused(net: TestNetwork, provider: Member) -> None:
    first = secrets.token_bytes(32)
    _anchor(net, provider, 0, first, 2, ZERO32)
    forged = secrets.token_bytes(32)
    with pytest.raises(ReceiptLedgerPrevRootMismatch) as exc:
        _anchor(net, provider, 1, secrets.token_bytes(32), 2, forged)
    assert (exc.value.provider_id, exc.value.prev_root, exc.value.expected_prev_root) == (
        provider.id, forged, first,
    )  # fmt: skip
    with pytest.raises(ReceiptLedgerPrevRootMismatch) as first_batch:
        other = admit(net, Role.PROVIDER)
        _anchor(net, other, 0, secrets.token_bytes(32), 2, first)
    assert first_batch.value.expected_prev_root == ZERO32


def test_anchor_for_another_provider_is_refused(net: TestNetwork, provider: Member) -> None:
    victim = admit(net, Role.PROVIDER)
    with pytest.raises(ReceiptLedgerForeignAnchor) as exc:
        _anchor(net, provider, 0, secrets.token_bytes(32), 1, ZERO32, provider_id=victim.id)
    assert (exc.value.provider_id, exc.value.caller_id) == (victim.id, provider.id)
    assert net.contracts.next_seq(victim.id) == 0


def test_empty_batch_is_refused(net: TestNetwork, provider: Member) -> None:
    with pytest.raises(ReceiptLedgerEmptyBatch) as exc:
        _anchor(net, provider, 0, secrets.token_bytes(32), 0, ZERO32)
    assert (exc.value.provider_id, exc.value.seq) == (provider.id, 0)


def test_zero_root_is_refused(net: TestNetwork, provider: Member) -> None:
    with pytest.raises(ReceiptLedgerZeroRoot) as exc:
        _anchor(net, provider, 0, ZERO32, 4, ZERO32)
    assert (exc.value.provider_id, exc.value.seq) == (provider.id, 0)


def test_anchor_without_a_signature_is_refused(net: TestNetwork, provider: Member) -> None:
    with pytest.raises(ReceiptLedgerMissingSignature) as exc:
        _anchor(net, provider, 0, secrets.token_bytes(32), 4, ZERO32, signature=b"")
    assert (exc.value.provider_id, exc.value.seq) == (provider.id, 0)


def test_unknown_anchor_read_is_refused(net: TestNetwork, provider: Member) -> None:
    with pytest.raises(ReceiptLedgerUnknownAnchor) as exc:
        net.contracts.anchor(provider.id, 0)
    assert (exc.value.provider_id, exc.value.seq) == (provider.id, 0)


def test_anchor_by_a_consumer_is_refused(net: TestNetwork, consumer: Member) -> None:
    with pytest.raises(ConsortiumRegistryWrongRole) as exc:
        _anchor(net, consumer, 0, secrets.token_bytes(32), 1, ZERO32)
    assert (exc.value.required, exc.value.actual) == (Role.PROVIDER, Role.CONSUMER)


def test_anchor_by_a_suspended_provider_is_refused(net: TestNetwork, provider: Member) -> None:
    suspend(net, provider)
    with pytest.raises(ConsortiumRegistryInstitutionNotActive) as exc:
        _anchor(net, provider, 0, secrets.token_bytes(32), 1, ZERO32)
    assert (exc.value.institution_id, exc.value.status) == (
        provider.id,
        InstitutionStatus.SUSPENDED,
    )


def test_anchor_by_an_account_of_no_institution_is_refused(
    net: TestNetwork, provider: Member
) -> None:
    stranger = fresh_account(net)
    fn = net.receipts.functions.anchor(provider.id, 0, secrets.token_bytes(32), 1, ZERO32, b"sig")
    with pytest.raises(ConsortiumRegistryUnknownAccount) as exc:
        net.send(stranger, fn)
    assert exc.value.account == stranger.address
