"""Run a program that starts servers, bounded in time, and leave nothing behind if it overruns.

``subprocess.run(..., timeout=)`` kills only the program it started. The demo and the
benchmarks start a node and gateways in sessions of their own (so Ctrl-C does not tear them
down half-way); a run killed on timeout left them serving, and polling, for the rest of the
suite. Here the program's whole tree is collected before anything is killed.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

__all__ = ["run_bounded"]


def run_bounded(
    command: Sequence[str | Path], *, timeout: float, **popen: Any
) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(command, capture_output=True, text=True, timeout=timeout, **popen)``,
    except that on timeout every descendant of the program is killed too."""
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(proc.pid)
            out, err = proc.communicate()
            raise subprocess.TimeoutExpired(proc.args, timeout, out, err) from None
        except BaseException:  # e.g. pytest-timeout's own deadline, or Ctrl-C
            _kill_tree(proc.pid)
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

def _kill_tree(pid: int) -> None:
    try:
        root = psutil.Process(pid)
        tree = [*root.children(recursive=True), root]
    except psutil.NoSuchProcess:
        return
    for p in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    psutil.wait_procs(tree, timeout=10)
