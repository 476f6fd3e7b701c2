"""A claims or credit service over a real chain and real department gateways (no tests here).

The world: a fresh deployment, the departments a kind needs as real gateway subprocesses
(their real plug-ins, the test world's data), a consumer institution, the identity authority
(committee member 0) that attests owners with the gateways' pseudonym key, and the officer
service itself as a subprocess (``ClaimsServiceProcess`` / ``CreditServiceProcess``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from quancheng.authority import IdentityAuthority
from quancheng.chain import ContractSet, Role, make_web3
from quancheng.client import ConsumerClient
from quancheng.committee import Committee
from quancheng.wallet import OwnerWallet
from quancheng_appkit.managed_server import ManagedServer
from quancheng_datagen import DEFAULT_AS_OF
from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.process import GatewayProcess
from quancheng_gateway.resources import load_department
from tests.insurance.helpers import populated_engine
from tests.utils.chain_factories import Member, TestNetwork, admit, deploy_test_network
from tests.utils.ports import free_port
from tests.utils.scenario import TEST_METRICS_TOKEN
from tests.utils.sdk_factories import institution_of

#: The officers' token of the test services.
OFFICER_TOKEN = "officer-token-for-tests-0123456789abcdef"


@dataclass
class OfficerWorld:
    """The running pieces of one officer service's world."""

    net: TestNetwork
    rpc_url: str
    manifest_path: Path
    authority: IdentityAuthority
    consumer: Member
    service: ManagedServer
    gateways: list[GatewayProcess] = field(default_factory=list)

    def enrol(self, id_kind: str, identifier: str) -> OwnerWallet:
        """A real-name checked owner with a wallet key attested on chain."""
        wallet = OwnerWallet.generate()
        wallet.bind(self.authority.attest(wallet.public_key, id_kind, identifier))
        return wallet

    def consumer_client(self) -> ConsumerClient:
        """The SDK's client of the service's institution (to verify what the service says)."""
        return ConsumerClient(
            institution_of(self.consumer), self.manifest_path, self.rpc_url, evidence=False
        )

    def http(self, token: str | None = OFFICER_TOKEN) -> httpx.Client:
        """An HTTP client of the service (with the operator token unless ``None``)."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.service.url, headers=headers, timeout=60)

    def approve(self, wallet: OwnerWallet, grant_id: str) -> None:
        """The owner signs the requested grant; the authority relays; the gateways see it."""
        with self.consumer_client() as client:
            document = client.grant_document(grant_id).document
        relayed = self.authority.relay_approval(grant_id, wallet.approve(document))
        for gateway in self.gateways:
            deadline = time.monotonic() + 30
            while (gateway.health() or {}).get("view_block", -1) < relayed.block_number:
                assert time.monotonic() < deadline, "gateway view did not catch up"
                time.sleep(0.05)

    def stop(self) -> None:
        self.service.stop()
        for gateway in self.gateways:
            gateway.stop()


def start_world(
    rpc_url: str,
    funder_key: str,
    work: Path,
    plugins: Sequence[str],
    process: type[ManagedServer],
    settings_cls: type[Any],
) -> OfficerWorld:
    """Deploy, admit, register and serve the departments of ``plugins``, start the service."""
    net = deploy_test_network(rpc_url, funder_key, committee_size=2, threshold=1)
    pseudonym_key = secrets.token_bytes(32)
    authority = IdentityAuthority(
        institution_of(net.committee[0]), pseudonym_key, net.manifest, rpc_url
    )
    consumer = admit(net, Role.CONSUMER, code=f"fi.{secrets.token_hex(3)}", name="测试机构")
    departments: list[tuple[str, Any]] = [(p, load_department(p)) for p in plugins]
    data_url = f"sqlite:///{work / 'world.db'}"
    populated_engine(work / "world.db", [d for _, d in departments]).dispose()
    manifest_path = work / "manifest.json"
    net.manifest.save(manifest_path)
    committee = Committee(ContractSet(make_web3(rpc_url), net.manifest), [net.committee[0].account])
    world = OfficerWorld(net, rpc_url, manifest_path, authority, consumer, None)  # type: ignore[arg-type]
    try:
        for path, dept in departments:
            world.gateways.append(
                _gateway(net, committee, path, dept, work, data_url, rpc_url, pseudonym_key)
            )
        settings = settings_cls(
            environment="test", port=free_port(), database_url=f"sqlite:///{work / 'svc.db'}",
            rpc_url=rpc_url, manifest_path=manifest_path, institution_code=consumer.code,
            sm2_key_pem=consumer.sm2.to_pem().decode(), chain_key=consumer.account.key.hex(),
            operator_token=OFFICER_TOKEN, data_as_of=DEFAULT_AS_OF, grant_poll_interval_s=0.5,
        )  # fmt: skip
        world.service = process(settings, log_file=work / "service.log")
        world.service.start()
    except BaseException:
        world.stop()
        raise
    return world


def _gateway(
    net: TestNetwork, committee: Committee, path: str, dept: Any, work: Path, data_url: str,
    rpc_url: str, pseudonym_key: bytes,
) -> GatewayProcess:  # fmt: skip
    provider = admit(net, Role.PROVIDER, code=dept.provider, name=dept.name)
    port = free_port()
    for handler in dept.handlers:
        committee.register_resource(
            handler.spec.resource_id, provider=dept.provider, fields=handler.spec.fields,
            indicators=handler.spec.indicators, sensitivity=int(handler.sensitivity),
            purposes=[int(p) for p in handler.purposes], endpoint=f"http://127.0.0.1:{port}",
        )  # fmt: skip
    settings = GatewaySettings(
        environment="test", department=path, port=port,
        database_url=f"sqlite:///{work / f'{dept.provider}.db'}", data_url=data_url,
        rpc_url=rpc_url, manifest_path=work / "manifest.json",
        sm2_key_pem=provider.sm2.to_pem().decode(),  # type: ignore[arg-type]
        chain_private_key=provider.account.key.hex(),  # type: ignore[arg-type]
        pseudonym_key=pseudonym_key.hex(),  # type: ignore[arg-type]
        batch_max_age_s=0.5, log_queries=False,
        metrics_token=TEST_METRICS_TOKEN,  # type: ignore[arg-type]
    )  # fmt: skip
    gateway = GatewayProcess(settings, log_file=work / f"{dept.provider}.log")
    gateway.start()
    return gateway


def wait_decided(http: httpx.Client, path: str, timeout: float = 60) -> dict[str, Any]:
    """GET ``path`` until the case leaves waiting / deciding (the owner just approved)."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = http.get(path).json()
        if body["state"] not in ("waiting_for_grant", "deciding"):
            return body
        assert time.monotonic() < deadline, f"{path} still {body['state']}"
        time.sleep(0.1)
