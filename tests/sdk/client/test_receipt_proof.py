"""Receipt inclusion proofs against batches the gateway double anchored on the real chain."""

from __future__ import annotations

import pytest

from quancheng.client import ConsumerClient
from quancheng.client_errors import AnchorWaitTimeout
from quancheng.merkle import leaf_hash
from quancheng.protocol import refusals as r
from quancheng.protocol import signing_bytes
from quancheng.verified import VerifiedAnswer
from quancheng.verify_errors import (
    AnchorMismatch,
    AnchorSignatureInvalid,
    InclusionProofInvalid,
    MalformedProof,
    ProofVerificationError,
    ReceiptFieldMismatch,
    VerificationError,
)
from quancheng.wallet import OwnerWallet
from tests.sdk.client.conftest import World
from tests.sdk.client.gateway_double import GatewayDouble
from tests.utils.sdk_factories import approved_grant

FIELDS = ["plate", "status"]


@pytest.fixture
def answers(world: World, client: ConsumerClient, wallet: OwnerWallet) -> list[VerifiedAnswer]:
    """Three verified answers whose receipts are not anchored yet."""
    grant = approved_grant(client, wallet, world.authority, {world.resource: FIELDS})
    return [client.query(grant.grant_id, world.resource, FIELDS) for _ in range(3)]


def test_receipt_not_yet_anchored_raises_receipt_not_anchored(
    client: ConsumerClient, answers: list[VerifiedAnswer]
) -> None:
    with pytest.raises(r.ReceiptNotAnchored) as caught:
        client.receipt_proof(answers[0])
    assert caught.value.status == 409


def test_anchored_receipt_is_proven_against_the_chain(
    world: World, client: ConsumerClient, gateway: GatewayDouble, answers: list[VerifiedAnswer]
) -> None:
    batch = gateway.anchor()

    proven = [client.receipt_proof(answer) for answer in answers]

    onchain = world.net.contracts.anchor(world.provider.id, batch.document.seq)
    for answer, inclusion in zip(answers, proven, strict=True):
        assert inclusion.receipt_id == answer.receipt_id
        assert inclusion.root == batch.document.root == "0x" + onchain.root.hex()
        assert inclusion.anchor_block == onchain.block_number == batch.block_number
        assert inclusion.anchor_tx == batch.tx_hash
    leaves = {leaf_hash(signing_bytes(a.receipt)) for a in answers}
    assert len(leaves) == 3
    assert [p.leaf_index for p in proven][-3:] == [
        answers[i].receipt.log_index - batch.document.first_index for i in range(3)
    ]


def test_receipt_proof_by_receipt_id_and_resource(
    world: World, client: ConsumerClient, gateway: GatewayDouble, answers: list[VerifiedAnswer]
) -> None:
    gateway.anchor()

    inclusion = client.receipt_proof(answers[1].receipt_id, world.resource)

    assert inclusion.receipt == answers[1].receipt


@pytest.mark.parametrize(
    ("behaviour", "error", "check"),
    [
        ("bad_path", InclusionProofInvalid, None),
        ("wrong_leaf_index", InclusionProofInvalid, None),
        ("wrong_root", AnchorMismatch, "root"),
        ("wrong_block", AnchorMismatch, "block_number"),
        ("bad_anchor_signature", AnchorSignatureInvalid, None),
        ("other_receipt", ReceiptFieldMismatch, "receipt_id"),
        ("moved_receipt", ReceiptFieldMismatch, "log_index"),
        ("malformed", MalformedProof, None),
    ],
)
def test_dishonest_proof_raises_the_exact_verification_error(
    client: ConsumerClient,
    gateway: GatewayDouble,
    answers: list[VerifiedAnswer],
    behaviour: str,
    error: type[ProofVerificationError],
    check: str | None,
) -> None:
    gateway.anchor()
    gateway.proof_behaviour = behaviour

    with pytest.raises(VerificationError) as caught:
        client.receipt_proof(answers[0])

    assert type(caught.value) is error
    if check is not None:
        assert caught.value.field == check  # type: ignore[attr-defined]


@pytest.mark.blocktime
def test_wait_for_anchor_returns_once_anchored(
    world: World, gateway: GatewayDouble, answers: list[VerifiedAnswer], client: ConsumerClient
) -> None:
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        gateway.anchor()  # the gateway anchors while the client waits

    waiting = ConsumerClient(
        client.institution, client.contracts.manifest, world.rpc_url, sleep=sleep
    )
    with waiting:
        inclusion = waiting.wait_for_anchor(answers[2], timeout=60, poll_interval=0.5)

    assert polls == [0.5]
    assert inclusion.receipt_id == answers[2].receipt_id


def test_wait_for_anchor_times_out_on_the_injected_clock(
    world: World, client: ConsumerClient, answers: list[VerifiedAnswer]
) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    waiting = ConsumerClient(
        client.institution, client.contracts.manifest, world.rpc_url,
        clock=lambda: now[0], sleep=sleep,
    )  # fmt: skip
    with waiting, pytest.raises(AnchorWaitTimeout) as caught:
        waiting.wait_for_anchor(answers[0], timeout=10, poll_interval=4)

    assert caught.value.receipt_id == answers[0].receipt_id
    assert now[0] == 10
