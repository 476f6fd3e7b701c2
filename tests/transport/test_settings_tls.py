"""Who may serve plain HTTP: nobody off loopback, nobody in production; TLS files checked.

The rule lives in the serving layer (:meth:`TlsSettings.uvicorn_options`, applied by
``bounded_config`` when a service starts), so the gateway and the portal get it alike, each
naming its own variables. The local node is refused any host but loopback.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from quancheng.crypto import SM2PrivateKey
from quancheng.tls import TlsConfigError
from quancheng_appkit.devca import DevCa
from quancheng_appkit.serving import PlaintextRefused, ServerLimits, TlsFileMissing, bounded_config
from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.process import GatewayExited, GatewayProcess
from quancheng_node.config import NodeHostRefused, NodeSettings
from quancheng_portal.core.config import PortalSettings
from tests.utils.ports import free_port

SM2_PEM = SM2PrivateKey.generate().to_pem().decode()
CHAIN_KEY = "0x" + "11" * 32
PSEUDONYM_KEY = "ab" * 16


def gateway(**values: Any) -> GatewaySettings:
    secrets = {
        "sm2_key_pem": SM2_PEM,
        "chain_private_key": CHAIN_KEY,
        "pseudonym_key": PSEUDONYM_KEY,
    }
    return GatewaySettings(department="x:y", **{**secrets, **values})


def portal(**values: Any) -> PortalSettings:
    secrets = {"authority_sm2_key_pem": SM2_PEM, "authority_chain_key": CHAIN_KEY,
               "pseudonym_key": PSEUDONYM_KEY}  # fmt: skip
    return PortalSettings(**{**secrets, **values})


SERVICES = [
    pytest.param(gateway, "QC_GW_", id="gateway"),
    pytest.param(portal, "QC_PORTAL_", id="portal"),
]


def _tls(ca: DevCa, client_ca: bool = True) -> dict[str, Any]:
    files = {"tls_cert_file": ca.server_cert_file, "tls_key_file": ca.server_key_file}
    return {**files, "tls_client_ca_file": ca.ca_file} if client_ca else files


def _start(settings: ServerLimits) -> Any:
    """What a service does at start: its uvicorn config, TLS applied."""
    return bounded_config("tests.transport.peer_app:app", settings, port=free_port())


@pytest.mark.parametrize(("make", "prefix"), SERVICES)
@pytest.mark.parametrize(
    ("environment", "host"),
    [("production", "127.0.0.1"), ("test", "0.0.0.0"), ("development", "10.1.2.3")],
)
def test_plain_http_is_refused_in_production_and_off_loopback(
    make: Any, prefix: str, environment: str, host: str
) -> None:
    settings = make(environment=environment, host=host)
    expected = (
        f"plain HTTP is served only on a loopback host in development or test, not on "
        f"'{host}' in {environment}: set {prefix}TLS_CERT_FILE and {prefix}TLS_KEY_FILE"
    )
    with pytest.raises(PlaintextRefused) as refused:
        _start(settings)
    assert str(refused.value) == expected
    assert (refused.value.code, refused.value.host) == ("PLAINTEXT_REFUSED", host)


@pytest.mark.parametrize(("make", "prefix"), SERVICES)
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_plain_http_is_allowed_on_loopback_in_development_and_test(
    make: Any, prefix: str, host: str
) -> None:
    for environment in ("development", "test"):
        config = _start(make(environment=environment, host=host))
        assert (config.is_ssl, config.host) == (False, host)


@pytest.mark.parametrize(("make", "prefix"), SERVICES)
def test_tls_settings_are_read_with_the_service_prefix_and_applied(
    make: Any, prefix: str, dev_ca: DevCa, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{prefix}TLS_CERT_FILE", str(dev_ca.server_cert_file))
    monkeypatch.setenv(f"{prefix}TLS_KEY_FILE", str(dev_ca.server_key_file))
    monkeypatch.setenv(f"{prefix}TLS_CLIENT_CA_FILE", str(dev_ca.ca_file))
    config = _start(make(environment="production", host="0.0.0.0"))
    assert config.is_ssl and config.ssl_cert_reqs == ssl.CERT_OPTIONAL
    assert (config.ssl_certfile, config.ssl_ca_certs) == (
        str(dev_ca.server_cert_file), str(dev_ca.ca_file)
    )  # fmt: skip
    config.load()
    assert config.ssl is not None and config.ssl.minimum_version == ssl.TLSVersion.TLSv1_2
    monkeypatch.delenv(f"{prefix}TLS_CLIENT_CA_FILE")
    without_clients = _start(make(environment="production", **_tls(dev_ca, client_ca=False)))
    assert without_clients.ssl_cert_reqs == ssl.CERT_NONE and without_clients.ssl_ca_certs is None


@pytest.mark.parametrize(("make", "prefix"), SERVICES)
@pytest.mark.parametrize("setting", ["tls_cert_file", "tls_key_file", "tls_client_ca_file"])
def test_a_tls_file_that_does_not_exist_stops_the_start(
    make: Any, prefix: str, setting: str, dev_ca: DevCa, tmp_path: Path
) -> None:
    missing = tmp_path / "nothing.pem"
    with pytest.raises(TlsFileMissing) as refused:
        _start(make(environment="production", **{**_tls(dev_ca), setting: missing}))
    assert str(refused.value) == f"{prefix}{setting.upper()}: no such file {missing}"


@pytest.mark.parametrize(("make", "prefix"), SERVICES)
def test_incomplete_or_mismatched_tls_files_stop_the_start(
    make: Any, prefix: str, dev_ca: DevCa, other_ca: DevCa
) -> None:
    with pytest.raises(
        TlsConfigError, match=f"^set both {prefix}TLS_CERT_FILE and {prefix}TLS_KEY_FILE$"
    ):
        _start(make(environment="test", tls_cert_file=dev_ca.server_cert_file))
    with pytest.raises(
        TlsConfigError, match=f"^{prefix}TLS_CLIENT_CA_FILE needs {prefix}TLS_CERT_FILE"
    ):
        _start(make(environment="test", tls_client_ca_file=dev_ca.ca_file))
    mismatched = {**_tls(dev_ca), "tls_key_file": other_ca.server_key_file}
    with pytest.raises(TlsConfigError, match="do not load as a certificate and its key"):
        _start(make(environment="test", **mismatched))
    not_a_bundle = {**_tls(dev_ca), "tls_client_ca_file": dev_ca.server_key_file}
    with pytest.raises(TlsConfigError, match=f"^{prefix}TLS_CLIENT_CA_FILE: .* is not a PEM CA"):
        _start(make(environment="test", **not_a_bundle))


def test_a_production_gateway_without_tls_exits_at_start_naming_the_settings(
    tmp_path: Path,
) -> None:
    settings = gateway(environment="production", port=free_port())
    process = GatewayProcess(settings, log_file=tmp_path / "gateway.log", start_timeout=60)
    with pytest.raises(GatewayExited, match="exited with 1") as exited:
        process.start()
    assert "PlaintextRefused: plain HTTP is served only on a loopback host" in str(exited.value)
    assert "set QC_GW_TLS_CERT_FILE and QC_GW_TLS_KEY_FILE" in str(exited.value)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "node.example"])
def test_the_local_node_refuses_any_host_but_loopback(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = (
        f"QC_NODE_HOST='{host}': the local node is for development and serves plain HTTP on "
        "loopback only (127.0.0.1, ::1, localhost); a network runs Hyperledger Besu with "
        '--rpc-http-tls-enabled (docs/deployment.md, "Certificates and TLS")'
    )
    with pytest.raises(NodeHostRefused) as refused:
        NodeSettings(host=host)
    assert (str(refused.value), refused.value.code) == (expected, "NODE_HOST_REFUSED")
    monkeypatch.setenv("QC_NODE_HOST", host)
    with pytest.raises(NodeHostRefused):
        NodeSettings()


def test_the_local_node_runs_on_any_loopback_address() -> None:
    assert NodeSettings(host="127.0.0.1", port=8545).rpc_url == "http://127.0.0.1:8545"
    assert NodeSettings(host="::1", port=8545).rpc_url == "http://[::1]:8545"
    assert NodeSettings(host="localhost").host == "localhost"
