"""Bounded reads: the allow-list's matching, and each bound against a mock transport."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from quancheng.http_bounds import (
    AllowedEndpoints,
    EndpointNotAllowed,
    ReadBounds,
    RedirectRefused,
    ResponseTooLarge,
    aread_bounded,
    read_bounded,
)

ALLOWED = AllowedEndpoints.of(["https://gw.vmo.example", "http://10.0.0.5:8600/dept/"])


@pytest.mark.parametrize(
    "url",
    [
        "https://gw.vmo.example/v1/query",
        "https://GW.vmo.example:443/v1/query",
        "https://gw.vmo.example",
        "http://10.0.0.5:8600/dept/v1/receipts/x/proof",
        "http://10.0.0.5:8600/dept",
    ],
)
def test_urls_under_an_endpoint_are_allowed(url: str) -> None:
    assert ALLOWED.allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://gw.vmo.example/v1/query",  # another scheme
        "https://gw.vmo.example:8443/v1/query",  # another port
        "https://gw.vmo.example.attacker.cn/v1/query",
        "https://gw.vmo.example@attacker.cn/v1/query",
        "https://user@gw.vmo.example/v1/query",
        "http://10.0.0.5:8600/department/v1/query",  # a sibling path, not under /dept
        "http://10.0.0.5:8600/v1/query",
        "ftp://gw.vmo.example/v1/query",
        "https://gw.vmo.example:x/v1/query",
        "",
    ],
)
def test_urls_outside_every_endpoint_are_refused(url: str) -> None:
    assert not ALLOWED.allows(url)


def _client(handler: httpx.MockTransport, sent: list[httpx.Request]) -> httpx.Client:
    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return handler.handle_request(request)

    return httpx.Client(transport=httpx.MockTransport(record), follow_redirects=True)


def test_a_url_outside_the_allow_list_is_never_sent() -> None:
    sent: list[httpx.Request] = []
    ok = httpx.MockTransport(lambda _r: httpx.Response(200, content=b"{}"))
    with _client(ok, sent) as http, pytest.raises(EndpointNotAllowed):
        read_bounded(http, "GET", "https://attacker.cn/v1/query", endpoints=ALLOWED)
    assert sent == []


def test_a_redirect_is_refused_even_by_a_client_that_follows_them() -> None:
    sent: list[httpx.Request] = []
    moved = httpx.MockTransport(
        lambda _r: httpx.Response(307, headers={"location": "https://attacker.cn/"})
    )
    with _client(moved, sent) as http, pytest.raises(RedirectRefused) as refused:
        read_bounded(http, "POST", "https://gw.vmo.example/v1/query", content=b"{}")
    assert (refused.value.status, refused.value.location) == (307, "https://attacker.cn/")
    assert [str(r.url) for r in sent] == ["https://gw.vmo.example/v1/query"]


def test_a_body_over_the_bound_is_refused_and_one_at_it_is_read() -> None:
    sent: list[httpx.Request] = []
    big = httpx.MockTransport(lambda _r: httpx.Response(200, content=b"x" * 1025))
    with _client(big, sent) as http:
        with pytest.raises(ResponseTooLarge) as refused:
            read_bounded(http, "GET", "https://gw.vmo.example/", bounds=ReadBounds(max_bytes=1024))
        assert refused.value.limit == 1024
        answer = read_bounded(http, "GET", "https://gw.vmo.example/", bounds=ReadBounds(1025))
    assert (answer.status_code, len(answer.content)) == (200, 1025)
    assert sent[0].headers["accept-encoding"] == "identity"


def test_the_async_twin_applies_the_same_bounds() -> None:
    big = httpx.MockTransport(lambda _r: httpx.Response(200, content=b"x" * 2048))

    async def read() -> None:
        async with httpx.AsyncClient(transport=big) as http:
            await aread_bounded(
                http, "GET", "https://gw.vmo.example/", bounds=ReadBounds(max_bytes=1024)
            )

    with pytest.raises(ResponseTooLarge):
        asyncio.run(read())
