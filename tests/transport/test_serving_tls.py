"""The bounded serving layer over TLS, in this process: real handshakes, both event loops.

The peer app (:mod:`tests.transport.peer_app`) answers what it sees: the channel of the
client's certificate (:func:`peer_certificate`) and the ASGI TLS extension of its scope.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from quancheng.tls import TlsConfig
from quancheng_appkit.devca import DevCa
from quancheng_appkit.serving import peer_certificate
from tests.transport.peer_app import PeerSettings, serving

TLS13_SUITES = {0x1301, 0x1302, 0x1303}
TLS12_ECDSA_SUITES = {0xC02B, 0xC02C, 0xCCA9}  # ECDHE-ECDSA with AES-GCM or ChaCha20


def _settings(ca: DevCa, **overrides: Any) -> PeerSettings:
    values: dict[str, Any] = {
        "tls_cert_file": ca.server_cert_file,
        "tls_key_file": ca.server_key_file,
        "tls_client_ca_file": ca.ca_file,
    }
    return PeerSettings(**{**values, **overrides})


@pytest.fixture(scope="module", params=["asyncio", "uvloop"])
def url(request: pytest.FixtureRequest, dev_ca: DevCa) -> Iterator[str]:
    """The peer app over TLS, asking for client certificates of ``dev_ca``."""
    with serving(_settings(dev_ca), loop=request.param) as base:
        yield base


def _peer(base: str, tls: TlsConfig | ssl.SSLContext) -> dict[str, Any]:
    verify = tls if isinstance(tls, ssl.SSLContext) else tls.ssl_context()
    with httpx.Client(verify=verify, timeout=10) as client:
        resp = client.get(base + "/peer")
    assert resp.status_code == 200
    answer: dict[str, Any] = resp.json()
    return answer


def _plain_http_reply(base: str) -> bytes:
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /peer HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    return reply


def test_the_app_sees_the_verified_client_certificate(url: str, dev_ca: DevCa) -> None:
    tls = dev_ca.client("bank.quancheng")
    assert tls.cert_file is not None
    answer = _peer(url, tls)
    assert answer["channel"] == tls.channel
    ext = answer["tls"]
    assert ext["client_cert_chain"] == [tls.cert_file.read_text()]
    assert ext["client_cert_name"] == "CN=bank.quancheng,O=Quancheng Chain (development only)"
    assert (ext["server_cert"], ext["client_cert_error"]) == (None, None)
    assert ext["tls_version"] == 0x0304 and ext["cipher_suite"] in TLS13_SUITES


def test_without_a_client_certificate_the_app_sees_none(url: str, dev_ca: DevCa) -> None:
    answer = _peer(url, dev_ca.anonymous())
    assert answer["channel"] is None
    assert answer["tls"]["client_cert_chain"] == [] and answer["tls"]["client_cert_name"] is None


def test_a_tls_1_2_connection_reports_its_version_and_ecdhe_aead_suite(
    url: str, dev_ca: DevCa
) -> None:
    context = ssl.create_default_context(cafile=dev_ca.ca_file)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    ext = _peer(url, context)["tls"]
    assert ext["tls_version"] == 0x0303 and ext["cipher_suite"] in TLS12_ECDSA_SUITES


def test_a_client_trusting_another_ca_fails_the_handshake(url: str, other_ca: DevCa) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _peer(url, other_ca.anonymous())


def test_a_client_certificate_of_another_ca_is_refused_in_the_handshake(
    url: str, dev_ca: DevCa, other_ca: DevCa
) -> None:
    impostor = other_ca.client("bank.quancheng")
    context = TlsConfig(dev_ca.ca_file, impostor.cert_file, impostor.key_file).ssl_context()
    with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected"):
        _peer(url, context)  # TLS 1.3: the server's alert comes after the client's Finished


def test_a_plain_http_request_to_the_tls_port_gets_nothing(url: str) -> None:
    assert _plain_http_reply(url) == b""


@pytest.mark.parametrize(
    ("options", "accepted"),
    [
        (["-tls1_2"], True),
        (["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"], False),  # below the minimum
        (["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"], False),  # CBC: no AEAD
    ],
)
def test_openssl_agrees_on_the_protocols_and_suites_accepted(
    url: str, dev_ca: DevCa, options: list[str], accepted: bool
) -> None:
    host = url.removeprefix("https://")
    command = ["openssl", "s_client", "-connect", host, "-CAfile", str(dev_ca.ca_file), *options]
    result = subprocess.run(command, input=b"", capture_output=True, timeout=30)
    assert (result.returncode == 0) is accepted, result.stdout[-500:]
    if accepted:
        assert b"Verify return code: 0 (ok)" in result.stdout


def test_plain_http_on_loopback_in_test_has_no_tls_extension() -> None:
    with serving(PeerSettings(environment="test")) as base, httpx.Client(timeout=10) as client:
        answer = client.get(base + "/peer").json()
    assert answer["tls"] is None and answer["channel"] is None


def test_peer_certificate_is_none_without_tls_or_with_an_error_reported() -> None:
    pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    tls = {"client_cert_chain": [pem], "client_cert_error": None}
    assert peer_certificate({"type": "http"}) is None
    assert peer_certificate({"extensions": None}) is None
    assert peer_certificate({"extensions": {"tls": {**tls, "client_cert_chain": []}}}) is None
    assert peer_certificate({"extensions": {"tls": {**tls, "client_cert_error": "x"}}}) is None
    assert peer_certificate({"extensions": {"tls": tls}}) == b"\x00\x00\x00"
