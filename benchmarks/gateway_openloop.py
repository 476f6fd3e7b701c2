"""One gateway process under OPEN-loop load: latency at fixed rates and the highest it sustains.

Run: ``.venv/bin/python -m benchmarks.gateway_openloop`` (``--quick``: tiny rates, checks the
pipeline and verifies every answer; ``--seconds`` per rate, ``--rates``, ``--poisson``;
``--no-write`` leaves BENCHMARKS.md alone). It starts its own node, then for each variant —
plain HTTP and TLS with client certificates, answers in the clear and sealed, one process
(plain HTTP in the clear also with its anchorer in a process of its own,
``QC_GW_ANCHOR_PROCESS``); then plain HTTP in the clear with two worker processes, the whole
machine — a fresh gateway
on the run's one receipt log (SQLite WAL, ``synchronous=FULL``, receipts durable
before each answer), measures ``openssl speed sm2`` beside it, and drives it from
``benchmarks.gateway_loadgen --rate``: pre-signed requests sent on a fixed schedule whatever
the answers do, latency from the time each request was due. Each rate is followed by waiting
until the anchoring backlog is drained; ``/healthz`` is sampled throughout. A rate is
*sustained* when ≥ 99 % of the requests left within 5 ms of schedule, every answer was 200 and
p99 ≤ 50 ms; after the fixed rates a short search (×1.25 up, then bisection) finds the highest
sustained rate.
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from benchmarks.crypto_bench import openssl_sm2
from benchmarks.gateway_loadgen import ON_TIME_S
from benchmarks.gateway_openloop_report import report
from benchmarks.gateway_probe import BacklogSampler, commit_groups, proc_cpu_s, tree_cpu_s
from benchmarks.report import add_output_args, apply_output_args, publish
from benchmarks.workload import FIELDS, VR, health, request_bodies, wait_for_view
from quancheng.protocol import SignedRequest
from quancheng.tls import TlsConfig
from quancheng.verify import parse_answer, verify_answer
from quancheng_appkit.devca import DevCa
from quancheng_gateway.process import GatewayProcess
from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode
from tests.utils.ports import free_port
from tests.utils.scenario import Scenario, active_grant, build_scenario, gateway_settings

RATES = (250, 500, 1000)
QUICK_RATES = (20,)
#: (transport, sealed, worker processes, anchoring process): one process each (the first
#: also beside an anchoring process, QC_GW_ANCHOR_PROCESS), then the whole machine's two.
VARIANTS = (
    ("HTTP", False, 1, False), ("HTTP", False, 1, True), ("HTTP", True, 1, False),
    ("TLS", False, 1, False), ("TLS", True, 1, False), ("HTTP", False, 2, False),
)  # fmt: skip


def variant_key(transport: str, sealed: bool, workers: int, anchor_process: bool) -> str:
    """A variant's name on the command line (``--variants``) and for its gateway's log."""
    tail = "-ap" if anchor_process else ""
    return f"{transport.lower()}-{'sealed' if sealed else 'clear'}-{workers}w{tail}"


#: Sustained: this share of requests on schedule, no refusal, p99 at most this.
ON_TIME_SHARE, P99_LIMIT_MS = 0.99, 50.0


@dataclass
class Rig:
    """One variant's gateway and what drives it."""

    sc: Scenario
    docs: list[Any]
    proc: GatewayProcess
    client: TlsConfig | None  # the consumer's client certificate over TLS
    sealed: bool
    workers: int  # uvicorn worker processes (QC_GW_WORKERS) behind the one port
    anchor_process: bool  # QC_GW_ANCHOR_PROCESS: the anchorer in a process of its own
    sampler: BacklogSampler
    node_pid: int
    args: argparse.Namespace
    work: Path


def connections_for(rate: float) -> int:
    """A pool large enough: 64 ms of arrivals (over p99's 50 ms), at least 32 connections."""
    return max(32, min(512, math.ceil(rate * 0.064)))


def _pct(values: list[float], p: float) -> float:
    return 1000 * values[min(len(values) - 1, int(p * len(values)))] if values else math.nan


def open_load(rig: Rig, bodies: list[bytes], rate: float) -> dict[str, Any]:
    """The load generator at ``rate``/s over a pool of keep-alive connections; its figures."""
    path = rig.work / f"bodies-{rate:g}-{secrets.token_hex(3)}.jsonl"
    path.write_bytes(b"\n".join(bodies) + b"\n")
    tls = rig.client
    tls_args = [] if tls is None else [str(tls.ca_file), str(tls.cert_file), str(tls.key_file)]
    answers = path.with_suffix(".answers.json")
    s = rig.proc.settings
    cmd = [sys.executable, "-m", "benchmarks.gateway_loadgen", s.host, str(s.port), str(path),
           str(connections_for(rate)), *tls_args, "--rate", f"{rate:g}",
           *(["--poisson"] if rig.args.poisson else []),
           *(["--answers", str(answers)] if rig.args.quick else [])]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:  # say why: the traceback is the load generator's
        raise RuntimeError(f"the load generator failed at {rate:g}/s:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    if rig.args.quick:
        result["verified"] = verify_all(rig, bodies, json.loads(answers.read_text()))
    path.unlink()
    return result


def verify_all(rig: Rig, bodies: list[bytes], answers: list[str]) -> int:
    """How many answers verify with the SDK against the request sent (quick runs)."""
    sent = {r.request.request_id: r for r in map(SignedRequest.model_validate_json, bodies)}
    public = rig.sc.provider.sm2.public_key()
    verified = 0
    for body in answers:
        answer = parse_answer(body)
        verify_answer(answer, request=sent.pop(answer.request_id).request,
                      provider=rig.sc.provider.code, provider_key=public,
                      consumer_key=rig.sc.consumer.sm2, sealing_required=rig.sealed)  # fmt: skip
        verified += 1
    return verified


def _cpu(rig: Rig) -> tuple[float, float, float]:
    """CPU seconds so far: the gateway's, its event-loop threads', the node's."""
    pid = rig.proc.pid
    assert pid is not None
    if rig.workers == 1:  # the anchoring process, if any, is the tree's
        return tree_cpu_s(pid), proc_cpu_s(pid, pid), tree_cpu_s(rig.node_pid)
    # uvicorn's supervisor and its workers; each worker's loop is its main thread
    workers = [c.pid for c in psutil.Process(pid).children()
               if "quancheng_gateway.anchoring" not in c.cmdline()]  # fmt: skip
    loops = sum(proc_cpu_s(w, w) for w in workers)
    return tree_cpu_s(pid), loops, tree_cpu_s(rig.node_pid)


def measure_rate(rig: Rig, rate: float) -> dict[str, Any]:
    """One rate: pre-sign, load, then wait for the anchoring backlog to drain."""
    n = max(10, round(rate * rig.args.seconds))
    channel = rig.client.channel if rig.client is not None else None
    bodies = request_bodies(rig.sc, rig.docs, n, channel=channel, sealed=rig.sealed)
    g0, cpu0 = commit_groups(rig.proc), _cpu(rig)
    with rig.sampler.phase(f"{rate:g}/s"):
        began = rig.sampler.now()
        result = open_load(rig, bodies, rate)
        ended = rig.sampler.now()
    cpu1, g1 = _cpu(rig), commit_groups(rig.proc)
    drain_s = rig.sampler.drain(120)
    row = summarise(result, [b - a for a, b in zip(cpu0, cpu1, strict=True)], g0, g1)
    during = [s[1] for s in rig.sampler.between(began, ended)]
    lags = [lag for t, lag in rig.sampler.view_lags if began <= t <= ended]
    groups = health(rig.proc)["commit_group_avg"]
    row |= {"backlog_peak": max(during, default=0), "drain_s": drain_s,
            "view_lag_max_s": max(lags, default=math.nan),
            "commit_group_avg": groups, "window": [began, ended]}  # fmt: skip
    print(json.dumps({k: v for k, v in row.items() if k != "window"}), flush=True)
    return row


def summarise(
    result: dict[str, Any], cpu: list[float], g0: dict[str, float], g1: dict[str, float]
) -> dict[str, Any]:
    """A rate's row: schedule, answers, latency from due time, CPU per query, groups."""
    lat, statuses = result["latencies"], result["statuses"]
    ok = int(statuses.get("200", 0))
    per = 1000 / max(1, ok)
    groups = g1["groups"] - g0["groups"]
    row = {
        "rate": result["rate"], "scheduled": result["scheduled"], "ok": ok,
        "refused": result["scheduled"] - ok, "statuses": statuses,
        "refusal_codes": result.get("refusal_codes", {}),
        "receipts": result["receipts"], "verified": result.get("verified"),
        "connections": result["connections"], "arrivals": result["arrivals"],
        "on_time": result["on_time"] / max(1, result["scheduled"]),
        "late_p99_ms": result["late_p99_ms"], "late_max_ms": result["late_max_ms"],
        "qps": ok / result["wall"] if result["wall"] > 0 else math.nan,
        "p50": _pct(lat, 0.50), "p95": _pct(lat, 0.95), "p99": _pct(lat, 0.99),
        "max": _pct(lat, 1.0),
        "gw_cpu_ms": cpu[0] * per, "loop_cpu_ms": cpu[1] * per, "node_cpu_ms": cpu[2] * per,
        "loadgen_cpu_ms": result["cpu_s"] * per, "gw_cores": cpu[0] / result["wall"],
        "groups": groups,
        "group_size": (g1["grouped"] - g0["grouped"]) / groups if groups else math.nan,
        # The write lock's use: seconds held per second (every worker's writer together).
        "lock_busy": (g1.get("held_s", 0.0) - g0.get("held_s", 0.0)) / result["wall"],
        "turn_wait_ms": 1000 * (g1.get("waited_s", 0.0) - g0.get("waited_s", 0.0)) / groups
        if groups else math.nan,
    }  # fmt: skip
    row["sustained"] = (
        row["on_time"] >= ON_TIME_SHARE
        and row["refused"] == 0
        and row["receipts"] == ok
        and row["p99"] <= P99_LIMIT_MS
    )
    return row


def search(rig: Rig, rows: list[dict[str, Any]], steps: int) -> None:
    """Up ×1.25 from the best sustained rate until one fails, then bisect (25/s steps)."""
    ok = [r["rate"] for r in rows if r["sustained"]]
    bad = [r["rate"] for r in rows if not r["sustained"] and r["rate"] > max(ok, default=0)]
    lo, hi = max(ok, default=0.0), min(bad, default=math.inf)
    for _ in range(steps):
        rate = lo * 1.25 if hi == math.inf else (lo + hi) / 2
        rate = max(25.0, round(rate / 25) * 25) if rate >= 50 else max(5.0, round(rate))
        if rate in (lo, hi):
            break
        rows.append(measure_rate(rig, rate) | {"search": True})
        lo, hi = (rate, hi) if rows[-1]["sustained"] else (lo, rate)


def measure_variant(rig: Rig, transport: str) -> dict[str, Any]:
    """The fixed rates, the search, beside this variant's own ``openssl speed sm2``."""
    sign, verify = openssl_sm2(1 if rig.args.quick else 2)
    sign, verify = sign or math.nan, verify or math.nan
    pid = rig.proc.pid
    assert pid is not None
    idle0, idle_s = tree_cpu_s(pid), 0.5 if rig.args.quick else 2.0
    time.sleep(idle_s)  # what the process burns with no query (follower, anchorer, /healthz)
    idle_cores = (tree_cpu_s(pid) - idle0) / idle_s
    rows: list[dict[str, Any]] = []
    with rig.sampler:
        for rate in rig.args.rates or (QUICK_RATES if rig.args.quick else RATES):
            rows.append(measure_rate(rig, rate) | {"search": False})
        search(rig, rows, 1 if rig.args.quick else rig.args.search_steps)
    return {
        "transport": transport, "sealed": rig.sealed, "workers": rig.workers,
        "anchor_process": rig.anchor_process, "rows": rows,
        "sm2": {"sign": sign, "verify": verify, "bound": 1 / (1 / verify + 1 / sign)},
        "idle_cores": idle_cores,
        "backlog": {"interval_s": rig.sampler.interval, "samples": sorted(rig.sampler.samples),
                    "phases": rig.sampler.phases},
    }  # fmt: skip


def _gateway(
    sc: Scenario, work: Path, transport: str, ca: DevCa, name: str, workers: int,
    anchor_process: bool,
) -> GatewayProcess:
    """A fresh gateway (``workers`` processes, and an anchoring process or not) on the run's
    one receipt log (one per provider on a chain)."""
    tls = {} if transport == "HTTP" else {"tls_cert_file": ca.server_cert_file,
           "tls_key_file": ca.server_key_file, "tls_client_ca_file": ca.ca_file}  # fmt: skip
    settings = gateway_settings(sc, database_url=f"sqlite:///{work / 'gw.db'}",
                                port=free_port(), max_requests_per_client=4096, workers=workers,
                                anchor_process=anchor_process, **tls)  # fmt: skip
    proc = GatewayProcess(settings, log_file=work / f"{name}.log",
                          tls=None if transport == "HTTP" else ca.anonymous())  # fmt: skip
    proc.start()
    head = sc.net.w3.eth.block_number
    wait_for_view(proc, head)
    return proc


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Start a node, then each variant's gateway in turn; the raw figures."""
    node = HardhatNode(NodeSettings(port=free_port(), state_dir=work / "chain"))
    node.start()
    try:
        sc = build_scenario(node.rpc_url, node.dev_private_keys(1)[0], work, people=60,
                            sensitivity=2)  # fmt: skip
        docs = [active_grant(sc, s, {VR: FIELDS}, max_uses=100_000) for s in sc.subjects[:10]]
        ca = DevCa.ensure(work / "tls", [sc.consumer.code])
        assert node.pid is not None
        variants = []
        for transport, sealed, workers, anchor_process in VARIANTS:
            name = variant_key(transport, sealed, workers, anchor_process)
            if args.variants and name not in args.variants:
                continue
            proc = _gateway(sc, work, transport, ca, name, workers, anchor_process)
            try:
                client = None if transport == "HTTP" else ca.client(sc.consumer.code)
                rig = Rig(sc, docs, proc, client, sealed, workers, anchor_process,
                          BacklogSampler(proc), node.pid, args, work)  # fmt: skip
                variants.append(measure_variant(rig, transport))
            finally:
                proc.stop()
        return {"variants": variants, "seconds": args.seconds, "poisson": args.poisson,
                "on_time_s": ON_TIME_S, "on_time_share": ON_TIME_SHARE,
                "p99_limit_ms": P99_LIMIT_MS}  # fmt: skip
    finally:
        node.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_output_args(parser)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of load per rate")
    parser.add_argument("--rates", type=float, nargs="+", help=f"fixed rates (default {RATES})")
    parser.add_argument("--search-steps", type=int, default=2, help="rates tried after them")
    parser.add_argument("--poisson", action="store_true", help="Poisson arrivals, not uniform")
    names = [variant_key(*variant) for variant in VARIANTS]
    parser.add_argument("--variants", nargs="+", choices=names, help="only these (default all)")
    args = parser.parse_args()
    if args.quick:
        args.seconds = min(args.seconds, 1.0)
    apply_output_args(args)
    with tempfile.TemporaryDirectory(prefix="qc-openloop-") as tmp:
        data = run(args, Path(tmp))
    text = report(data)
    print(text)
    if not args.no_write:
        publish("gateway_openloop", text, data, quick=args.quick)


if __name__ == "__main__":
    main()
