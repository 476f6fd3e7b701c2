"""The asyncio client: the same grants, verified answers and refusals as the sync one."""

from __future__ import annotations

import asyncio

import pytest

from quancheng.chain import GrantStatus
from quancheng.client_async import AsyncConsumerClient
from quancheng.protocol import refusals as r
from quancheng.verify_errors import DataDigestMismatch
from quancheng.wallet import OwnerWallet
from tests.sdk.client.conftest import World
from tests.sdk.client.gateway_double import GatewayDouble
from tests.utils.chain_factories import Member
from tests.utils.sdk_factories import institution_of

FIELDS = ["plate", "status"]


def _client(world: World, consumer: Member) -> AsyncConsumerClient:
    return AsyncConsumerClient(institution_of(consumer), world.net.manifest, world.rpc_url)


@pytest.mark.blocktime
def test_async_client_requests_waits_queries_and_proves(
    world: World, consumer: Member, wallet: OwnerWallet, gateway: GatewayDouble
) -> None:
    async def scenario() -> None:
        async with _client(world, consumer) as client:
            handle = await client.request_grant(
                wallet.pseudonym, None, {world.resource: FIELDS}, 1, "RAW",
                "2024-01-01", "2024-12-31", valid_for=600, max_uses=3,
            )  # fmt: skip
            assert await client.grant_status(handle.grant_id) is GrantStatus.PENDING
            world.authority.relay_approval(handle.grant_id, wallet.approve(handle.document))
            assert await client.wait_for_grant(handle.grant_id, timeout=5) is GrantStatus.ACTIVE

            answers = await asyncio.gather(
                *(client.query(handle.grant_id, world.resource, FIELDS) for _ in range(2))
            )
            assert [dict(a.data) for a in answers] == [
                {"plate": "鲁A12345", "status": "normal"}
            ] * 2
            assert answers[0].request.request_id != answers[1].request.request_id

            gateway.anchor()
            inclusion = await client.wait_for_anchor(answers[1], timeout=5)
            assert inclusion.receipt_id == answers[1].receipt_id

    asyncio.run(scenario())


def test_async_client_raises_refusals_and_verification_errors(
    world: World, consumer: Member, wallet: OwnerWallet, gateway: GatewayDouble
) -> None:
    async def scenario() -> None:
        async with _client(world, consumer) as client:
            handle = await client.request_grant(
                wallet.pseudonym, wallet.public_key, {world.resource: FIELDS}, 1, "RAW",
                "2024-01-01", "2024-12-31", valid_for=600,
            )  # fmt: skip
            with pytest.raises(r.GrantPending):
                await client.query(handle.grant_id, world.resource, FIELDS)

            world.authority.relay_approval(handle.grant_id, wallet.approve(handle.document))
            gateway.behaviour = "data_digest_mismatch"
            with pytest.raises(DataDigestMismatch):
                await client.query(handle.grant_id, world.resource, FIELDS)

    asyncio.run(scenario())
