"""A real gateway over TLS (a uvicorn subprocess on the session's chain), as members reach it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from quancheng.gateway_client import (
    AsyncGatewayClient,
    GatewayClient,
    GatewayUnavailable,
    RetryPolicy,
)
from quancheng.protocol.refusals import Refusal
from quancheng.schemas import SchemaSource
from quancheng.tls import TlsConfig, TlsConfigError
from quancheng_appkit.devca import DevCa
from quancheng_gateway.process import GatewayProcess
from tests.utils.ports import free_port
from tests.utils.scenario import Scenario, build_scenario, gateway_settings

#: Dev account the transport tests fund their accounts from (see the other suites' indices).
FUNDER_INDEX = 18


@pytest.fixture(scope="module")
def scenario(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    work = tmp_path_factory.mktemp("tls-gw")
    return build_scenario(chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], work)


def _tls_settings(sc: Scenario, ca: DevCa, work: Path) -> Any:
    return gateway_settings(
        sc,
        database_url=f"sqlite:///{work / 'gw.db'}",
        port=free_port(),
        tls_cert_file=ca.server_cert_file,
        tls_key_file=ca.server_key_file,
        tls_client_ca_file=ca.ca_file,
    )


@pytest.fixture(scope="module")
def gateway(
    scenario: Scenario, dev_ca: DevCa, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    work = tmp_path_factory.mktemp("tls-gw-run")
    settings = _tls_settings(scenario, dev_ca, work)
    proc = GatewayProcess(settings, log_file=work / "gateway.log", tls=dev_ca.anonymous())
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def _healthz(gateway: GatewayProcess, tls: TlsConfig) -> httpx.Response:
    with httpx.Client(verify=tls.ssl_context(), timeout=10) as client:
        return client.get(gateway.url + "/healthz")


def test_the_gateway_answers_healthz_over_https_to_anyone_trusting_the_ca(
    gateway: GatewayProcess, dev_ca: DevCa
) -> None:
    assert gateway.url.startswith("https://127.0.0.1:")
    assert gateway.tls == dev_ca.anonymous()
    health = gateway.health()  # the managed probe, over TLS
    assert health is not None and health["ok"] is True
    assert _healthz(gateway, dev_ca.anonymous()).status_code == 200
    assert _healthz(gateway, dev_ca.client("bank.quancheng")).status_code == 200


def test_a_client_trusting_another_ca_fails_the_handshake(
    gateway: GatewayProcess, other_ca: DevCa
) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _healthz(gateway, other_ca.anonymous())


def test_a_client_certificate_the_gateway_does_not_trust_ends_the_connection(
    gateway: GatewayProcess, dev_ca: DevCa, other_ca: DevCa
) -> None:
    impostor = other_ca.client("bank.quancheng")
    tls = TlsConfig(dev_ca.ca_file, impostor.cert_file, impostor.key_file)
    with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected"):
        _healthz(gateway, tls)


def test_plain_http_to_the_gateways_tls_port_gets_nothing(gateway: GatewayProcess) -> None:
    with socket.create_connection(("127.0.0.1", gateway.settings.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(4096) == b""


def test_a_managed_tls_server_needs_a_ca_to_be_probed(
    scenario: Scenario, dev_ca: DevCa, tmp_path: Path
) -> None:
    settings = _tls_settings(scenario, dev_ca, tmp_path)
    with pytest.raises(TlsConfigError, match=r"^GatewayProcess serves TLS \(QC_GW_TLS_CERT_FILE\)"):
        GatewayProcess(settings, log_file=tmp_path / "gateway.log")


def test_the_sdk_gateway_clients_reach_the_gateway_over_tls_with_a_member_certificate(
    gateway: GatewayProcess, dev_ca: DevCa, other_ca: DevCa
) -> None:
    member = dev_ca.client("bank.quancheng")
    with GatewayClient(tls=member) as client, pytest.raises(Refusal) as refused:
        client.post_query(gateway.url, b"{}")  # answered (refused) over TLS: the handshake held
    assert refused.value.code == "MALFORMED_REQUEST"

    async def post_async() -> None:
        async with AsyncGatewayClient(tls=member) as client:
            await client.post_query(gateway.url, b"{}")

    with pytest.raises(Refusal):
        asyncio.run(post_async())
    # A server certificate the client refuses is not asked again: it will not become valid.
    impostor = GatewayClient(tls=other_ca.client("bank.quancheng"), retry=RetryPolicy(attempts=3))
    with impostor, pytest.raises(GatewayUnavailable, match="CERTIFICATE_VERIFY_FAILED") as failed:
        impostor.post_query(gateway.url, b"{}")
    assert failed.value.attempts == 1


def test_published_schemas_are_read_over_tls_and_not_from_an_untrusted_server(
    gateway: GatewayProcess, dev_ca: DevCa, other_ca: DevCa
) -> None:
    trusted = SchemaSource(tls=dev_ca.anonymous())
    assert "vehicle.registration" in trusted(gateway.url)
    assert SchemaSource(tls=other_ca.anonymous())(gateway.url) == {}
    with pytest.raises(TypeError, match="an http client or tls, not both"):
        SchemaSource(httpx.Client(), tls=dev_ca.anonymous())
