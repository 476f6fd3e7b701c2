"""Load generator for the gateway benchmark, run as its own process.

``python -m benchmarks.gateway_loadgen HOST PORT BODIES_FILE CONCURRENCY [CA CERT KEY]``
(with the last three: over TLS, presenting that client certificate) sends the
pre-signed request bodies (one JSON per line) over ``CONCURRENCY`` keep-alive HTTP/1.1
connections (raw asyncio sockets: a few µs per request, so the client does not distort the
figures) and prints one JSON line: wall time, statuses and sorted latencies.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import time
from collections import Counter


async def _connection(
    host: str,
    port: int,
    bodies: list[bytes],
    lat: list[float],
    statuses: Counter[int],
    tls: ssl.SSLContext | None,
) -> None:
    reader, writer = await asyncio.open_connection(host, port, ssl=tls)
    for body in bodies:
        head = (
            b"POST /v1/query HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        started = time.perf_counter()
        writer.write(head + body)
        raw = await reader.readuntil(b"\r\n\r\n")
        status = int(raw.split(b" ", 2)[1])
        length = 0
        for line in raw.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        lat.append(time.perf_counter() - started)
        statuses[status] += 1
    writer.close()


async def run(
    host: str, port: int, bodies: list[bytes], concurrency: int, tls: ssl.SSLContext | None = None
) -> dict[str, object]:
    lat: list[float] = []
    statuses: Counter[int] = Counter()
    chunks = [bodies[i::concurrency] for i in range(concurrency)]
    started = time.perf_counter()
    await asyncio.gather(*(_connection(host, port, c, lat, statuses, tls) for c in chunks if c))
    wall = time.perf_counter() - started
    return {"wall": wall, "statuses": dict(statuses), "latencies": sorted(lat)}


def main() -> None:
    host, port, path, concurrency = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    tls: ssl.SSLContext | None = None
    if len(sys.argv) == 8:
        tls = ssl.create_default_context(cafile=sys.argv[5])
        tls.load_cert_chain(sys.argv[6], sys.argv[7])
    with open(path, "rb") as f:
        bodies = [line.rstrip(b"\n") for line in f if line.strip()]
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    print(json.dumps(asyncio.run(run(host, port, bodies, concurrency, tls))))


if __name__ == "__main__":
    main()
