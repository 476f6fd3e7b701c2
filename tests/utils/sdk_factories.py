"""Factories for tests that drive the SDK's clients, wallet and authority on a real node.

They build on :mod:`tests.utils.chain_factories` (deployment, committee votes) and add the
SDK's actors::

    net = deploy_test_network(rpc_url, funder_key)
    authority = make_authority(net, rpc_url)
    consumer = admit(net, Role.CONSUMER)
    client = make_consumer_client(net, rpc_url, consumer)
    wallet = onboard_owner(authority)
    resource = register_sdk_resource(net, provider, endpoint="http://127.0.0.1:8000")
    handle = approved_grant(client, wallet, authority, {resource: ["plate", "status"]})
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx

from quancheng.authority import IdentityAuthority
from quancheng.chain import code32, purposes_mask
from quancheng.client import ConsumerClient
from quancheng.crypto import canonical_json, sm3
from quancheng.grants import GrantRequestHandle
from quancheng.identity import Institution
from quancheng.protocol import GrantMode, Purpose
from quancheng.wallet import OwnerWallet
from tests.utils.chain_factories import Member, TestNetwork, unique_code

if TYPE_CHECKING:
    from starlette.testclient import TestClient

#: Fields every test resource serves.
RESOURCE_FIELDS = ("owner_name", "plate", "status")
#: One subject's record behind every test resource.
ROW = {"owner_name": "张三", "plate": "鲁A12345", "status": "normal"}


def institution_of(member: Member) -> Institution:
    """The SDK identity of an institution the chain factories admitted."""
    return Institution(member.code, member.sm2, member.account)


def make_authority(net: TestNetwork, rpc_url: str, **kwargs: Any) -> IdentityAuthority:
    """The identity authority, run by founding committee member 0, with a fresh secret."""
    return IdentityAuthority(
        institution_of(net.committee[0]), secrets.token_bytes(32), net.manifest, rpc_url, **kwargs
    )


def make_consumer_client(
    net: TestNetwork, rpc_url: str, consumer: Member, **kwargs: Any
) -> ConsumerClient:
    """A consumer client for an admitted CONSUMER."""
    return ConsumerClient(institution_of(consumer), net.manifest, rpc_url, **kwargs)


def resident_id() -> str:
    """A fresh, well-formed-looking 18-character resident ID number."""
    return "370102" + "".join(secrets.choice("0123456789") for _ in range(11)) + "X"


def onboard_owner(authority: IdentityAuthority, identifier: str | None = None) -> OwnerWallet:
    """A wallet whose key the authority attested for a fresh resident; bound to its pseudonym."""
    wallet = OwnerWallet.generate()
    wallet.bind(authority.attest(wallet.public_key, "resident_id", identifier or resident_id()))
    return wallet


def register_sdk_resource(
    net: TestNetwork,
    provider: Member,
    *,
    endpoint: str,
    fields: Iterable[str] = RESOURCE_FIELDS,
    purposes: Iterable[Purpose] = (Purpose.MOTOR_CLAIM, Purpose.SME_CREDIT),
    sensitivity: int = 3,
) -> str:
    """Register a resource served at ``endpoint``; returns its code (e.g. ``res.1a2b3c4d``).

    From sensitivity 3 (the default) up its answers are sealed to the consumer.
    """
    code = unique_code("res")
    names = sorted(fields)
    net.send(
        net.committee[0],
        net.catalogue.functions.register(
            code32(code),
            provider.id,
            [code32(f) for f in names],
            sm3(canonical_json({"fields": names})),
            sensitivity,
            purposes_mask(*(int(p) for p in purposes)),
            endpoint,
        ),
    )
    return code


def request_for(
    client: ConsumerClient,
    wallet: OwnerWallet,
    scope: Mapping[str, Iterable[str]],
    **overrides: Any,
) -> GrantRequestHandle:
    """A PENDING grant for ``wallet``'s owner: motor claim, RAW, valid one hour, 5 uses."""
    args: dict[str, Any] = {
        "purpose": Purpose.MOTOR_CLAIM,
        "mode": GrantMode.RAW,
        "data_from": "2024-01-01",
        "data_to": "2024-12-31",
        "valid_for": timedelta(hours=1),
        "max_uses": 5,
    }
    args.update(overrides)
    return client.request_grant(wallet.pseudonym, wallet.public_key, scope, **args)


def approved_grant(
    client: ConsumerClient,
    wallet: OwnerWallet,
    authority: IdentityAuthority,
    scope: Mapping[str, Iterable[str]],
    **overrides: Any,
) -> GrantRequestHandle:
    """A grant the owner approved and the authority relayed: ACTIVE."""
    handle = request_for(client, wallet, scope, **overrides)
    authority.relay_approval(handle.grant_id, wallet.approve(handle.document))
    return handle


class InProcessRoute(httpx.BaseTransport):
    """The SDK's HTTP to a catalogue endpoint, delivered to a gateway app run in this process
    (the endpoint's path prefix, e.g. ``/gateway``, is dropped)."""

    def __init__(self, client: TestClient, prefix: str = "/gateway") -> None:
        self.client, self.prefix = client, prefix

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        got = self.client.request(
            request.method,
            request.url.path.removeprefix(self.prefix),
            content=request.read(),
            headers={"content-type": "application/json"},
        )
        return httpx.Response(
            got.status_code, headers={"content-type": "application/json"}, content=got.content
        )
