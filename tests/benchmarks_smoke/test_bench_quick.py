"""Every benchmark runs end to end with ``--quick`` and writes its section, JSON and plots.

Correctness only, never timing: the figures of a quick run mean nothing.  Each benchmark
runs in its own subprocess with ``--out`` pointing at its own temporary directory (and
``$QUANCHENG_BENCH_OUT`` set to the same, for anything it starts), so the repository's
BENCHMARKS.md, ``benchmarks/results/`` and ``docs/bench/`` are never written, and two
benchmarks running side by side never share a BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from tests.utils.procs import run_bounded

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GATEWAY_PLOTS = ("throughput", "latency", "memory", "grants", "anchoring")

# module -> (section and JSON name, plots it must write); slowest first
BENCHES: dict[str, tuple[str, tuple[str, ...]]] = {
    "decision_bench": ("decisions", ("decisions",)),
    "gateway_bench": ("gateway", tuple(f"gateway_{p}" for p in GATEWAY_PLOTS)),
    "transport_bench": ("transport", ()),
    "gateway_profile": ("gateway_profile", ()),
    "crypto_bench": ("crypto", ("crypto",)),
    "gas_bench": ("gas", ()),
    "audit_bench": ("audit", ("audit",)),
    "datagen_bench": ("datagen", ("datagen",)),
    "longevity_bench": ("longevity", ("longevity",)),
    "blocktime_latency": ("blocktime", ()),
    "machine": ("machine", ()),
}


def _run(module: str, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUANCHENG_BENCH_OUT": str(out)}
    command = [sys.executable, "-m", f"benchmarks.{module}", "--quick", "--out", str(out)]
    return run_bounded(command, cwd=REPO, env=env, timeout=240)


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run every benchmark with --quick, two at a time, each into its own directory."""
    outs = {module: tmp_path_factory.mktemp(module) for module in BENCHES}
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(outs, pool.map(_run, outs, outs.values()), strict=True))
    for module, proc in done.items():
        assert proc.returncode == 0, (
            f"{module} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return outs


def _section(md: Path, name: str) -> str:
    found = re.search(rf"<!-- BEGIN {name} -->\n(.*?)\n<!-- END {name} -->", md.read_text(), re.S)
    assert found, f"no {name} section in {md}"
    return found.group(1)


def _assert_png(path: Path) -> None:
    raw = path.read_bytes()
    assert raw.startswith(PNG_SIGNATURE), path
    assert len(raw) > 10_000, f"{path}: {len(raw)} bytes"
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width >= 600 and image.height >= 300


@pytest.mark.parametrize("module", list(BENCHES))
def test_quick_run_writes_section_results_and_plots(
    module: str, quick_runs: dict[str, Path]
) -> None:
    name, plots = BENCHES[module]
    out = quick_runs[module]
    section = _section(out / "BENCHMARKS.md", name)
    assert section.startswith("## ")

    record = json.loads((out / "benchmarks" / "results" / f"{name}.json").read_text())
    assert record["bench"] == name
    assert record["quick"] is True
    assert record["data"]
    assert {"cpu", "cores", "python", "openssl", "commit", "date"} <= record["machine"].keys()

    linked = re.findall(r"\]\((docs/bench/[\w.-]+\.png)\)", section)
    assert sorted(linked) == sorted(f"docs/bench/{plot}.png" for plot in plots)
    for rel in linked:
        _assert_png(out / rel)
    if name != "machine":
        assert "`--quick` run" in section


def test_machine_section_says_how_to_reproduce(quick_runs: dict[str, Path]) -> None:
    section = _section(quick_runs["machine"] / "BENCHMARKS.md", "machine")
    for needed in ("make bench", "--quick", "python -m benchmarks.plots", "CPU", "Commit"):
        assert needed in section
    for module in BENCHES:
        assert f"python -m benchmarks.{module}`" in section


def test_plots_are_redrawn_byte_for_byte_from_the_results(
    quick_runs: dict[str, Path], tmp_path: Path
) -> None:
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    for out in quick_runs.values():
        for path in (out / "benchmarks" / "results").glob("*.json"):
            shutil.copy(path, results / path.name)

    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.plots", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert proc.returncode == 0, proc.stderr
    redrawn = sorted(p.name for p in (tmp_path / "docs" / "bench").glob("*.png"))
    expected = sorted(f"{plot}.png" for _name, plots in BENCHES.values() for plot in plots)
    assert redrawn == expected
    for module, (_name, plots) in BENCHES.items():
        for plot in plots:
            original = quick_runs[module] / "docs" / "bench" / f"{plot}.png"
            assert (
                tmp_path / "docs" / "bench" / f"{plot}.png"
            ).read_bytes() == original.read_bytes()


def test_quick_runs_leave_the_repository_figures_alone(quick_runs: dict[str, Path]) -> None:
    md = REPO / "BENCHMARKS.md"
    assert "_`--quick` run: sizes too small" not in md.read_text()
    for path in (REPO / "benchmarks" / "results").glob("*.json"):
        assert json.loads(path.read_text())["quick"] is False, path


def test_the_profile_attributes_the_gateway_cpu_to_components(
    quick_runs: dict[str, Path],
) -> None:
    out = quick_runs["gateway_profile"]
    section = _section(out / "BENCHMARKS.md", "gateway_profile")
    assert "| component | share | CPU ms/query" in section
    assert "| SM2 (tongsuopy) |" in section  # every answered query signs and verifies
    assert "| event loop (main thread) |" in section and "| receipt writer |" in section
    assert "| request verifier |" in section  # requests are verified off the event loop
    data = json.loads((out / "benchmarks/results/gateway_profile.json").read_text())["data"]
    assert data["components"]["SM2 (tongsuopy)"] > 0
    assert all(row["ok"] == row["n"] for row in data["rows"]["this tree"])
