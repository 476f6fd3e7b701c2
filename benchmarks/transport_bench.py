"""What TLS and answer sealing cost per query, beside the same run without them.

Run: ``.venv/bin/python -m benchmarks.transport_bench`` (``--quick``: tiny sizes, seconds;
``--no-write`` leaves BENCHMARKS.md alone). It starts its own node, one gateway serving plain
HTTP on loopback (development) and one serving TLS that asks for client certificates (the
development CA), both on the same deployment and resource (sensitivity 2, so sealing is the
request's choice), and drives each from a separate process
(``benchmarks.gateway_loadgen``) with requests pre-signed by the consumer — bound to its
client certificate's channel over TLS, sealed or not. The same run measures one SM2+SM4
seal and open of a typical answer, and a full TLS handshake with a client certificate.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.gateway_bench import load, sm2_ceiling
from benchmarks.report import add_output_args, apply_output_args, machine_line, publish
from benchmarks.workload import FIELDS, VR, request_bodies, wait_for_view
from quancheng.crypto import SM2PrivateKey, canonical_json
from quancheng.crypto.seal import open_sealed, seal
from quancheng.tls import TlsConfig
from quancheng_appkit.devca import DevCa
from quancheng_gateway.process import GatewayProcess
from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode
from tests.utils.ports import free_port
from tests.utils.scenario import (
    active_grant,
    build_scenario,
    gateway_settings,
)

REPRODUCE = ".venv/bin/python -m benchmarks.transport_bench"
CONCURRENCY = (1, 16)


def seal_costs(rounds: int) -> dict[str, float]:
    """µs per seal and per open of an answer's payload (the demo's typical size)."""
    key = SM2PrivateKey.generate()
    public = key.public_key()
    data = {"plate_no": ["鲁A12345", "鲁A54321"], "status": ["正常", "正常"]}
    plaintext = canonical_json({"data": data, "salt": "0x" + "ab" * 32})
    aad = bytes(32)
    t = time.perf_counter()
    envelopes = [seal(public, plaintext, aad=aad) for _ in range(rounds)]
    sealed_us = (time.perf_counter() - t) / rounds * 1e6
    t = time.perf_counter()
    for envelope in envelopes:
        open_sealed(key, envelope, aad=aad)
    opened_us = (time.perf_counter() - t) / rounds * 1e6
    return {"seal_us": sealed_us, "open_us": opened_us, "plaintext_bytes": len(plaintext),
            "envelope_bytes": len(envelopes[0])}  # fmt: skip


def handshake_ms(port: int, tls: TlsConfig, rounds: int) -> float:
    """Median ms of a full TLS handshake (TCP connect included) presenting ``tls``'s cert."""
    context = tls.ssl_context()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1"),
        ):
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _serve(settings: Any, work: Path, name: str, tls: TlsConfig | None) -> GatewayProcess:
    proc = GatewayProcess(settings, log_file=work / f"{name}.log", tls=tls)
    proc.start()
    return proc


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Start a node and both gateways in ``work``; the raw figures."""
    node = HardhatNode(NodeSettings(port=free_port(), state_dir=work / "chain"))
    node.start()
    procs: list[GatewayProcess] = []
    try:
        sc = build_scenario(node.rpc_url, node.dev_private_keys(1)[0], work, people=60,
                            sensitivity=2)  # fmt: skip
        docs = [active_grant(sc, s, {VR: FIELDS}, max_uses=100_000) for s in sc.subjects[:8]]
        ca = DevCa.ensure(work / "tls", [sc.consumer.code])
        bank = ca.client(sc.consumer.code)
        common = {"max_requests_per_client": 4096}
        plain = _serve(
            gateway_settings(sc, database_url=f"sqlite:///{work / 'plain.db'}",
                             port=free_port(), **common),
            work, "plain", None,
        )  # fmt: skip
        procs.append(plain)
        secure = _serve(
            gateway_settings(
                sc, database_url=f"sqlite:///{work / 'tls.db'}", port=free_port(),
                tls_cert_file=ca.server_cert_file, tls_key_file=ca.server_key_file,
                tls_client_ca_file=ca.ca_file, **common,
            ),
            work, "tls", ca.anonymous(),
        )  # fmt: skip
        procs.append(secure)
        head = sc.net.w3.eth.block_number
        for proc in procs:
            wait_for_view(proc, head)
        n = 40 if args.quick else args.requests
        rows = []
        for c in CONCURRENCY:
            for transport, proc, tls in (("HTTP", plain, None), ("TLS", secure, bank)):
                for sealed in (False, True):
                    channel = bank.channel if tls is not None else None
                    bodies = request_bodies(
                        sc, docs, n if c > 1 else max(n // 4, 10), channel=channel, sealed=sealed
                    )
                    row = load(proc, bodies, c, work, tls)
                    row |= {"transport": transport, "sealed": sealed}
                    rows.append(row)
                    print(row, flush=True)
        rounds = 50 if args.quick else 1000
        return {
            "rows": rows,
            "seal": seal_costs(rounds),
            "handshake_ms": handshake_ms(secure.settings.port, bank, 20 if args.quick else 200),
            "sm2": sm2_ceiling(1 if args.quick else 2),
        }
    finally:
        for proc in procs:
            proc.stop()
        node.stop()


def _row(rows: list[dict[str, Any]], c: int, transport: str, sealed: bool) -> dict[str, Any]:
    return next(r for r in rows if (r["c"], r["transport"], r["sealed"]) == (c, transport, sealed))


def report(data: dict[str, Any]) -> str:
    """The ``transport`` section of BENCHMARKS.md."""
    rows, seal_, sm2 = data["rows"], data["seal"], data["sm2"]
    top = max(CONCURRENCY)
    base = _row(rows, top, "HTTP", False)

    def cost(r: dict[str, Any]) -> str:
        if r is base:
            return "baseline"
        return f"{(1 / r['qps'] - 1 / base['qps']) * 1000:+.2f} ms"

    lines = [
        "## Transport: what TLS and answer sealing cost per query",
        "",
        f"Machine: {machine_line()}. Reproduce: `{REPRODUCE}`.",
        "",
        "Two gateways of the same deployment in the same run: plain HTTP on loopback "
        "(development) and TLS 1.3 asking for client certificates (development CA, ECDSA P-256); "
        "requests pre-signed by the consumer, bound to its certificate's channel over TLS; "
        "answers sealed to its SM2 key (SM2 key transport + SM4-GCM) when the request asks. "
        "Load from a separate process over keep-alive connections (one handshake per "
        "connection). The cost column is the gateway time per answered query above the "
        f"plain, clear baseline at {top} connections (1/throughput).",
        "",
        "| connections | transport | sealed | answered/s | p50 ms | p99 ms | cost per query |",
        "|---:|---|---|---:|---:|---:|---:|",
        *(
            f"| {r['c']} | {r['transport']} | {'yes' if r['sealed'] else 'no'} | {r['qps']:.0f} "
            f"| {r['p50']:.1f} | {r['p99']:.1f} | {cost(r) if r['c'] == top else '–'} |"
            for r in rows
        ),
        "",
        f"One seal of a {seal_['plaintext_bytes']}-byte answer payload "
        f"({seal_['envelope_bytes']} bytes sealed): {seal_['seal_us']:.0f} µs at the gateway; "
        f"opening it: {seal_['open_us']:.0f} µs at the consumer. A full TLS handshake with a "
        f"client certificate (TCP connect included): {data['handshake_ms']:.2f} ms, paid once "
        "per keep-alive connection. Same run's `openssl speed sm2`: "
        f"{sm2['sign']:.0f} signs/s, {sm2['verify']:.0f} verifies/s.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_output_args(parser)
    parser.add_argument("--requests", type=int, default=3000, help="requests per figure")
    args = parser.parse_args()
    apply_output_args(args)
    with tempfile.TemporaryDirectory(prefix="qc-transport-") as tmp:
        data = run(args, Path(tmp))
    text = report(data)
    print(text)
    if not args.no_write:
        publish("transport", text, data, quick=args.quick)


if __name__ == "__main__":
    main()
