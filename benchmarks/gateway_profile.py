"""Where one gateway process spends its CPU per verified query, component by component.

Run: ``.venv/bin/python -m benchmarks.gateway_profile`` (``--requests``, ``--concurrency``,
``--runs``; ``--py-spy PATH`` if not the venv's own (``make setup`` installs it: a pinned
wheel, part of the dev extra); ``--native`` adds native frames; ``--quick``, ``--no-write``,
``--out`` as every benchmark). It starts its own node and one gateway subprocess (SQLite, WAL,
``synchronous=FULL``), drives it closed loop from ``benchmarks.gateway_loadgen``, and:

1. measures, ``--runs`` times and without any profiler attached, answered/s and the gateway
   process's CPU time (every thread, user + system) divided by the queries answered;
2. runs the load once more under ``py-spy record`` and attributes every sample to a component
   by its innermost recognised frame (the table below), then scales the shares by the CPU per
   query of step 1.

It prints the table and the receipt log's group commit figures (``/healthz``) and writes
them as the ``gateway_profile`` section of BENCHMARKS.md. The samples
are wall-clock samples of threads that are not idle, so a thread waiting for the GIL counts
where it waits; with native frames that wait shows as "GIL hand-offs".
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

from benchmarks.gateway_bench import load, sm2_ceiling
from benchmarks.report import add_output_args, apply_output_args, machine_line, publish
from benchmarks.workload import FIELDS, VR, health, request_bodies, wait_for_view
from quancheng_gateway.process import GatewayProcess
from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode
from tests.utils.ports import free_port
from tests.utils.scenario import active_grant, build_scenario, gateway_settings

#: Waiting for the disk at a commit: wall time of the writer, not CPU.
REPRODUCE = ".venv/bin/python -m benchmarks.gateway_profile"
#: py-spy from the venv this runs in (the dev extra pins it), else whatever PATH finds.
_VENV_PY_SPY = Path(sys.executable).parent / "py-spy"
_PY_SPY = str(_VENV_PY_SPY) if _VENV_PY_SPY.exists() else "py-spy"
FSYNC = "commit (fsync wait)"
#: (component, substrings of a frame that place a sample there), tried innermost frame first.
COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GIL hand-offs, thread wake-ups", ("take_gil", "drop_gil", "PyThread_acquire_lock",
                                       "futex", "pthread_cond", "sem_wait", "sem_timedwait")),
    ("SM2 (tongsuopy)", ("tongsuopy", "quancheng/crypto/sm2", "libcrypto", "EVP_", "SM2",
                         "ossl_", "ec_GFp", "bn_")),
    ("SM3 / sealing", ("quancheng/crypto/sm3", "quancheng/crypto/seal", "hazmat")),
    ("canonical JSON", ("rfc8785", "quancheng/crypto/canonical", "orjson")),
    (FSYNC, ("do_commit", "fsync", "fdatasync", "HotSql._connection (quancheng_gateway/hotsql")),
    ("SQLite / psycopg (C)", ("sqlite3", "do_execute", "do_executemany", "pysqlite", "_sqlite",
                              "HotCursor.")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("pydantic", ("pydantic", "quancheng/protocol/")),
    ("FastAPI / Starlette", ("fastapi/", "starlette/", "anyio/")),
    ("HTTP server (uvicorn)", ("uvicorn/", "httptools", "quancheng_appkit/serving")),
    ("event loop / asyncio", ("asyncio/", "uvloop", "epoll")),
    ("prometheus metrics", ("prometheus_client",)),
    ("chain RPC client (web3, HTTP)", ("web3/", "eth_abi", "eth_utils", "eth_hash", "urllib3/",
                                      "requests/", "http/client", "Crypto/Hash", "hexbytes")),
    ("department read (plug-in)", ("tests/gateway/department", "quancheng_appkit/",
                                   "departments/")),
    ("gateway code", ("quancheng_gateway/",)),
)  # fmt: skip
#: Background threads, recognised by the function their ``Thread.run`` runs.
THREADS = {
    "GroupCommitter._run": "receipt writer",
    "SignatureVerifier._run": "request verifier",
    "ChainFollower": "chain follower",
    "Anchorer": "anchorer",
    "WorkerThread": "threadpool (anyio)",
    "recv_events": "chain follower",
    "keepalive": "chain follower",
    "_worker (concurrent/futures/thread.py": "answer sealing (threads)",
}


#: Innermost frames of a thread that waits (py-spy's idle detection misses some of them).
IDLE = (
    "Condition.wait",
    "Queue.get",
    "Event.wait",
    "_wait_for_tstate_lock",
    "select (selectors",
    "readinto (socket",
    "get_next_frame",
    "recv (",
    "time.sleep",
    "epoll_wait",
    "poll (libc",
)


def is_idle(stack: list[str]) -> bool:
    """Whether a sampled stack is a thread waiting (no CPU), not working."""
    if not stack:
        return True
    python = [f for f in stack if ".py:" in f]
    return (bool(python) and any(n in python[-1] for n in IDLE)) or any(
        n in stack[-1] for n in IDLE
    )


def classify(stack: list[str]) -> str:
    """The component of one sampled stack (outermost frame first)."""
    for frame in reversed(stack):
        for name, needles in COMPONENTS:
            if any(n in frame for n in needles):
                return name
    return "other (Python runtime, stdlib)"


def thread_of(stack: list[str]) -> str:
    """Which thread a stack belongs to: the event loop or a named background thread."""
    for i, frame in enumerate(stack):
        if frame.startswith("run (threading.py") or frame.startswith("Thread.run (threading.py"):
            target = stack[i + 1] if i + 1 < len(stack) else ""
            for needle, name in THREADS.items():
                if needle in target:
                    return name
            return "other thread"
    return "event loop (main thread)"


def parse_collapsed(text: str) -> tuple[Counter[str], Counter[str]]:
    """Sample counts per component and per thread from py-spy's raw (collapsed) output."""
    components: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    for line in text.splitlines():
        stack_text, _, count = line.rpartition(" ")
        if not stack_text or not count.isdigit():
            continue
        stack = [f for f in stack_text.split(";") if not f.startswith(("process ", "thread "))]
        if is_idle(stack):
            continue
        components[classify(stack)] += int(count)
        threads[thread_of(stack)] += int(count)
    return components, threads


def measure(proc: Any, sc: Any, docs: list[Any], n: int, c: int, work: Path) -> dict[str, Any]:
    """One closed-loop run; answered/s, latencies and the gateway's CPU ms per answer."""
    bodies = request_bodies(sc, docs, n)
    gw = psutil.Process(proc.pid)
    idle = _cpu_s(gw)
    time.sleep(2.0)  # what the process burns without queries (follower polls, anchorer)
    before, loop0, h0 = _cpu_s(gw), _loop_cpu_s(gw), health(proc)
    idle_rate = (before - idle) / 2.0
    started = time.perf_counter()
    row = load(proc, bodies, c, work)
    wall = time.perf_counter() - started
    cpu, h1 = _cpu_s(gw) - before, health(proc)
    loop_cpu = _loop_cpu_s(gw) - loop0
    groups = h1.get("commit_groups", 0) - h0.get("commit_groups", 0)
    committed = h1["log_size"] - h0["log_size"]
    return row | {
        "cpu_ms": 1000 * cpu / max(1, row["ok"]),
        "loop_cpu_ms": 1000 * loop_cpu / max(1, row["ok"]),
        "idle_cpu_pct": 100 * idle_rate,
        "net_cpu_ms": 1000 * (cpu - idle_rate * wall) / max(1, row["ok"]),
        "groups": groups,
        "group_size": committed / groups if groups else float("nan"),
    }


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _loop_cpu_s(process: psutil.Process) -> float:
    """CPU seconds of the main thread: the event loop, where every query is handled."""
    for t in process.threads():
        if t.id == process.pid:
            return float(t.user_time + t.system_time)
    return 0.0


def profile(
    proc: Any, sc: Any, docs: list[Any], n: int, c: int, work: Path, args: argparse.Namespace
) -> tuple[Counter[str], Counter[str]]:
    """The same load under py-spy; samples per component and per thread."""
    out = work / "profile.txt"
    cmd = [args.py_spy, "record", "--pid", str(proc.pid), "--format", "raw", "--threads",
           "--rate", str(args.rate), "--output", str(out), "--nonblocking"]  # fmt: skip
    if args.gil:
        cmd.append("--gil")
    if args.native:
        cmd.remove("--nonblocking")  # native unwinding needs the process paused per sample
        cmd.append("--native")
    bodies = request_bodies(sc, docs, n)
    spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # py-spy attaches
    load(proc, bodies, c, work)
    spy.send_signal(2)  # SIGINT: py-spy writes what it has
    spy.wait(60)
    if args.save_stacks:
        shutil.copy(out, args.save_stacks)
    return parse_collapsed(out.read_text())


def table(rows: list[dict[str, Any]], comps: Counter[str], threads: Counter[str]) -> str:
    cpus = sorted(r["cpu_ms"] for r in rows)
    cpu = cpus[len(cpus) // 2]
    fsync = comps.pop(FSYNC, 0)
    total = sum(comps.values()) or 1
    busy = sum(threads.values()) or 1
    qps = ", ".join(f"{r['qps']:.0f}" for r in rows)
    net = ", ".join(f"{r['net_cpu_ms']:.2f}" for r in rows)
    loop = ", ".join(f"{r['loop_cpu_ms']:.2f}" for r in rows)
    idle = ", ".join(f"{r['idle_cpu_pct']:.0f}" for r in rows)
    p99 = ", ".join(f"{r['p99']:.1f}" for r in rows)
    measured = [
        f"closed loop c={rows[0]['c']}: answered/s {qps}; CPU ms/query {cpus[0]:.2f}–"
        f"{cpus[-1]:.2f}; p99 ms {p99}",
        f"CPU ms/query net of the idle process's own use ({idle} % of a core): {net}",
        f"of which the event loop (main thread; the rest: the other threads): {loop}",
        "group commit: "
        + ", ".join(f"{r['groups']} groups of {r['group_size']:.1f}" for r in rows),
    ]
    if not comps:  # not profiled (the baseline)
        return "\n".join(measured)
    lines = [
        *measured,
        "",
        f"| component | share | CPU ms/query (of {cpu:.2f}) |",
        "|---|---:|---:|",
        *(
            f"| {name} | {n / total:.0%} | {cpu * n / total:.3f} |"
            for name, n in comps.most_common()
        ),
        "",
        f"Besides: the receipt writer waited for fsync in {fsync} samples "
        f"({fsync / (total + fsync):.0%} of the busy samples; wall time, not CPU).",
        "",
        "| thread (fsync waits included) | share |",
        "|---|---:|",
        *(f"| {name} | {n / busy:.0%} |" for name, n in threads.most_common()),
    ]
    return "\n".join(lines)


def _start(settings: Any, work: Path, name: str, head: int, env: dict[str, str]) -> Any:
    proc = GatewayProcess(settings, log_file=work / f"{name}.log", extra_env=env)
    proc.start()
    wait_for_view(proc, head, 60)
    return proc


def run(args: argparse.Namespace, work: Path) -> tuple[str, dict[str, Any]]:
    """This tree's gateway (and ``--baseline``'s, alternately, same node and load)."""
    node = HardhatNode(NodeSettings(port=free_port(), state_dir=work / "chain"))
    node.start()
    proc = None
    try:
        keys = node.dev_private_keys(3)
        sc = build_scenario(node.rpc_url, keys[0], work, people=60, sensitivity=2)
        docs = [active_grant(sc, s, {VR: FIELDS}, max_uses=100_000) for s in sc.subjects[:10]]
        variants: dict[str, dict[str, str]] = {"this tree": {}} | (
            {"baseline": {"PYTHONPATH": str(args.baseline)}} if args.baseline else {}
        )
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
        comps, threads = Counter[str](), Counter[str]()
        for i in range(args.runs):
            for name, env in variants.items():
                settings = gateway_settings(
                    sc,
                    database_url=f"sqlite:///{work / 'gw.db'}",  # one log, one anchoring
                    port=free_port(),
                    max_requests_per_client=4096,
                )
                proc = _start(settings, work, name, sc.net.w3.eth.block_number, env)
                measure(proc, sc, docs, 200, args.concurrency, work)  # warm-up
                rows[name].append(measure(proc, sc, docs, args.requests, args.concurrency, work))
                print(name, json.dumps({k: v for k, v in rows[name][-1].items()
                                        if k != "statuses"}), flush=True)  # fmt: skip
                if i == args.runs - 1 and name == "this tree":
                    if shutil.which(args.py_spy) or Path(args.py_spy).exists():
                        comps, threads = profile(
                            proc, sc, docs, args.requests, args.concurrency, work, args
                        )
                    else:
                        print(f"py-spy not found at {args.py_spy!r}: no per-component table")
                proc.stop()
                proc = None
        sm2 = sm2_ceiling(1.0)
        bound = sm2["ceiling"]  # the protocol now: 1 verify, 1 sign
        two_signs = 1 / (1 / sm2["verify"] + 2 / sm2["sign"])  # as before answer/3
        data = {"rows": rows, "components": dict(comps), "threads": dict(threads), "sm2": sm2,
                "requests": args.requests, "concurrency": args.concurrency}  # fmt: skip
        out = []
        for name, measured in rows.items():
            best = max(r["qps"] for r in measured)
            title = name if name == "this tree" else f"baseline ({_tree_name(args.baseline)})"
            out.append(
                f"### {title}\n\n" + table(measured, comps if name == "this tree" else Counter(),
                                           threads if name == "this tree" else Counter())
                + f"\n\nbest run {best:.0f} q/s = {best / bound:.0%} of the SM2 bound"
            )  # fmt: skip
        text = "\n\n".join(out) + (
            f"\n\nSM2 this run: {sm2['sign']:.0f} sign/s, {sm2['verify']:.0f} verify/s: one core"
            f" allows {bound:.0f} q/s at 1 verify + 1 sign ({two_signs:.0f} at 1 + 2)."
        )
        return text, data
    finally:
        if proc is not None:
            proc.stop()
        node.stop()


def _tree_name(path: Path) -> str:
    """The commit of the checkout ``path`` lies in (its path when that is not a checkout)."""
    done = subprocess.run(
        ["git", "-C", str(path), "log", "-1", "--format=commit %h of %cs"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000, help="requests per run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3, help="measured runs (a range)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a directory holding another quancheng_gateway (PYTHONPATH), run alternately",
    )
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--py-spy", default=_PY_SPY, help="the py-spy executable")
    parser.add_argument(
        "--native", action="store_true", help="native frames too (idle waits then look busy)"
    )
    parser.add_argument(
        "--gil", action="store_true", help="only samples of the thread holding the GIL (Python CPU)"
    )
    parser.add_argument("--save-stacks", type=Path, help="keep py-spy's collapsed stacks here")
    add_output_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.requests, args.runs = min(args.requests, 300), 1
    apply_output_args(args)
    work = Path(tempfile.mkdtemp(prefix="qc-gwprof-"))
    try:
        text, data = run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    section = "\n".join([
        "## Gateway, where one process spends its CPU (profile)",
        "",
        f"Machine: {machine_line()}. Reproduce: `{REPRODUCE}` (a quiet machine).",
        "",
        f"One gateway process driven closed loop ({args.requests:,} pre-signed requests at "
        f"{args.concurrency} connections, {args.runs} measured run{'s' * (args.runs != 1)} "
        "without a profiler, then "
        "one more under `py-spy record` at "
        f"{args.rate} samples/s). Every sample of a thread that was not idle is attributed to "
        "the innermost frame of a known component; the shares are then scaled by the "
        "median CPU per query of the measured runs. Samples are wall clock: a thread waiting "
        "for the GIL counts where it waits.",
        "",
        text,
    ])  # fmt: skip
    print(section)
    if not args.no_write:
        publish("gateway_profile", section, data, quick=args.quick)


if __name__ == "__main__":
    main()
