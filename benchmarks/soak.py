"""Soak: sustained load at a fraction of measured capacity, then proof that nothing was lost.

Run: ``.venv/bin/python -m benchmarks.soak [--duration 600] [--fraction 0.8] [--no-write]``.
It starts its own node, deploys, starts one gateway subprocess (uvicorn, SQLite WAL with
``synchronous=FULL``) and creates grants whose ``max_uses`` outlasts the run. Load comes from
locust (``benchmarks/locustfile.py``, run headless as a subprocess: it monkey-patches with
gevent), each query freshly built, SM2-signed and its answer verified by the SDK. First a
closed-loop burst measures capacity with the same client; then ``--fraction`` of it is held
for ``--duration`` seconds while the gateway's RSS is sampled. Afterwards, once every receipt
is anchored, the run is checked (:func:`checks`): zero failures, each answered request
exactly one receipt in a gap-free log, every batch anchored on chain, the auditor clean
over the same receipts, memory flat. Exit status 1 if a check fails. Figures and a plot go
to the ``soak`` section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from benchmarks.report import (
    add_output_args,
    apply_output_args,
    plots_dir,
    update_section,
    write_results,
)
from benchmarks.soak_report import RAMP_S, Phase, Sample, Soak, checks, plot, report, summary
from quancheng.chain import ContractSet, Manifest, code32, make_web3
from quancheng_audit import AuditConfig, ReceiptLog, audit, collect
from quancheng_audit.collect_gateway import fetch_receipt_log
from quancheng_gateway.process import GatewayProcess
from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode
from tests.utils.ports import free_port
from tests.utils.readers import reader_of
from tests.utils.scenario import Scenario, active_grant, build_scenario, chain_now, gateway_settings

VR = "vehicle.registration"
FIELDS = ("plate_no", "status")
ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
#: Per-user pace under constant_throughput; well below 1/latency so users keep their pace.
PER_USER_RATE = 2.0
#: See quancheng_demo.audit_step: Hardhat's block clock lags the wall clock on a busy machine.
CLOCK_TOLERANCE_S = 30.0


# ----------------------------------------------------------------------------- the stack


def _grants(sc: Scenario, seconds: int) -> list[str]:
    """Twenty owners' grants valid for the whole run, with uses to spare."""
    until = chain_now(sc) + seconds + 3600
    return [
        active_grant(sc, s, {VR: FIELDS}, max_uses=100_000, not_after=until).grant_id
        for s in sc.subjects[:20]
    ]


def _locust_config(
    work: Path, sc: Scenario, gw: GatewayProcess, grants: list[str], *, verify: bool
) -> Path:
    (work / "consumer-sm2.pem").write_bytes(sc.consumer.sm2.to_pem())
    (work / "consumer-chain.key").write_text(sc.consumer.account.key.hex())
    base = {
        "gateway_url": gw.url,
        "rpc_url": sc.rpc_url,
        "manifest": str(sc.manifest_path),
        "consumer_code": sc.consumer.code,
        "sm2_key_file": str(work / "consumer-sm2.pem"),
        "chain_key_file": str(work / "consumer-chain.key"),
        "grants": grants,
        "resource": VR,
        "fields": list(FIELDS),
        "verify": verify,
    }
    path = work / "locust.json"
    path.write_text(json.dumps(base, indent=1))
    return path


def run_locust(
    work: Path,
    base: Path,
    name: str,
    users: int,
    seconds: int,
    rate_per_user: float,
    sample: Callable[[], None] | None = None,
    every: float = 5.0,
) -> Phase:
    """One headless locust run; ``sample()`` is called every ``every`` s while it runs."""
    config = json.loads(base.read_text()) | {
        "rate_per_user": rate_per_user,
        "out_dir": str(work / name),
    }
    (work / f"{name}.json").write_text(json.dumps(config))
    prefix = work / name / "locust"
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary"]
    cmd += ["--csv", str(prefix), "--csv-full-history", "--json-file", str(prefix)]
    cmd += ["--loglevel", "WARNING", "--logfile", f"{prefix}.log"]
    cmd += ["--stop-timeout", "30"]  # queries in flight at the end finish and are recorded
    cmd += ["-u", str(users), "-r", str(users), "-t", f"{seconds}s"]
    env = {**os.environ, "QC_SOAK_CONFIG": str(work / f"{name}.json")}
    started = time.time()
    with (work / f"{name}.out").open("wb") as out:
        child = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        while child.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(every)
            if sample is not None and child.poll() is None:
                sample()
    if child.returncode != 0:  # 1 also means "some requests failed": the checks say which
        tail = (work / f"{name}.out").read_text(errors="replace").splitlines()[-15:]
        print(f"locust {name} exited with {child.returncode}:", *tail, sep="\n  ")
    answers, failures = _outcomes(work / name)
    return Phase(name, users, seconds, started, child.returncode, answers, failures, prefix)


def _outcomes(out_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    answers: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for path in sorted(out_dir.glob("answers-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            (failures if "fail" in row else answers).append(row)
    return answers, failures


def _sampler(gw: GatewayProcess, samples: list[Sample]) -> Callable[[], None]:
    proc, cpus = psutil.Process(gw.pid), os.cpu_count() or 1
    # Each cpu_percent() call measures since the previous one: start both counters now.
    proc.cpu_percent()
    psutil.cpu_percent()

    def sample() -> None:
        health = gw.health() or {}
        samples.append(
            Sample(
                time.time(),
                proc.memory_info().rss / 2**20,
                int(health.get("unanchored", -1)),
                proc.cpu_percent() / 100,
                psutil.cpu_percent() / 100 * cpus,
            )
        )

    return sample


def _cpu_seconds(pids: dict[str, int | None]) -> dict[str, float]:
    """CPU seconds used so far by each process tree, and by this process's reaped children."""
    out = {}
    for name, pid in pids.items():
        procs = [psutil.Process(pid)] if pid else []
        procs += [c for p in procs for c in p.children(recursive=True)]
        out[name] = sum(sum(p.cpu_times()[:2]) for p in procs)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["locust"] = usage.ru_utime + usage.ru_stime  # the reaped locust runs
    return out


def _settle(gw: GatewayProcess, sc: Scenario, timeout: float = 300.0) -> tuple[float, ReceiptLog]:
    """Until every receipt is anchored and every batch's uses recorded; seconds waited."""
    started, seq = time.monotonic(), 0
    reader = reader_of(sc.auditor)  # the gateway answers its log to auditors only
    provider = sc.provider.code
    while time.monotonic() - started < timeout:
        try:
            url = f"{gw.url}/v1/batches/{seq}"
            request = urllib.request.Request(url, headers=reader.headers(url, audience=provider))
            with urllib.request.urlopen(request, timeout=10) as resp:
                status = json.loads(resp.read())["status"]
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise
            status = "none"
        if status == "done":
            seq += 1
            continue
        if status == "none" and (gw.health() or {}).get("unanchored") == 0:
            break
        time.sleep(0.5)
    return time.monotonic() - started, fetch_receipt_log(gw.url, reader=reader)


def run(args: argparse.Namespace) -> Soak:
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="qc-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    node = HardhatNode(NodeSettings(port=free_port(), state_dir=work / "chain"))
    node.start()
    gw: GatewayProcess | None = None
    try:
        sc = build_scenario(node.rpc_url, node.dev_private_keys(1)[0], work, people=300)
        grants = _grants(sc, args.capacity_seconds + args.duration)
        db = work / "gw.db"
        # Locust is one client address with many users: lift the per-client cap for the soak.
        settings = gateway_settings(
            sc, database_url=f"sqlite:///{db}", port=free_port(), max_requests_per_client=4096
        )
        gw = GatewayProcess(settings, log_file=work / "gateway.log")
        gw.start()
        head = sc.net.w3.eth.block_number
        while (gw.health() or {}).get("view_block", -1) < head:
            time.sleep(0.05)
        base = _locust_config(work, sc, gw, grants, verify=not args.no_verify)
        print(f"work dir {work}; measuring capacity ({args.capacity_seconds} s closed loop)")
        capacity = run_locust(work, base, "capacity", args.capacity_users, args.capacity_seconds, 0)
        rate = capacity.rate(skip_s=min(RAMP_S, args.capacity_seconds / 4))
        target = args.fraction * rate
        users = max(2, math.ceil(target / PER_USER_RATE))
        print(f"capacity {rate:.0f}/s; holding {target:.0f}/s with {users} users")
        samples: list[Sample] = []
        pids = {"gateway": gw.pid, "node": node.pid}
        cpu_before, wall = _cpu_seconds(pids), time.monotonic()
        every = min(5.0, max(1.0, args.duration / 60))
        load = run_locust(
            work, base, "load", users, args.duration, target / users, _sampler(gw, samples), every
        )
        cpu_after, wall = _cpu_seconds(pids), time.monotonic() - wall
        soak = Soak(args.duration, args.fraction, capacity, load, target, samples, work=work)
        soak.verified = not args.no_verify
        soak.cores = {k: (cpu_after[k] - cpu_before[k]) / wall for k in cpu_after}
        soak.settle_s, soak.log = _settle(gw, sc)
        soak.db_request_ids = _db_request_ids(db)
        contracts = ContractSet(make_web3(sc.rpc_url), Manifest.load(sc.manifest_path))
        soak.onchain = _onchain_anchors(contracts, soak.log.provider)
        chain, logs = collect(contracts, gateways=[], logs=[soak.log])
        soak.report = audit(chain, logs, AuditConfig(clock_tolerance_s=CLOCK_TOLERANCE_S))
        return soak
    finally:
        if gw is not None:
            gw.stop()
        node.stop()


def _db_request_ids(db: Path) -> dict[str, int]:
    """request id → how many receipt rows hold it, read from the gateway's own database."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT request_id, COUNT(*) FROM receipts GROUP BY request_id")
        return {str(r): int(n) for r, n in rows}
    finally:
        conn.close()


def _onchain_anchors(contracts: ContractSet, provider: str) -> dict[int, tuple[str, int, int]]:
    """seq → (root, first index, size) of every batch the chain holds for the provider."""
    pid = bytes(code32(provider))
    out = {}
    for seq in range(contracts.next_seq(pid)):
        a = contracts.anchor(pid, seq)
        out[seq] = ("0x" + a.root.hex(), a.first_index, a.size)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_output_args(parser)  # --quick, --no-write, --out
    parser.add_argument("--duration", type=int, help="seconds of sustained load (600)")
    parser.add_argument("--fraction", type=float, default=0.8, help="of measured capacity")
    parser.add_argument("--capacity-seconds", type=int, help="closed-loop burst (30)")
    parser.add_argument("--capacity-users", type=int, default=32)
    parser.add_argument(
        "--no-verify", action="store_true", help="parse answers only (less client CPU)"
    )
    parser.add_argument("--plot-dir", type=Path, help="where soak.png goes (docs/bench)")
    parser.add_argument("--work-dir", type=Path, help="the run's files (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir even if all pass")
    parser.add_argument("--result-json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    apply_output_args(args)
    args.duration = args.duration or (20 if args.quick else 600)
    args.capacity_seconds = args.capacity_seconds or (8 if args.quick else 30)
    soak = run(args)
    results = checks(soak)
    # --no-write leaves docs/bench alone: the plot then goes to the run's work directory.
    plot_dir = args.plot_dir or (soak.work if args.no_write else plots_dir())
    plot_path = plot_dir / "soak.png"
    data = summary(soak, results, plot_path)
    plot(data, plot_path)
    md = report(soak, results, plot_path)
    print(md)
    if args.result_json is not None:
        args.result_json.write_text(json.dumps(data, indent=1))
    if not args.no_write:
        write_results("soak", data, quick=args.quick)
        update_section("soak", md)
    passed = all(c.passed is not False for c in results)
    if passed and not args.keep and args.work_dir is None:
        shutil.rmtree(soak.work, ignore_errors=True)
    else:
        print(f"kept {soak.work}: gateway.log, gw.db, the locust csv and answer lines")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
