"""Load generator for the gateway benchmarks, run as its own process.

Closed loop (``benchmarks.gateway_bench``)::

    python -m benchmarks.gateway_loadgen HOST PORT BODIES_FILE CONCURRENCY [CA CERT KEY]

sends the pre-signed request bodies (one JSON per line) over ``CONCURRENCY`` keep-alive
HTTP/1.1 connections, each sending its next request when the previous answer is in.

Open loop (``benchmarks.gateway_openloop``): the same with ``--rate R`` sends the bodies on a
fixed schedule (uniform, or Poisson arrivals with ``--poisson``) at R requests/s whatever the
answers do, over a pool of ``CONCURRENCY`` keep-alive connections opened (and, with the last
three arguments, TLS-handshaken presenting that client certificate) before the clock starts.
A request due while every connection waits for an answer is sent late; its latency is
measured from the time it was *due*, so a slow gateway cannot hide behind a slow client (no
coordinated omission), and the report says how many requests left more than 5 ms late.
``--answers FILE`` keeps every answer body (JSON list of strings) for checking.

Raw asyncio sockets: a few µs per request, so the client does not distort the figures.
Prints one JSON line: wall time, statuses, sorted latencies (s) and, open loop, the schedule
figures, distinct receipt ids among the 200 answers, the refusals by error code and the
generator's own CPU seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import resource
import ssl
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

#: A request is "on schedule" when it left at most this late.
ON_TIME_S = 0.005
_RECEIPT_ID = re.compile(rb'"receipt_id":\s*"([0-9a-fA-F-]{36})"')
_CODE = re.compile(rb'"code":\s*"([A-Z_]{1,64})"')

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    body: bytes) -> tuple[int, bytes]:  # fmt: skip
    """One POST /v1/query on a keep-alive connection; the status and the answer body."""
    head = (
        b"POST /v1/query HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    writer.write(head + body)
    raw = await reader.readuntil(b"\r\n\r\n")
    status = int(raw.split(b" ", 2)[1])
    length = 0
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


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
        started = time.perf_counter()
        status, _answer = await _exchange(reader, writer, body)
        lat.append(time.perf_counter() - started)
        statuses[status] += 1
    writer.close()


async def run(
    host: str, port: int, bodies: list[bytes], concurrency: int, tls: ssl.SSLContext | None = None
) -> dict[str, object]:
    """Closed loop: ``concurrency`` connections, each waiting for its answer before sending."""
    lat: list[float] = []
    statuses: Counter[int] = Counter()
    chunks = [bodies[i::concurrency] for i in range(concurrency)]
    started = time.perf_counter()
    await asyncio.gather(*(_connection(host, port, c, lat, statuses, tls) for c in chunks if c))
    wall = time.perf_counter() - started
    return {"wall": wall, "statuses": dict(statuses), "latencies": sorted(lat)}


# ------------------------------------------------------------------------------ open loop


def schedule(n: int, rate: float, *, poisson: bool = False, seed: int = 0) -> list[float]:
    """Send offsets (s from the start) of ``n`` requests at ``rate``/s, uniform or Poisson."""
    if not poisson:
        return [i / rate for i in range(n)]
    rng, t, out = random.Random(seed), 0.0, []
    for _ in range(n):
        out.append(t)
        t += rng.expovariate(rate)
    return out


@dataclass
class OpenStats:
    """What the open-loop workers record, one entry per answered request."""

    latencies: list[float] = field(default_factory=list)  # answer - due
    lateness: list[float] = field(default_factory=list)  # sent - due
    statuses: Counter[int] = field(default_factory=Counter)
    receipts: set[bytes] = field(default_factory=set)
    #: Refusals by stable error code ("?" when the body carries none).
    codes: Counter[str] = field(default_factory=Counter)
    answers: list[bytes] | None = None
    last_done: float = 0.0

    def record(self, due: float, sent: float, status: int, answer: bytes) -> None:
        done = time.perf_counter()
        self.latencies.append(done - due)
        self.lateness.append(sent - due)
        self.statuses[status] += 1
        self.last_done = max(self.last_done, done)
        if status == 200 and (found := _RECEIPT_ID.search(answer)):
            self.receipts.add(found.group(1))
        elif status != 200:
            code = _CODE.search(answer)
            self.codes[code.group(1).decode() if code else "?"] += 1
        if self.answers is not None:
            self.answers.append(answer)


async def _open_worker(stream: Stream, queue: asyncio.Queue[tuple[float, bytes] | None],
                       stats: OpenStats) -> None:  # fmt: skip
    reader, writer = stream
    while (item := await queue.get()) is not None:
        due, body = item
        sent = time.perf_counter()
        status, answer = await _exchange(reader, writer, body)
        stats.record(due, sent, status, answer)
    writer.close()


async def run_open(
    host: str,
    port: int,
    bodies: list[bytes],
    rate: float,
    connections: int,
    tls: ssl.SSLContext | None = None,
    *,
    poisson: bool = False,
    keep_answers: bool = False,
) -> dict[str, object]:
    """Open loop: ``bodies`` due at ``rate``/s over ``connections`` keep-alive connections."""
    offsets = schedule(len(bodies), rate, poisson=poisson)
    streams = [await asyncio.open_connection(host, port, ssl=tls) for _ in range(connections)]
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    stats = OpenStats(answers=[] if keep_answers else None)
    workers = [asyncio.create_task(_open_worker(s, queue, stats)) for s in streams]
    cpu0, t0 = _cpu_s(), time.perf_counter() + 0.02
    i = 0
    while i < len(bodies):
        now = time.perf_counter()
        while i < len(bodies) and t0 + offsets[i] <= now:  # everything due, in order
            queue.put_nowait((t0 + offsets[i], bodies[i]))
            i += 1
        if i < len(bodies):
            await asyncio.sleep(max(0.0, t0 + offsets[i] - time.perf_counter()))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    late = sorted(stats.lateness)
    return {
        "rate": rate,
        "connections": connections,
        "arrivals": "poisson" if poisson else "uniform",
        "scheduled": len(bodies),
        "on_time": sum(1 for x in late if x <= ON_TIME_S),
        "late_p99_ms": 1000 * late[min(len(late) - 1, int(0.99 * len(late)))] if late else 0.0,
        "late_max_ms": 1000 * late[-1] if late else 0.0,
        "span": offsets[-1] if offsets else 0.0,
        "wall": stats.last_done - t0,
        "statuses": dict(stats.statuses),
        "refusal_codes": dict(stats.codes),
        "receipts": len(stats.receipts),
        "latencies": sorted(stats.latencies),
        "cpu_s": _cpu_s() - cpu0,
        **({"answers": [a.decode() for a in stats.answers]} if stats.answers is not None else {}),
    }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ------------------------------------------------------------------------------------ CLI


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("bodies", type=Path, help="pre-signed request bodies, one per line")
    parser.add_argument("concurrency", type=int, help="connections")
    parser.add_argument("tls", nargs="*", metavar="CA CERT KEY", help="TLS: CA, client cert, key")
    parser.add_argument("--rate", type=float, help="open loop at this many requests/s")
    parser.add_argument("--poisson", action="store_true", help="Poisson arrivals (open loop)")
    parser.add_argument("--answers", type=Path, help="keep every answer body here (open loop)")
    args = parser.parse_args()
    if len(args.tls) not in (0, 3):
        parser.error(f"TLS takes three paths (CA CERT KEY), got {len(args.tls)}: {args.tls}")
    return args


def main() -> None:
    args = _args()
    tls: ssl.SSLContext | None = None
    if args.tls:
        tls = ssl.create_default_context(cafile=args.tls[0])
        tls.load_cert_chain(args.tls[1], args.tls[2])
    bodies = [line.rstrip(b"\n") for line in args.bodies.read_bytes().splitlines() if line.strip()]
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    if args.rate is None:
        result = asyncio.run(run(args.host, args.port, bodies, args.concurrency, tls))
    else:
        result = asyncio.run(
            run_open(args.host, args.port, bodies, args.rate, args.concurrency, tls,
                     poisson=args.poisson, keep_answers=args.answers is not None)
        )  # fmt: skip
        if args.answers is not None:
            args.answers.write_text(json.dumps(result.pop("answers")))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
