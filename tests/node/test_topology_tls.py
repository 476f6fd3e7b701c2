"""TLS of a generated deployment: every service's env file names its TLS files, a gateway and
the portal started from theirs pass the serving layer's start check, the RPC nodes serve
JSON-RPC over TLS only, and the services trust the RPC nodes' CA the way the files say.

The certificates are the development CA's (``DevCa.ensure``), put where the generated files
name the deployment's. Besu itself cannot run here: its options are checked as written.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from websockets.sync.client import connect
from websockets.sync.server import Server, ServerConnection, serve

from quancheng.chain import make_web3
from quancheng_appkit.devca import DevCa
from quancheng_appkit.serving import PlaintextRefused, bounded_config
from quancheng_gateway.core.config import GatewaySettings
from quancheng_node.deployment import (
    MembersFile,
    TopologyError,
    TopologySpec,
    check_live,
    check_topology,
    generate_topology,
    read_env,
)
from quancheng_portal.app_state import gateway_tls
from quancheng_portal.core.config import PortalSettings
from tests.utils.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "example"
TLS = "/etc/quancheng/tls"
CA = f"{TLS}/consortium-ca.pem"
MEMBERS: dict[str, Any] = {
    "members": [
        {"id": "jinan.bdb", "name": "济南市大数据局", "role": "COMMITTEE",
         "account": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "authority": True},
        {"id": "jinan.vmo", "name": "车管所", "role": "PROVIDER",
         "account": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
         "department": "quancheng_insurance.departments:vehicle"},
        {"id": "bank.quancheng", "name": "泉城普惠银行", "role": "CONSUMER",
         "account": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"},
    ],
}  # fmt: skip
HOSTS = ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.1.1")
#: Secrets are injected from the institution's secret store, never the env file.
PSEUDONYM_KEY = "ab" * 16
GATEWAY_SECRETS: dict[str, Any] = {
    "chain_private_key": "0x" + "11" * 32,
    "pseudonym_key": PSEUDONYM_KEY,
}
TLS_CHECK = "plain HTTP is served only on a loopback host in development or test"


def _generate(target: Path) -> Path:
    spec = TopologySpec(
        chain_id=7718, genesis_timestamp=1_767_225_600, seed="tls", hosts=HOSTS,
        members=MembersFile.model_validate(MEMBERS),
    )  # fmt: skip
    generate_topology(spec, target)
    return target


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory.mktemp("topology") / "net")


@pytest.fixture(scope="module")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> DevCa:
    return DevCa.ensure(tmp_path_factory.mktemp("tls") / "ca", ["jinan.bdb", "bank.quancheng"])


def _toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _with_real_files(env_file: Path, files: dict[str, Path], target: Path) -> Path:
    """``env_file`` with every TLS file it names replaced by a real one, written to ``target``."""
    text = env_file.read_text(encoding="utf-8")
    for named, real in files.items():
        assert named in text, named
        text = text.replace(named, str(real))
    assert TLS not in text  # no TLS file left that does not exist here
    target.write_text(text, encoding="utf-8")
    return target


def _without_tls_lines(env_file: Path, target: Path) -> Path:
    """``env_file`` as the generator wrote it before TLS: no ``*_TLS_*`` line."""
    lines = env_file.read_text(encoding="utf-8").splitlines(keepends=True)
    target.write_text("".join(line for line in lines if "_TLS_" not in line), encoding="utf-8")
    return target


def _gateway(env_file: Path, **values: Any) -> GatewaySettings:
    """A gateway's settings read from ``env_file``, its secrets injected as a secret store would."""
    values = {**GATEWAY_SECRETS, **values}
    return GatewaySettings(_env_file=env_file, **values)  # type: ignore[call-arg]


def _portal(env_file: Path) -> PortalSettings:
    """The portal's settings read from ``env_file``, its pseudonym key injected."""
    secrets: dict[str, Any] = {"pseudonym_key": PSEUDONYM_KEY}
    return PortalSettings(_env_file=env_file, **secrets)  # type: ignore[call-arg]


async def _app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - never served
    raise AssertionError("not served")


# ---------------------------------------------------------------------------- env files


@pytest.mark.parametrize("where", ["generated", "committed example"])
def test_every_service_env_file_sets_its_tls_settings(where: str, out: Path) -> None:
    env_dir = (out if where == "generated" else EXAMPLE) / "env"
    chain_ca = {"REQUESTS_CA_BUNDLE": CA, "SSL_CERT_FILE": CA}
    seen = set()
    for path in sorted(env_dir.glob("*.env")):
        env, kind = read_env(path), path.name.split(".", 1)[0]
        code = path.name.removeprefix(f"{kind}.").removesuffix(".env")
        seen.add(kind)
        expected: dict[str, str] = {
            "gateway": {
                "QC_GW_TLS_CERT_FILE": f"{TLS}/{code}/server.pem",
                "QC_GW_TLS_KEY_FILE": f"{TLS}/{code}/server.key",
                "QC_GW_TLS_CLIENT_CA_FILE": CA,
                **chain_ca,
            },
            "portal": {
                "QC_PORTAL_TLS_CERT_FILE": f"{TLS}/jinan.bdb/portal.pem",
                "QC_PORTAL_TLS_KEY_FILE": f"{TLS}/jinan.bdb/portal.key",
                "QC_PORTAL_GATEWAY_TLS_CA_FILE": CA,
                "QC_PORTAL_GATEWAY_TLS_CERT_FILE": f"{TLS}/jinan.bdb/client.pem",
                "QC_PORTAL_GATEWAY_TLS_KEY_FILE": f"{TLS}/jinan.bdb/client.key",
                **chain_ca,
            },
            "client": {
                "QC_TLS_CA_FILE": CA,
                "QC_TLS_CERT_FILE": f"{TLS}/{code}/client.pem",
                "QC_TLS_KEY_FILE": f"{TLS}/{code}/client.key",
                **chain_ca,
            },
            "deployer": chain_ca,
            "localnode": {},  # the local node: plain HTTP on loopback only
        }[kind]
        assert {k: env.get(k) for k in expected} == expected, path.name
        assert not any("_TLS_" in k for k in set(env) - set(expected)), path.name
    assert seen == {"gateway", "portal", "client", "deployer", "localnode"}
    assert "portal.env" in {p.name for p in env_dir.glob("*.env")}


@pytest.mark.parametrize("where", ["generated", "committed example"])
def test_every_chain_endpoint_the_files_give_is_https_or_wss(where: str, out: Path) -> None:
    root = out if where == "generated" else EXAMPLE
    topology = json.loads((root / "topology.json").read_text(encoding="utf-8"))
    for node in topology["nodes"]:
        secure = node["serves_clients"]
        assert node["rpc_url"].startswith("https://" if secure else "http://127.0.0.1:")
        assert node["ws_url"].startswith("wss://" if secure else "ws://127.0.0.1:")
    for path in sorted((root / "env").glob("*.env")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(http|ws)://", text), path.name  # comments included
        env = read_env(path)
        for key in ("QC_GW_RPC_URL", "QC_PORTAL_RPC_URL", "QC_GW_WS_URL"):
            if key in env:
                assert env[key].startswith("wss://" if key.endswith("WS_URL") else "https://")


def test_rpc_nodes_serve_json_rpc_over_tls_and_validators_on_loopback_only(out: Path) -> None:
    tls_options = {
        "rpc-http-tls-enabled": True,
        "rpc-http-tls-keystore-file": "tls/rpc.p12",
        "rpc-http-tls-keystore-password-file": "tls/rpc.password",
        "rpc-ws-ssl-enabled": True,
        "rpc-ws-ssl-keystore-type": "PKCS12",
        "rpc-ws-ssl-keystore-file": "tls/rpc.p12",
        "rpc-ws-ssl-keystore-password-file": "tls/rpc.password",
    }
    for node in sorted((out / "nodes").iterdir()):
        config = _toml(node / "config.toml")
        if node.name.startswith("rpc-"):
            assert {k: config.get(k) for k in tls_options} == tls_options
            assert config["rpc-http-host"] == config["rpc-ws-host"] == "10.0.1.1"
        else:
            assert config["rpc-http-host"] == config["rpc-ws-host"] == "127.0.0.1"
            assert not any(k.startswith(("rpc-http-tls", "rpc-ws-ssl")) for k in config)
        # The services present no client certificate to Besu: none is asked for.
        assert "rpc-http-tls-client-auth-enabled" not in config
    assert json.loads((out / "topology.json").read_text())["minimum_besu"] == "24.12.0"


def test_the_tls_notes_list_every_file_the_generated_files_name(out: Path) -> None:
    notes = (out / "tls-files.md").read_text(encoding="utf-8")
    named = set()
    for path in (out / "env").glob("*.env"):
        named |= {v for v in read_env(path).values() if v.startswith(TLS)}
    pairs = [("jinan.vmo", "server"), ("jinan.bdb", "portal"), ("jinan.bdb", "client"),
             ("bank.quancheng", "client")]  # fmt: skip
    assert named == {CA} | {f"{TLS}/{code}/{role}.{ext}" for code, role in pairs
                            for ext in ("pem", "key")}  # fmt: skip
    assert all(f"`{path}`" in notes for path in named)
    assert "| rpc-1 | `tls/rpc.p12`, `tls/rpc.password` (0600) | SAN IP 10.0.1.1," in notes
    assert "python -m quancheng_appkit.devca" in notes


# ------------------------------------------------------------------------ start checks


def test_a_gateway_started_from_its_generated_env_passes_the_tls_start_check(
    out: Path, dev_ca: DevCa, tmp_path: Path
) -> None:
    env_file = _with_real_files(
        out / "env" / "gateway.jinan.vmo.env",
        {
            f"{TLS}/jinan.vmo/server.pem": dev_ca.server_cert_file,
            f"{TLS}/jinan.vmo/server.key": dev_ca.server_key_file,
            CA: dev_ca.ca_file,
        },
        tmp_path / "gateway.env",
    )
    settings = _gateway(env_file)
    assert (settings.environment, settings.host) == ("production", "0.0.0.0")
    config = bounded_config(_app, settings, port=free_port())
    assert (config.ssl_certfile, config.ssl_keyfile, config.ssl_ca_certs) == (
        str(dev_ca.server_cert_file), str(dev_ca.server_key_file), str(dev_ca.ca_file)
    )  # fmt: skip
    assert config.ssl_cert_reqs == ssl.CERT_OPTIONAL  # every client is asked for a certificate
    config.load()
    assert config.ssl is not None and config.ssl.minimum_version == ssl.TLSVersion.TLSv1_2
    assert not settings.answers_unbound_requests


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1"])
def test_a_gateway_env_without_tls_lines_is_refused_at_start(
    host: str, out: Path, tmp_path: Path
) -> None:
    env_file = _without_tls_lines(out / "env" / "gateway.jinan.vmo.env", tmp_path / "old.env")
    settings = _gateway(env_file, host=host)
    with pytest.raises(PlaintextRefused) as refused:
        bounded_config(_app, settings, port=free_port())
    assert str(refused.value) == (
        f"{TLS_CHECK}, not on '{host}' in production: set QC_GW_TLS_CERT_FILE and "
        "QC_GW_TLS_KEY_FILE"
    )


def test_the_portal_started_from_its_generated_env_passes_the_tls_start_check(
    out: Path, dev_ca: DevCa, tmp_path: Path
) -> None:
    member = dev_ca.client("jinan.bdb")
    assert member.cert_file is not None and member.key_file is not None
    env_file = _with_real_files(
        out / "env" / "portal.env",
        {
            f"{TLS}/jinan.bdb/portal.pem": dev_ca.server_cert_file,
            f"{TLS}/jinan.bdb/portal.key": dev_ca.server_key_file,
            f"{TLS}/jinan.bdb/client.pem": member.cert_file,
            f"{TLS}/jinan.bdb/client.key": member.key_file,
            CA: dev_ca.ca_file,
        },
        tmp_path / "portal.env",
    )
    settings = _portal(env_file)
    config = bounded_config(_app, settings, port=free_port())
    assert (config.ssl_certfile, config.ssl_ca_certs) == (str(dev_ca.server_cert_file), None)
    assert config.ssl_cert_reqs == ssl.CERT_NONE  # browsers have no client certificates
    to_gateways = gateway_tls(settings)
    assert to_gateways is not None and to_gateways.cert_file == member.cert_file
    assert to_gateways.ssl_context().verify_mode == ssl.CERT_REQUIRED
    old = _without_tls_lines(out / "env" / "portal.env", tmp_path / "old.env")
    with pytest.raises(PlaintextRefused, match="set QC_PORTAL_TLS_CERT_FILE and QC_PORTAL_TLS"):
        bounded_config(_app, _portal(old))


def test_check_finds_a_service_or_node_that_lost_its_tls(tmp_path: Path) -> None:
    net = _generate(tmp_path / "net")
    assert check_topology(net).ok
    gateway_env = net / "env" / "gateway.jinan.vmo.env"
    _without_tls_lines(gateway_env, gateway_env)
    config = net / "nodes" / "rpc-1" / "config.toml"
    config.write_text(config.read_text().replace("rpc-ws-ssl-enabled=true", ""))
    report = check_topology(net)
    assert report.problems == [
        "rpc-1: rpc-ws-ssl-enabled must be True",
        "gateway.jinan.vmo.env: TLS settings missing: QC_GW_TLS_CERT_FILE, QC_GW_TLS_KEY_FILE, "
        "QC_GW_TLS_CLIENT_CA_FILE",
    ]
    assert "rpc-1: provide tls/rpc.p12 and tls/rpc.password before starting it (tls-files.md)" in (
        report.warnings
    )


# ---------------------------------------------------------- trusting the RPC nodes' CA


class TlsJsonRpc:
    """An HTTPS JSON-RPC node answering what ``check_live`` asks, with a DevCa certificate."""

    def __init__(self, ca: DevCa, topology: dict[str, Any]) -> None:
        answers = {
            "eth_chainId": hex(topology["chain_id"]),
            "eth_getBlockByNumber": {"gasLimit": hex(topology["gas_limit"])},
            "qbft_getValidatorsByBlockNumber": topology["validators"],
            "eth_gasPrice": "0x0",
        }

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                result = answers[request["method"]]
                body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: Any) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(ca.server_cert_file, ca.server_key_file)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls_node(out: Path, dev_ca: DevCa) -> Iterator[TlsJsonRpc]:
    node = TlsJsonRpc(dev_ca, json.loads((out / "topology.json").read_text()))
    yield node
    node.close()


@pytest.fixture
def wss_node(dev_ca: DevCa) -> Iterator[str]:
    def greet(connection: ServerConnection) -> None:
        connection.send('{"jsonrpc":"2.0","id":1,"result":"0x1"}')

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(dev_ca.server_cert_file, dev_ca.server_key_file)
    server: Server = serve(greet, "127.0.0.1", 0, ssl=context)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"wss://127.0.0.1:{server.socket.getsockname()[1]}"
    server.shutdown()


def test_the_services_trust_the_rpc_nodes_ca_through_the_generated_variables(
    tls_node: TlsJsonRpc, wss_node: str, dev_ca: DevCa, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    # make_web3 takes no CA bundle: without the variables the node's certificate is refused.
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        make_web3(tls_node.url).eth.chain_id  # noqa: B018
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(wss_node, open_timeout=5)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(dev_ca.ca_file))  # web3 → requests
    monkeypatch.setenv("SSL_CERT_FILE", str(dev_ca.ca_file))  # Python's ssl: WebSocket
    assert make_web3(tls_node.url).eth.chain_id == 7718
    with connect(wss_node, open_timeout=5) as ws:
        assert json.loads(ws.recv(timeout=5))["result"] == "0x1"


def test_the_live_check_verifies_an_https_node_against_the_ca_given(
    out: Path, tls_node: TlsJsonRpc, dev_ca: DevCa, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    report = check_live(out, tls_node.url, ca_file=dev_ca.ca_file)
    assert report.ok and not report.warnings, report
    with pytest.raises(TopologyError, match=r"did not answer eth_chainId: .*CERTIFICATE_VERIFY"):
        check_live(out, tls_node.url)  # the platform's CAs do not know the deployment's
