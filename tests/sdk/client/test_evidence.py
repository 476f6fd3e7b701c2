"""The clients keep every verified receipt before returning the answer, and nothing else."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from quancheng.client import ConsumerClient
from quancheng.client_async import AsyncConsumerClient
from quancheng.evidence import EvidenceStore
from quancheng.grants import GrantRequestHandle
from quancheng.verify_errors import MissingFields
from quancheng.wallet import OwnerWallet
from tests.sdk.client.conftest import World
from tests.sdk.client.gateway_double import GatewayDouble
from tests.utils.chain_factories import Member
from tests.utils.sdk_factories import approved_grant, institution_of, make_consumer_client

FIELDS = ["plate", "status"]


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence.sqlite3")


@pytest.fixture
def grant(world: World, client: ConsumerClient, wallet: OwnerWallet) -> GrantRequestHandle:
    return approved_grant(client, wallet, world.authority, {world.resource: FIELDS})


def test_query_keeps_the_receipt_before_returning_the_answer(
    world: World, consumer: Member, store: EvidenceStore, grant: GrantRequestHandle
) -> None:
    with make_consumer_client(world.net, world.rpc_url, consumer, evidence=store) as client:
        answer = client.query(grant.grant_id, world.resource, FIELDS)
        assert client.evidence is store

    (held,) = store.receipts()
    assert held.receipt == answer.receipt
    assert (held.request_hash, held.endpoint, held.conflict) == (
        answer.request_hash,
        answer.endpoint,
        False,
    )
    bundle = store.bundle(consumer.code, include_documents=True)
    (entry,) = bundle.bundle.entries
    assert entry.answer == answer.answer and entry.request == answer.signed_request
    assert store.bundle(consumer.code).bundle.entries[0].answer is None


def test_an_answer_missing_a_requested_field_is_refused_and_not_kept(
    world: World,
    consumer: Member,
    gateway: GatewayDouble,
    store: EvidenceStore,
    grant: GrantRequestHandle,
) -> None:
    gateway.behaviour = "missing_field"
    client = make_consumer_client(world.net, world.rpc_url, consumer, evidence=store)
    with client, pytest.raises(MissingFields) as caught:
        client.query(grant.grant_id, world.resource, FIELDS)

    assert (caught.value.fields, caught.value.mode, caught.value.code) == (
        ("status",),
        "RAW",
        "MISSING_FIELDS",
    )
    assert len(store) == 0


def test_the_async_client_keeps_receipts_in_a_file_it_opens(
    world: World, consumer: Member, tmp_path: Path, grant: GrantRequestHandle
) -> None:
    path = tmp_path / "async.sqlite3"

    async def scenario() -> str:
        client = AsyncConsumerClient(
            institution_of(consumer), world.net.manifest, world.rpc_url, evidence=path
        )
        async with client:
            answer = await client.query(grant.grant_id, world.resource, FIELDS)
        return answer.receipt_id

    receipt_id = asyncio.run(scenario())

    with EvidenceStore(path) as reopened:
        assert [r.receipt.receipt.receipt_id for r in reopened.receipts()] == [receipt_id]
