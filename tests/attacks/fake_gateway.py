"""A hostile "gateway" for the SDK's client-side bounds, served by a real uvicorn process.

``python -m uvicorn tests.attacks.fake_gateway:app``; the first path segment picks the
behaviour, so ``{url}/endless`` is an endpoint whose every answer never ends:

* ``/endless/…`` — 200 with no length, 64 KiB chunks (at most 256 MiB: a bounded loop);
* ``/drip/…`` — 200 announcing 4 KiB, one byte every 0.2 s;
* ``/redirect/…`` — 302 to ``/stolen/`` on another host name (``localhost``);
* ``/hits`` — how many requests each first segment received (``/stolen`` should stay 0).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

_hits: Counter[str] = Counter()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    segment = scope["path"].strip("/").split("/")[0]
    if segment != "hits":
        _hits[segment] += 1
    if segment in ("endless", "drip"):
        gone = asyncio.Event()
        watch = asyncio.ensure_future(_watch(receive, gone))
        try:
            await (_endless(send, gone) if segment == "endless" else _drip(send, gone))
        finally:
            watch.cancel()
    elif segment == "redirect":
        location = f"http://localhost:{scope['server'][1]}/stolen/"
        await _start(send, 302, (b"location", location.encode()), (b"content-length", b"0"))
        await send({"type": "http.response.body", "body": b""})
    else:
        body = json.dumps(dict(_hits)).encode()
        await _start(send, 200, (b"content-type", b"application/json"))
        await send({"type": "http.response.body", "body": body})


async def _watch(receive: Any, gone: asyncio.Event) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()


async def _endless(send: Any, gone: asyncio.Event) -> None:
    await _start(send, 200)
    chunk = b"[" * 65536
    for _ in range(4096):
        if gone.is_set():
            return
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await asyncio.sleep(0)
    await send({"type": "http.response.body", "body": b""})


async def _drip(send: Any, gone: asyncio.Event) -> None:
    await _start(send, 200, (b"content-length", b"4096"))
    for _ in range(600):
        if gone.is_set():
            return
        await send({"type": "http.response.body", "body": b" ", "more_body": True})
        await asyncio.sleep(0.2)


async def _start(send: Any, status: int, *headers: tuple[bytes, bytes]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
