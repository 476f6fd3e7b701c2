"""Bounds of what the servers read, and of what the SDK reads from a hostile server.

A gateway and the owner portal run as real uvicorn processes (127.0.0.1) with short
deadlines; the SDK's gateway client reads a fake gateway process that never stops talking,
drips, or redirects. Timing is asserted loosely: a client is cut off no sooner than (nearly)
its deadline and no later than the deadline plus :data:`MARGIN_S`, never at an exact time.
Every loop here is bounded.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute

from quancheng.chain import code32
from quancheng.gateway_client import GatewayClient, RetryPolicy
from quancheng.http_bounds import (
    CatalogueEndpoints,
    EndpointNotAllowed,
    RedirectRefused,
    ResponseTooLarge,
    ResponseTooSlow,
)
from quancheng_gateway import main as gateway_main
from quancheng_gateway.process import GatewayProcess
from quancheng_portal import main as portal_main
from quancheng_portal.process import PortalProcess
from tests.attacks.support import VR, assert_refused
from tests.gateway.conftest import wait_until
from tests.portal.support import portal_settings
from tests.utils.ports import free_port
from tests.utils.scenario import Scenario, gateway_settings

ROOT = Path(__file__).resolve().parents[2]
HEADER_TIMEOUT_S, BODY_TIMEOUT_S = 1.0, 3.0
#: Generous: two shared cores, other suites running beside this one.
MARGIN_S = 15.0
PER_CLIENT = 2
LIMITS: dict[str, Any] = {
    "header_timeout_s": HEADER_TIMEOUT_S,
    "body_timeout_s": BODY_TIMEOUT_S,
    "max_requests_per_client": PER_CLIENT,
    "keep_alive_timeout_s": 1,
    "max_requests_per_connection": 3,
}
#: Another client: the whole of 127.0.0.0/8 is this machine.
OTHER_CLIENT = "127.0.0.2"


@dataclass(frozen=True)
class Server:
    """A served app under test: where it listens and what it answers."""

    url: str
    port: int
    max_body_bytes: int
    #: Every route (method, path), path parameters filled in.
    routes: tuple[tuple[str, str], ...]
    #: A GET answered 200 to anybody; a POST route that reads a JSON body.
    probe: str
    post: str


def _routes(main: ModuleType, *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    """The routes of the routers an app's ``main`` module includes, and ``extra``."""
    routers = [
        v.router
        for v in vars(main).values()
        if isinstance(v, ModuleType) and isinstance(getattr(v, "router", None), APIRouter)
    ]
    found = {
        (method, re.sub(r"\{[^}]+\}", "x", route.path))
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    return tuple(sorted(found | {*extra, ("POST", "/no-such-route")}))


@pytest.fixture(scope="module")
def servers(sc: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    """A gateway (own database) and the portal over ``sc``, both with short deadlines."""
    work = tmp_path_factory.mktemp("attack-limits")
    gateway = GatewayProcess(
        gateway_settings(
            sc, database_url=f"sqlite:///{work / 'gateway.db'}", port=free_port(), **LIMITS
        ),
        log_file=work / "gateway.log",
    )
    people = work / "people.json"
    people.write_text(json.dumps([{"name": "限额", "resident_id": sc.subjects[0]}]))
    portal = PortalProcess(
        portal_settings(sc, work, people, **LIMITS), log_file=work / "portal.log"
    )
    gateway.start()
    try:
        portal.start()
        try:
            yield {
                "gateway": Server(
                    gateway.url, gateway.settings.port, gateway.settings.max_body_bytes,
                    _routes(gateway_main), "/v1/resources", "/v1/query",
                ),
                "portal": Server(
                    portal.url, portal.settings.port, portal.settings.max_body_bytes,
                    _routes(portal_main, ("GET", "/static/portal.css")), "/login", "/api/session",
                ),
            }  # fmt: skip
        finally:
            portal.stop()
    finally:
        gateway.stop()


@pytest.fixture(params=["gateway", "portal"])
def server(request: pytest.FixtureRequest, servers: dict[str, Server]) -> Server:
    return servers[request.param]


# ----------------------------------------------------------------------------- raw sockets


def _connect(server: Server, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(
        ("127.0.0.1", server.port), timeout=10, source_address=(source, 0)
    )


def _recv(sock: socket.socket, wait: float) -> bytes | None:
    """What arrived within ``wait`` seconds (b"" if nothing); None once the server closed."""
    sock.settimeout(wait)
    try:
        data = sock.recv(65536)
    except TimeoutError:
        return b""
    except ConnectionError:
        return None
    return data or None


def _answer(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of an answer ending with the connection."""
    data, deadline = b"", time.monotonic() + MARGIN_S
    while time.monotonic() < deadline:
        chunk = _recv(sock, 0.5)
        if chunk is None:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


def _served(server: Server) -> bool:
    """Another client, asking normally, is answered."""
    return httpx.get(server.url + server.probe, timeout=MARGIN_S).status_code == 200


# --------------------------------------------------------------------------- slow clients


@pytest.mark.parametrize("part", ["headers", "body"])
def test_slowloris_client_is_cut_off_while_another_is_served(server: Server, part: str) -> None:
    head = f"POST {server.post} HTTP/1.1\r\nHost: x\r\n".encode()
    if part == "headers":
        start, drip, timeout = head + b"X-Slow: ", b"a", HEADER_TIMEOUT_S
    else:
        length = b"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
        start, drip, timeout = head + length, b" ", BODY_TIMEOUT_S
    served, answer, closed = False, b"", False
    began = time.monotonic()
    with _connect(server) as slow:
        slow.sendall(start)
        while not closed and time.monotonic() - began < timeout + MARGIN_S:
            if not answer:  # a byte at a time, until an answer comes
                with contextlib.suppress(OSError):
                    slow.sendall(drip)
            served = served or _served(server)
            chunk = _recv(slow, 0.1)
            closed = chunk is None
            answer += chunk or b""
    elapsed = time.monotonic() - began
    assert closed and served
    assert timeout * 0.9 <= elapsed <= timeout + MARGIN_S, elapsed
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    body = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert body["error"]["code"] == "REQUEST_TIMEOUT"
    assert body["error"]["details"] == {"timeout_s": timeout}


def test_idle_and_long_lived_connections_are_closed(server: Server) -> None:
    began = time.monotonic()
    with _connect(server) as idle:  # sends nothing: closed, with nothing to answer
        answer = b""
        while (chunk := _recv(idle, 0.2)) is not None and time.monotonic() - began < MARGIN_S:
            answer += chunk
    assert answer == b""
    assert HEADER_TIMEOUT_S * 0.9 <= time.monotonic() - began <= HEADER_TIMEOUT_S + MARGIN_S
    with _connect(server) as reused:  # the third request's answer closes the connection
        for _ in range(3):
            reused.sendall(f"GET {server.probe} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data, deadline = b"", time.monotonic() + MARGIN_S
        while (chunk := _recv(reused, 0.2)) is not None and time.monotonic() < deadline:
            data += chunk
    heads = data.split(b"HTTP/1.1 ")[1:]
    assert [h[:3] for h in heads] == [b"200"] * 3
    assert [b"connection: close" in h.partition(b"\r\n\r\n")[0] for h in heads] == [
        False, False, True,
    ]  # fmt: skip


# ------------------------------------------------------------------------- headers, bodies


def test_64_kib_of_headers_is_refused_with_431(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(
            f"GET {server.probe} HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 65536}\r\n\r\n".encode()
        )
        status, body = _answer(sock)
    assert (status, body["error"]["code"]) == (431, "HEADERS_TOO_LARGE")
    assert _served(server)


def test_200_headers_are_refused_with_431(server: Server) -> None:
    many = "".join(f"X-H{i}: 1\r\n" for i in range(200))
    with _connect(server) as sock:
        sock.sendall(f"GET {server.probe} HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode())
        status, body = _answer(sock)
    assert (status, body["error"]["code"]) == (431, "HEADERS_TOO_LARGE")
    assert body["error"]["message"] == "more than 100 header fields"


def test_oversized_body_to_every_route_is_refused_with_413(server: Server) -> None:
    big = b"x" * (server.max_body_bytes + 1)
    assert len(server.routes) > 5
    with httpx.Client(base_url=server.url, timeout=MARGIN_S) as http:
        for method, path in server.routes:
            resp = http.request(
                method, path, content=big, headers={"content-type": "application/json"}
            )
            error = assert_refused(resp, 413, "REQUEST_TOO_LARGE")
            assert error["details"] == {"max_bytes": server.max_body_bytes, "size": len(big)}
        chunked = http.post(server.post, content=iter([big]))  # no length: counted as read
    assert_refused(chunked, 413, "REQUEST_TOO_LARGE")


# -------------------------------------------------------------------------------- clients


def test_too_many_requests_from_one_client_are_refused_while_another_is_served(
    server: Server,
) -> None:
    held = [_connect(server, OTHER_CLIENT) for _ in range(PER_CLIENT)]
    try:
        for sock in held:  # each in flight: the app asked for its body ("100 Continue")
            sock.sendall(
                f"POST {server.post} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 64\r\nExpect: 100-continue\r\n\r\n".encode()
            )
            assert (_recv(sock, MARGIN_S) or b"").startswith(b"HTTP/1.1 100 Continue")
        with _connect(server, OTHER_CLIENT) as extra:
            extra.sendall(f"GET {server.probe} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status, body = _answer(extra)
        assert (status, body["error"]["code"]) == (429, "TOO_MANY_CONCURRENT_REQUESTS")
        assert body["error"]["details"] == {"max_in_flight": PER_CLIENT}
        assert _served(server)  # 127.0.0.1 is another client
    finally:
        for sock in held:
            sock.close()


# ------------------------------------------------------------------ the SDK's own bounds


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hostile gateway of :mod:`tests.attacks.fake_gateway`, a real uvicorn process."""
    port, log = free_port(), tmp_path_factory.mktemp("attack-fake") / "fake.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tests.attacks.fake_gateway:app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _hits(url) is not None, 30, "the fake gateway")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _hits(url: str) -> dict[str, int] | None:
    try:
        return dict(httpx.get(url + "/hits", timeout=2).json())
    except httpx.HTTPError:
        return None


def _client(**bounds: Any) -> GatewayClient:
    return GatewayClient(retry=RetryPolicy(attempts=1), **bounds)


def test_endless_answer_stops_the_sdk_client_at_its_bound(fake: str) -> None:
    with _client(max_body=1024 * 1024) as client, pytest.raises(ResponseTooLarge) as refused:
        client.post_query(fake + "/endless", b"{}")
    assert (refused.value.url, refused.value.limit) == (fake + "/endless/v1/query", 1024 * 1024)


def test_dripping_answer_stops_the_sdk_client_at_its_deadline(fake: str) -> None:
    began = time.monotonic()
    with _client(deadline_s=1.0) as client, pytest.raises(ResponseTooSlow) as refused:
        client.post_query(fake + "/drip", b"{}")
    assert refused.value.deadline_s == 1.0
    assert time.monotonic() - began <= 1.0 + MARGIN_S


def test_redirect_to_another_host_is_not_followed(fake: str) -> None:
    with _client() as client, pytest.raises(RedirectRefused) as refused:
        client.post_query(fake + "/redirect", b"{}")
    assert refused.value.status == 302
    assert refused.value.location.startswith("http://localhost:")
    assert (_hits(fake) or {}).get("stolen", 0) == 0


def test_endpoint_outside_the_catalogue_is_refused_before_it_is_sent(
    sc: Scenario, fake: str
) -> None:
    catalogue = CatalogueEndpoints(sc.net.contracts)
    listed = sc.net.contracts.resource(code32(VR)).endpoint.rstrip("/")
    assert catalogue.allows(listed + "/v1/query")
    host = listed.split("://", 1)[1]
    assert not catalogue.allows(f"http://{host}@evil.example/v1/query")
    assert not catalogue.allows(f"http://{host}.evil.example/v1/query")
    before = _hits(fake)
    with _client(endpoints=catalogue) as client, pytest.raises(EndpointNotAllowed) as refused:
        client.post_query(fake + "/endless", b"{}")
    assert refused.value.url == fake + "/endless/v1/query"
    assert _hits(fake) == before  # nothing reached it
