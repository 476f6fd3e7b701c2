"""The soak benchmark, on a short run: everything answered is accounted for on chain.

Speed is the benchmark's business (``python -m benchmarks.soak``); this only asserts what a
short run must prove whatever the machine's load: no failed query, each answered request
exactly one receipt, the log gap-free and anchored, the auditor clean, the plot written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.utils.procs import run_bounded

ROOT = Path(__file__).resolve().parents[2]

CORRECTNESS = (
    "zero failed requests",
    "every answered request has exactly one receipt",
    "no receipt without an answer",
    "log gap-free, every receipt in a batch anchored on chain",
    "audit clean over the same receipts",
)


@pytest.mark.slow
def test_a_short_soak_accounts_for_every_answered_query(tmp_path: Path) -> None:
    result_path = tmp_path / "result.json"
    run = run_bounded(
        [
            sys.executable,
            *("-m", "benchmarks.soak", "--duration", "20", "--capacity-seconds", "8"),
            # Half the capacity an 8 s burst measures: this checks the accounting, and at 80 %
            # a 2 s stall of a CI machine's disk or node once left the view 2 s behind, so the
            # gateway refused 29 queries CHAIN_UNAVAILABLE (failing closed, as it must).
            *("--fraction", "0.5"),
            *("--no-write", "--work-dir", str(tmp_path / "work"), "--plot-dir", str(tmp_path)),
            *("--result-json", str(result_path)),
        ],
        cwd=ROOT,
        timeout=240,
    )
    # Exit status 1 may only mean a timing check (rate held, memory) failed on a busy machine.
    assert result_path.exists(), run.stdout[-4000:] + run.stderr[-4000:]
    result = json.loads(result_path.read_text())
    checks = result["checks"]
    failed = {
        name: checks[name]["detail"] for name in CORRECTNESS if checks[name]["passed"] is not True
    }
    assert failed == {}
    assert result["answered"] > 0
    assert Path(result["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
