"""``quancheng sandbox`` hands its arguments to the sandbox's own command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

QUANCHENG = str(Path(sys.executable).with_name("quancheng"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([QUANCHENG, *args], capture_output=True, text=True, check=False)


def test_status_of_no_sandbox_says_how_to_start_one(tmp_path: Path) -> None:
    result = _run("sandbox", "status", "--dir", str(tmp_path / "none"))

    assert result.returncode == 1
    assert f"no sandbox runs in {tmp_path / 'none'}" in result.stdout + result.stderr
    assert "up --dir" in result.stdout + result.stderr


def test_sandbox_help_is_the_sandbox_commands() -> None:
    result = _run("sandbox", "--help")

    assert result.returncode == 0
    assert "{up,status,down}" in result.stdout


def test_unknown_sandbox_command_is_a_usage_error() -> None:
    result = _run("sandbox", "launch")

    assert result.returncode == 2
    assert "invalid choice: 'launch'" in result.stderr
    assert "Traceback" not in result.stderr
