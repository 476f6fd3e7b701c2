"""A hostile "gateway" for the SDK's client-side bounds, served by a real uvicorn process.

``python -m uvicorn tests.attacks.fake_gateway:app``; the first path segment picks the
behaviour, so ``{url}/endless`` is an endpoint whose every answer never ends:

* ``/endless/…`` — 200 with no length, 64 KiB chunks (at most 256 MiB: a bounded loop);
* ``/drip/…`` — 200 announcing 4 KiB, one byte every 0.2 s;
* ``/redirect/…`` — 302 to ``/stolen/`` on another host name (``localhost``);
* ``/endless-log/…`` — a gateway's log API whose receipt log never ends: every page of
  ``/v1/receipts`` is full (well-formed receipts of no real grant, unsigned) and says
  ``total`` is 10¹²; ``/v1/batches/{seq}`` is 404;
* ``/endless-batches/…`` — an empty receipt log, but ``/v1/batches/{seq}`` answers a batch
  for every ``seq``;
* ``/hits`` — how many requests each first segment received (``/stolen`` should stay 0).

Both log behaviours answer ``/v1/resources`` with the provider ``fake.gateway`` and 404
elsewhere. :class:`FakeGatewayThread` serves the app in this process, over TLS if asked.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from quancheng.protocol import Receipt, SignedReceipt
from quancheng.protocol.documents import b64, tier_name
from tests.utils.ports import free_port

_hits: Counter[str] = Counter()
#: What the log behaviours say of themselves.
PROVIDER = "fake.gateway"
ENDLESS_TOTAL = 10**12


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
    elif segment in ("endless-log", "endless-batches"):
        await _log_api(scope, send, segment)
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


def hits() -> dict[str, int]:
    """Requests received so far per first segment (in this process)."""
    return dict(_hits)


# ----------------------------------------------------------------------------- log API


def _receipt(index: int) -> dict[str, Any]:
    receipt = Receipt(
        receipt_id=str(uuid.UUID(int=index, version=4)),
        grant_id="0x" + "ab" * 32, consumer="bank.fake", provider=PROVIDER,
        resource="fake.records", purpose=1, tier=tier_name(1), mode="RAW",
        request_hash="0x" + "01" * 32, response_hash="0x" + "02" * 32, view_block=1,
        served_at_ms=index,
    )  # fmt: skip
    signed = SignedReceipt(log_index=index, receipt=receipt, signature=b64(bytes(64)))
    return signed.model_dump(mode="json")


def _batch(seq: int) -> dict[str, Any]:
    return {"seq": seq, "first_index": seq, "size": 1, "root": "0x" + "03" * 32,
            "status": "done", "document": {"seq": seq}, "signature": b64(bytes(64))}  # fmt: skip


async def _log_api(scope: dict[str, Any], send: Any, segment: str) -> None:
    path = "/" + "/".join(scope["path"].strip("/").split("/")[1:])
    query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
    body: Any
    if path == "/v1/resources":
        body = {"provider": PROVIDER, "resources": []}
    elif path == "/v1/receipts":
        start, limit = int(query.get("from_index", 0)), int(query.get("limit", 100))
        endless = segment == "endless-log"
        receipts = [_receipt(i) for i in range(start, start + limit)] if endless else []
        total = ENDLESS_TOTAL if endless else 0
        body = {"from_index": start, "total": total, "receipts": receipts,
                "next_index": start + len(receipts)}  # fmt: skip
    elif path.startswith("/v1/batches/") and segment == "endless-batches":
        body = _batch(int(path.rsplit("/", 1)[1]))
    else:
        body = {"error": {"code": "NOT_FOUND", "message": f"no {path}"}}
        await _start(send, 404, (b"content-type", b"application/json"))
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})
        return
    await _start(send, 200, (b"content-type", b"application/json"))
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


# ------------------------------------------------------------------------------ serving


class FakeGatewayThread:
    """This app under uvicorn on 127.0.0.1 in a background thread; over TLS with
    ``certfile``/``keyfile``, and asking for a client certificate signed by ``client_ca``."""

    def __init__(
        self,
        *,
        certfile: Path | None = None,
        keyfile: Path | None = None,
        client_ca: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.scheme = "http" if certfile is None else "https"
        tls: dict[str, Any] = {}
        if certfile is not None:
            tls = {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)}
        if client_ca is not None:
            tls |= {"ssl_ca_certs": str(client_ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", **tls
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self) -> FakeGatewayThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the fake gateway did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
