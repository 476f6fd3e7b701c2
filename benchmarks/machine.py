"""The machine the figures were measured on, and how to reproduce them.

``python -m benchmarks.machine`` writes the ``machine`` section at the top of BENCHMARKS.md
(and ``benchmarks/results/machine.json``); every benchmark also records the same facts in
its own JSON and one line of them in its section.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
_PACKAGES = ("tongsuopy", "cryptography", "fastapi", "uvicorn", "web3", "matplotlib")

# (module, what it measures, its --quick size) in the order `make bench` runs them
BENCHES = (
    ("machine", "this section", "–"),
    ("crypto_bench", "SM2/SM3/SM4 beside `openssl speed`", "0.2 s per figure, 1 round"),
    ("gas_bench", "gas of the calls verified on chain (SM2/SM3 in Solidity)", "same: gas is exact"),
    ("datagen_bench", "synthetic department data, generation and loading", "2,000 people"),
    (
        "gateway_bench",
        "queries/s and p50/p95/p99 at 1–64 connections, anchoring, memory, 10³ → 10⁶ grants",
        "≤ 40 requests per level, ≤ 2,000 grants",
    ),
    (
        "gateway_openloop",
        "gateway open loop (one process; two): p50/p95/p99 at 250–1,000 q/s, highest sustained, "
        "÷ SM2 bound",
        "20 q/s and one search step, 1 s each",
    ),
    (
        "gateway_profile",
        "where one gateway process spends its CPU per query, by component (py-spy)",
        "300 requests, 1 run",
    ),
    (
        "transport_bench",
        "what TLS (client certificates) and answer sealing cost per query",
        "40 requests per figure",
    ),
    ("decision_bench", "claim and loan decisions end to end", "3 rounds"),
    ("audit_bench", "receipts verified/s by the auditor", "600 receipts"),
    (
        "longevity_bench",
        "local node restart time and memory against chain length, 10³ … 10⁶ transactions",
        "100 and 300 transactions",
    ),
    (
        "blocktime_latency",
        "instant vs 2 s blocks: approval/revoke → gateway, decisions, anchoring, audit view lag",
        "1 trial, 20-query burst, 0 and 1 s blocks, no claim/loan decisions",
    ),
)


def _run(*cmd: str, cwd: Path | None = None) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd)
    except OSError:
        return "not found"
    if proc.returncode != 0:
        return "n/a"
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    return lines[0] if lines else ""  # e.g. `git status --porcelain` on a clean tree


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return float("nan")
    return pages * size / 2**30


def _hardhat() -> str:
    try:
        pkg = REPO / "hardhat-network/node_modules/hardhat/package.json"
        return str(json.loads(pkg.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "not installed"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


@cache
def machine_info() -> dict[str, Any]:
    """CPU, memory, software versions, date and commit of this run."""
    commit = _run("git", "rev-parse", "--short=12", "HEAD", cwd=REPO)
    # What the benchmarks write themselves does not make the measured code "uncommitted".
    own = (":!BENCHMARKS.md", ":!benchmarks/results", ":!docs/bench")
    dirty = _run("git", "status", "--porcelain", "--untracked-files=no", "--", ".", *own, cwd=REPO)
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(_ram_gib(), 1),
        "python": platform.python_version(),
        "openssl": _run("openssl", "version"),
        "node": _run("node", "--version"),
        "npm": _run("npm", "--version"),
        "hardhat": _hardhat(),
        "kernel": f"{platform.system()} {platform.release()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (uncommitted changes)" if dirty not in ("", "n/a") else ""),
        "packages": {p: _version(p) for p in _PACKAGES},
    }


def machine_line() -> str:
    """One line describing the machine the figures were measured on."""
    m = machine_info()
    return (
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['openssl']}, "
        f"{m['kernel']}; {m['date']}, commit {m['commit']}"
    )


def render(m: dict[str, Any]) -> str:
    """The ``machine`` section: what ran the figures below, and how to run them again."""
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    rows = "\n".join(
        f"| `.venv/bin/python -m benchmarks.{mod}` | {what} | {quick} |"
        for mod, what, quick in BENCHES
    )
    return f"""## Machine and how to reproduce

| | |
|---|---|
| CPU | {m["cpu"]}, {m["cores"]} logical cores |
| RAM | {m["ram_gib"]} GiB |
| OS | {m["kernel"]} |
| Python | {m["python"]} ({packages}) |
| OpenSSL CLI | {m["openssl"]} |
| Node / npm / Hardhat | {m["node"]} / {m["npm"]} / {m["hardhat"]} |
| Date | {m["date"]} |
| Commit | {m["commit"]} |

`make bench` runs every benchmark below in turn, each rewriting its own section, its raw
figures in `benchmarks/results/<name>.json` and its plots in `docs/bench/`.  One benchmark
alone: its command below.  `--quick` runs it at tiny sizes in seconds (to check the
pipeline, not to measure), `--no-write` only prints, `--out DIR` writes everything under
`DIR` instead of the repository.  `.venv/bin/python -m benchmarks.plots` redraws every plot
from the JSON files without measuring again.  Every process shares the machine: run on a
quiet one, and compare ratios to the same-run baselines rather than absolute figures.

| command | measures | `--quick` |
|---|---|---|
{rows}
"""


def main() -> None:
    """Write the ``machine`` section (first in BENCHMARKS.md) and ``results/machine.json``."""
    from benchmarks.report import add_output_args, apply_output_args, update_section, write_results

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_output_args(parser)
    args = parser.parse_args()
    apply_output_args(args)
    text = render(machine_info())
    print(text)
    if not args.no_write:
        write_results("machine", machine_info(), quick=args.quick)
        update_section("machine", text, first=True)


if __name__ == "__main__":
    main()
