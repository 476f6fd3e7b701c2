"""Gateway throughput and latency through real HTTP, beside the node's raw transaction rate.

Run: ``.venv/bin/python -m benchmarks.gateway_bench`` (``--quick``: tiny sizes, seconds;
``--max-grants`` caps the view-scaling sweep, 10^6 by default; ``--no-write`` leaves
BENCHMARKS.md alone). It starts its own node and a gateway subprocess (SQLite, WAL,
``synchronous=FULL``: every answer's receipt is on disk before the answer leaves), creates
grants on chain, pre-signs the requests, and drives the gateway from a separate process
(``benchmarks.gateway_loadgen``: raw keep-alive HTTP/1.1 sockets) at 1, 2, 4, ... 64
connections, sampling the gateway's resident memory every 0.5 s throughout.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

from benchmarks.crypto_bench import openssl_sm2
from benchmarks.report import add_output_args, apply_output_args, image, machine_line, publish
from benchmarks.rss import RssSampler
from benchmarks.workload import FIELDS, VR, health, request_bodies, wait_for_view, wait_until
from quancheng.chain import load_account
from quancheng.tls import TlsConfig
from quancheng_gateway.process import GatewayProcess
from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode
from tests.utils.ports import free_port
from tests.utils.scenario import active_grant, build_scenario, gateway_settings

REPRODUCE = ".venv/bin/python -m benchmarks.gateway_bench"
LEVELS = (1, 2, 4, 8, 16, 32, 64)
WORKER_LEVELS = (8, 32, 64)
GRANT_STEPS = (1_000, 10_000, 100_000, 1_000_000)


def level_requests(total: int, concurrency: int) -> int:
    """Fewer requests at low concurrency (slow per request), ``total`` from 8 connections."""
    return max(total // 8, total * min(concurrency, 8) // 8)


def sm2_ceiling(seconds: float) -> dict[str, float]:
    """``openssl speed sm2`` this run, and the queries/s a query's SM2 operations allow."""
    sign, verify = openssl_sm2(seconds)
    sign, verify = sign or float("nan"), verify or float("nan")
    # one verify of the request, one signature (the receipt; the answer is bound by it)
    return {"sign": sign, "verify": verify, "ceiling": 1 / (1 / verify + 1 / sign)}


def _target_note(rows: list[dict[str, Any]], sm2: dict[str, float]) -> str:
    best = max(rows, key=lambda r: r["qps"])
    sign, verify, ceiling = sm2["sign"], sm2["verify"], sm2["ceiling"]
    met = best["qps"] >= 1000 and best["p99"] <= 50
    return f"""
Same-run baseline: `openssl speed sm2` {sign:,.0f} sign/s, {verify:,.0f} verify/s, so the two
SM2 operations of a query alone cap one core at {ceiling:,.0f} queries/s; the best level above
(c={best["c"]}) reached {best["qps"]:,.0f}/s ({best["qps"] / ceiling:.0%} of that cap). This
machine's speed varies by ±30 % between runs (compare ratios, not absolute figures).

Against the target (≥ 1,000 verified queries/s, p99 ≤ 50 ms on this 2-core machine):
**{"met" if met else "not met"}** here (closed loop; the open-loop section below judges p99
at fixed rates). The two SM2 operations of a query take ≈ {1000 / sign + 1000 / verify:.2f} ms
of CPU (tongsuopy releases the GIL — two threads sign and verify ×1.8 of one — but beside busy
Python threads each call waits to re-take it, which is why the gateway keeps a low
`sys.setswitchinterval`); where the rest of a query's CPU goes, component by component, is
the profile section below. The node and the load generator share the same two cores, and
worker processes (the table above) scale it only as far as the machine has free cores.
"""


def node_raw_tx_rate(rpc_url: str, private_key: str, n: int = 1000) -> float:
    """Pre-signed value transfers sent as one JSON-RPC batch; tx/s until the last is mined."""
    account = load_account(private_key)
    nonce = int(_rpc(rpc_url, "eth_getTransactionCount", [account.address, "pending"]), 16)
    chain_id = int(_rpc(rpc_url, "eth_chainId", []), 16)
    raws = []
    for i in range(n):
        tx: dict[str, Any] = {
            "to": "0x" + "11" * 20,
            "value": 1,
            "gas": 21_000,
            "gasPrice": 10**10,
            "nonce": nonce + i,
            "chainId": chain_id,
        }
        raws.append("0x" + bytes(account.sign_transaction(tx).raw_transaction).hex())
    batch = [
        {"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [r]}
        for i, r in enumerate(raws)
    ]
    start = time.perf_counter()
    _post(rpc_url, batch)
    while (
        int(_rpc(rpc_url, "eth_getTransactionCount", [account.address, "latest"]), 16) < nonce + n
    ):
        time.sleep(0.01)
    return n / (time.perf_counter() - start)


def _post(url: str, body: Any) -> Any:
    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read())


def _rpc(url: str, method: str, params: list[Any]) -> Any:
    return _post(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params})["result"]


def load(
    proc: GatewayProcess,
    bodies: list[bytes],
    concurrency: int,
    work: Path,
    tls: TlsConfig | None = None,
) -> dict[str, Any]:
    """Run the load generator process (over ``tls`` if given); qps and latencies (ms)."""
    path = work / f"bodies-{concurrency}-{secrets.token_hex(3)}.jsonl"
    path.write_bytes(b"\n".join(bodies) + b"\n")
    tls_args = [] if tls is None else [str(tls.ca_file), str(tls.cert_file), str(tls.key_file)]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.gateway_loadgen",
            proc.settings.host,
            str(proc.settings.port),
            str(path),
            str(concurrency),
            *tls_args,
        ],
        capture_output=True,
        check=True,
        text=True,
    )
    result = json.loads(out.stdout)
    lat = result["latencies"]
    ok = result["statuses"].get("200", 0)

    def pct(p: float) -> float:
        return float(lat[min(len(lat) - 1, int(p * len(lat)))]) * 1000

    return {
        "c": concurrency,
        "n": len(lat),
        "ok": ok,
        "qps": ok / result["wall"],
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "statuses": result["statuses"],
    }


def synthetic_grants(db: Path, count: int, start: int) -> float:
    """Bulk-insert ``count`` synthetic ACTIVE grant rows into the view; seconds taken."""
    now = int(time.time())
    rows = (
        (
            f"0x{i:064x}",
            "bank.synthetic",
            f"0x{i:064x}",
            '["vehicle.registration"]',
            1,
            "RAW",
            0,
            now,
            now - 60,
            now + 86400,
            10,
            2,
            '{"scope":[]}',
            "0x" + "00" * 32,
            None,
            None,
            1,
            None,
            1,
        )
        for i in range(start, start + count)
    )
    began = time.perf_counter()
    conn = sqlite3.connect(db, timeout=60)
    conn.executemany(
        "INSERT INTO view_grants (grant_id, consumer, owner_pseudonym, resources_json, purpose,"
        " mode, data_from, data_to, not_before, not_after, max_uses, status,"
        " document, document_digest, owner_key, owner_signature, valid, invalid_reason,"
        " owner_signature_valid) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    conn.commit()
    conn.close()
    return time.perf_counter() - began


def _timed_bodies(sc: Any, docs: list[Any], n: int) -> tuple[list[bytes], float]:
    """``n`` pre-signed request bodies, and the client's signing rate (requests/s)."""
    t = time.perf_counter()
    out = request_bodies(sc, docs, n)
    return out, n / (time.perf_counter() - t)


def sweep(
    proc: GatewayProcess, sc: Any, docs: list[Any], total: int, rss: RssSampler, work: Path
) -> dict[str, Any]:
    """Every concurrency level in turn, then wait for the anchoring backlog to drain."""
    began, h0 = time.perf_counter(), health(proc)
    levels, sign_rates = [], []
    for c in LEVELS:
        bodies, rate = _timed_bodies(sc, docs, level_requests(total, c))
        sign_rates.append(rate)
        with rss.phase(f"c={c}"):
            row = load(proc, bodies, c, work)
        levels.append(row | {"rss_mib": rss.sample()})
        print(levels[-1], flush=True)
    load_end = time.perf_counter()
    with rss.phase("anchoring backlog"):
        wait_until(lambda: health(proc)["unanchored"] == 0, 120)
    drained = time.perf_counter()
    h = health(proc)
    anchored, batches = h["anchored_upto"] - h0["anchored_upto"], h["batches_anchored"]
    batches -= h0["batches_anchored"]
    anchoring = {
        "receipts": anchored,
        "batches": batches,
        "rate": anchored / (drained - began),
        "tx_rate": batches / (drained - began),  # one anchorWithUses per batch
        "drain_s": drained - load_end,
        "max_age_s": proc.settings.batch_max_age_s,
        "max_receipts": proc.settings.batch_max_receipts,
        "batch_size": proc.settings.batch_size,
    }
    return {
        "levels": levels,
        "client_sign_rate": sum(sign_rates) / len(sign_rates),
        "anchoring": anchoring,
    }


def grants_sweep(
    proc: GatewayProcess, sc: Any, docs: list[Any], steps: list[int], quick: bool, work: Path,
    rss: RssSampler,
) -> list[dict[str, Any]]:  # fmt: skip
    """Latency at c=1 and c=32 as synthetic ACTIVE grants are added to the view."""
    scaling = []
    total, added = len(docs), 0
    for target in steps:
        with rss.phase(f"{target:,} grants"):
            insert_s = synthetic_grants(work / "gw.db", target - total, added)
            added, total = added + target - total, target
            one = load(proc, request_bodies(sc, docs, 20 if quick else 200), 1, work)
            many = load(proc, request_bodies(sc, docs, 64 if quick else 2000), 32, work)
        scaling.append({"grants": target, "insert_s": insert_s, "c1": one, "c32": many})
        print(target, one["p50"], many["qps"], many["p99"], flush=True)
    return scaling


def _tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn's workers)."""
    root = psutil.Process(pid)
    return float(sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])) / 2**20


def _serve(settings: Any, work: Path, name: str, head: int) -> GatewayProcess:
    proc = GatewayProcess(settings, log_file=work / f"{name}.log")
    proc.start()
    wait_for_view(proc, head)
    return proc


def workers_sweep(
    proc: GatewayProcess, sc: Any, docs: list[Any], total: int, work: Path, workers: int
) -> tuple[GatewayProcess, list[dict[str, Any]]]:
    """The same levels served by ``proc`` (one process), then by ``workers`` processes.

    Both on the same database, one after the other; returns the process left running.
    """
    rows = []
    for n in (1, workers):
        if n > 1:  # the same gateway restarted with n worker processes on the same database
            proc.stop()
            settings = proc.settings.model_copy(update={"workers": n})
            proc = _serve(settings, work, f"gateway-{n}w", sc.net.w3.eth.block_number)
        for c in WORKER_LEVELS:
            row = load(proc, request_bodies(sc, docs, level_requests(total, c)), c, work)
            assert proc.pid is not None
            rows.append(row | {"workers": n, "rss_mib": _tree_rss_mib(proc.pid)})
            print(rows[-1], flush=True)
    return proc, rows


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Start a node and a gateway in ``work``, measure everything; the raw figures."""
    node = HardhatNode(NodeSettings(port=free_port(), state_dir=work / "chain"))
    node.start()
    proc: GatewayProcess | None = None
    try:
        keys = node.dev_private_keys(3)
        tx_rate = node_raw_tx_rate(node.rpc_url, keys[2], n=100 if args.quick else 1000)
        print(f"node raw tx rate: {tx_rate:.0f} tx/s")
        # Sensitivity 2: answers in the clear, as before sealing (its cost: transport_bench).
        sc = build_scenario(
            node.rpc_url, keys[0], work, people=60 if args.quick else 300, sensitivity=2
        )
        subjects = sc.subjects[: 5 if args.quick else 20]
        docs = [active_grant(sc, s, {VR: FIELDS}, max_uses=100_000) for s in subjects]
        # The load generator is one client address with up to 64 connections: lift the
        # per-client cap (a deployment keeps it) so the benchmark measures the gateway.
        settings = gateway_settings(
            sc,
            database_url=f"sqlite:///{work / 'gw.db'}",
            port=free_port(),
            max_requests_per_client=4096,
        )
        proc = _serve(settings, work, "gateway", sc.net.w3.eth.block_number)
        assert proc.pid is not None
        steps = [100, 1_000] if args.quick else [g for g in GRANT_STEPS if g <= args.max_grants]
        with RssSampler(proc.pid, interval=0.5) as rss:
            data = sweep(proc, sc, docs, 128 if args.quick else args.requests, rss, work)
            data["scaling"] = grants_sweep(proc, sc, docs, steps, args.quick, work, rss)
        total = 128 if args.quick else args.requests
        proc, data["workers"] = workers_sweep(proc, sc, docs, total, work, args.workers)
        data |= {"node_tx_rate": tx_rate, "memory": rss.as_dict()}
        data["sm2"] = sm2_ceiling(1 if args.quick else 2)
        return data
    finally:
        if proc is not None:
            proc.stop()
        node.stop()


def report(data: dict[str, Any]) -> str:
    """The ``gateway`` section of BENCHMARKS.md."""
    rows, anchoring, scaling = data["levels"], data["anchoring"], data["scaling"]
    sign_rate, memory = data["client_sign_rate"], data["memory"]
    rss = [mib for _t, mib in memory["samples"]]
    lines = [
        "## Gateway (verified queries through real HTTP)",
        "",
        f"Machine: {machine_line()}. Reproduce: `{REPRODUCE}`.",
        "",
        "One gateway process (uvicorn + uvloop + httptools), SQLite WAL with `synchronous=FULL`,",
        "group commit; every query checked against the chain view, SM2-verified, data read from",
        "the department's SQLite, the receipt SM2-signed (the answer carries it) and",
        "committed before the answer. Load from a separate process over keep-alive HTTP/1.1",
        f"with pre-signed requests (client-side signing would cost {1000 / sign_rate:.2f} ms per "
        "request, "
        f"{sign_rate:.0f} req/s on one core).",
        "",
        "| concurrency | requests | answered/s | p50 ms | p95 ms | p99 ms | gateway RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {r['c']} | {r['n']} | {r['qps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} "
            f"| {r['p99']:.1f} | {r['rss_mib']:.0f} |"
            for r in rows
        ),
        "",
        image("gateway_throughput", "answered/s against concurrency, with the SM2 ceiling"),
        image("gateway_latency", "p50, p95 and p99 latency against concurrency"),
        "",
        f"Gateway resident memory, sampled every {memory['interval_s']:g} s through the whole "
        f"run (every level, the anchoring backlog, the grants sweep): {rss[0]:.0f} MiB before "
        f"the first request, peak {max(rss):.0f} MiB, {rss[-1]:.0f} MiB at the end.",
        "",
        image("gateway_memory", "gateway RSS over time, load phases shaded"),
        "",
        f"Anchoring during that load: {anchoring['receipts']} receipts in {anchoring['batches']} "
        f"batches, {anchoring['rate']:.0f} receipts anchored/s (backlog drained "
        f"{anchoring['drain_s']:.1f} s after the load ended: anchoring can go no faster than "
        "receipts arrive, so the drain time is the figure of its headroom); a batch closes "
        f"after {anchoring['max_age_s']:g} s or at {anchoring['max_receipts']:,} receipts "
        f"(its use entries within {anchoring['batch_size']}) and costs one transaction "
        f"(anchorWithUses: the anchor and its uses), {anchoring['tx_rate']:.1f} tx/s. Node raw "
        f"transaction rate in the same run (pre-signed transfers, one JSON-RPC batch): "
        f"{data['node_tx_rate']:.0f} tx/s.",
        "",
        image("gateway_anchoring", "receipts anchored/s beside the node's raw transaction rate"),
        "",
        "Latency against the number of ACTIVE grants in the view (synthetic rows bulk-inserted "
        "into the view's SQLite table; the queried grants are real):",
        "",
        "| grants in view | insert s | c=1 p50 ms | c=32 answered/s | c=32 p50 ms | c=32 p99 ms |",
        "|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {s['grants']:,} | {s['insert_s']:.1f} | {s['c1']['p50']:.2f} | "
            f"{s['c32']['qps']:.0f} | {s['c32']['p50']:.1f} | {s['c32']['p99']:.1f} |"
            for s in scaling
        ),
        "",
        f"From {scaling[0]['grants']:,} to {scaling[-1]['grants']:,} grants the c=1 median "
        f"goes from {scaling[0]['c1']['p50']:.2f} ms to {scaling[-1]['c1']['p50']:.2f} ms "
        "(the view is one indexed read per query).",
        "",
        image("gateway_grants", "latency against active grants in the view"),
        "",
        *_workers_table(data["workers"]),
    ]
    return "\n".join(lines) + "\n" + _target_note(rows, data["sm2"])


def _workers_table(rows: list[dict[str, Any]]) -> list[str]:
    one = {r["c"]: r for r in rows if r["workers"] == 1}
    many = [r for r in rows if r["workers"] > 1]
    n = many[0]["workers"]
    return [
        f"The same gateway served by {n} worker processes (`QC_GW_WORKERS={n}`: uvicorn workers "
        "on one port and one SQLite file, sharing the receipt log as replicas do, one of them "
        "anchoring), beside one process, measured one after the other on the same database:",
        "",
        "| concurrency | 1 process answered/s | p99 ms "
        f"| {n} workers answered/s | p99 ms | ratio | RSS MiB (1 → {n}) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {r['c']} | {one[r['c']]['qps']:.0f} | {one[r['c']]['p99']:.1f} | {r['qps']:.0f} "
            f"| {r['p99']:.1f} | {r['qps'] / one[r['c']]['qps']:.2f} "
            f"| {one[r['c']]['rss_mib']:.0f} → {r['rss_mib']:.0f} |"
            for r in many
        ),
        "",
        "The load generator and the node share the same two cores with the workers.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000, help="requests per level from c=8")
    parser.add_argument(
        "--max-grants", type=int, default=1_000_000, help="largest view in the grants sweep"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes compared with one (QC_GW_WORKERS)"
    )
    add_output_args(parser)
    args = parser.parse_args()
    apply_output_args(args)
    work = Path(tempfile.mkdtemp(prefix="qc-gwbench-"))
    data = run(args, work)
    shutil.rmtree(work, ignore_errors=True)  # kept (logs, databases) only when a run fails
    md = report(data)
    print(md)
    if not args.no_write:
        publish("gateway", md, data, quick=args.quick)


if __name__ == "__main__":
    main()
