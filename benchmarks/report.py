"""Where a benchmark writes: its section of BENCHMARKS.md, its raw JSON, its plots.

Each benchmark owns the text between ``<!-- BEGIN name -->`` and ``<!-- END name -->``;
a section that does not exist yet is appended (or, with ``first=True``, put before every
other section).  Everything lands under one output root: the repository by default, or
``$QUANCHENG_BENCH_OUT`` (set by ``--out DIR``), so a smoke test can run every benchmark
without touching the committed BENCHMARKS.md, ``benchmarks/results/`` or ``docs/bench/``:

    <root>/BENCHMARKS.md
    <root>/benchmarks/results/<name>.json
    <root>/docs/bench/<plot>.png      (linked from BENCHMARKS.md as ``docs/bench/<plot>.png``)
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info, machine_line

__all__ = [
    "REPO",
    "add_output_args",
    "apply_output_args",
    "benchmarks_md",
    "image",
    "machine_line",
    "out_root",
    "plots_dir",
    "publish",
    "results_dir",
    "update_section",
    "write_results",
]

REPO = Path(__file__).resolve().parent.parent
OUT_ENV = "QUANCHENG_BENCH_OUT"
PLOTS_REL = "docs/bench"
RESULTS_REL = "benchmarks/results"

_HEADER = """# Benchmarks

Every figure here is printed by a script in `benchmarks/` and written back by it; each
stands beside a baseline measured in the same run.  Reproduce with `make bench`.
Tests never assert on timing.
"""


def out_root() -> Path:
    """The directory that holds BENCHMARKS.md, ``benchmarks/results`` and ``docs/bench``."""
    return Path(os.environ.get(OUT_ENV) or REPO)


def benchmarks_md() -> Path:
    return out_root() / "BENCHMARKS.md"


def results_dir() -> Path:
    return out_root() / RESULTS_REL


def plots_dir() -> Path:
    return out_root() / PLOTS_REL


def image(plot: str, alt: str) -> str:
    """Markdown for a plot written by ``benchmarks.plots`` (relative to BENCHMARKS.md)."""
    return f"![{alt}]({PLOTS_REL}/{plot}.png)"


def add_output_args(parser: argparse.ArgumentParser, *, measuring: bool = True) -> None:
    """The options every benchmark shares: ``--quick``, ``--no-write``, ``--out``."""
    if measuring:
        parser.add_argument(
            "--quick", action="store_true", help="tiny sizes (seconds): checks the pipeline only"
        )
        parser.add_argument(
            "--no-write", action="store_true", help="print only: no BENCHMARKS.md, JSON or PNG"
        )
    parser.add_argument(
        "--out",
        type=Path,
        help=f"write BENCHMARKS.md, {RESULTS_REL}/ and {PLOTS_REL}/ under this directory "
        f"(default: ${OUT_ENV} or the repository)",
    )


def apply_output_args(args: argparse.Namespace) -> None:
    """Honour ``--out`` for this process and any child it starts."""
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        os.environ[OUT_ENV] = str(args.out.resolve())


def write_results(name: str, data: dict[str, Any], *, quick: bool) -> Path:
    """Write ``benchmarks/results/<name>.json``: the raw figures the plots are drawn from."""
    path = results_dir() / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"bench": name, "quick": quick, "machine": machine_info(), "data": data}
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def update_section(
    name: str, markdown: str, path: Path | None = None, *, first: bool = False
) -> None:
    """Replace (or add) the section ``name`` of BENCHMARKS.md with ``markdown``."""
    path = path or benchmarks_md()
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else _HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    elif first and (at := text.find("<!-- BEGIN ")) >= 0:
        text = text[:at] + block + "\n\n" + text[at:]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def publish(name: str, markdown: str, data: dict[str, Any], *, quick: bool) -> None:
    """Write the raw JSON, draw its plots, then write the BENCHMARKS.md section.

    The plots are drawn from the JSON just written, exactly as ``python -m benchmarks.plots``
    redraws them later.
    """
    from benchmarks import plots  # matplotlib is only needed when writing

    write_results(name, data, quick=quick)
    plots.render(name, data, plots_dir())
    if quick:
        title, _, rest = markdown.strip().partition("\n")
        markdown = (
            f"{title}\n\n_`--quick` run: sizes too small for the figures to mean anything._\n{rest}"
        )
    update_section(name, markdown)
