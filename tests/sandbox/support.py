"""Helpers of the sandbox tests: the CLI as a user runs it, the docs' example, live pids."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


def sandbox_cli(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``python -m quancheng_demo.sandbox ARGS`` in ``cwd``.

    Interrupted (a timeout, the test's own), the command gets SIGTERM, never SIGKILL: ``up``
    then stops what it had started before it exits.
    """
    command = [sys.executable, "-m", "quancheng_demo.sandbox", *args]
    with subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:  # fmt: skip
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException:
            proc.terminate()
            proc.communicate(timeout=120)
            raise
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def bank_example() -> str:
    """The Python block of docs/sandbox.md's "A bank's first query", as written there."""
    section = DOCS.read_text().split("## A bank's first query", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert match, "docs/sandbox.md: no python block under 'A bank's first query'"
    return match.group(1)


def live_pids(pids: list[int]) -> list[int]:
    """Those of ``pids`` that name a running process (a zombie has stopped running)."""
    alive = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[-1].split()[0] != "Z":
            alive.append(pid)
    return alive
