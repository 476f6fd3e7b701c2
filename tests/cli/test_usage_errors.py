"""Usage errors, ``--version`` and Ctrl-C through the installed ``quancheng`` executable.

A mistake on the command line must cost the user one line on stderr and exit code 2, never
typer's boxed usage panel or a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import typer

from quancheng_cli import main as cli_main

QUANCHENG = str(Path(sys.executable).with_name("quancheng"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([QUANCHENG, *args], capture_output=True, text=True, check=False)


def test_version_prints_the_tools_and_the_sdk_versions() -> None:
    result = _run("--version")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"quancheng {version('quancheng-platform')} (quancheng-sdk {version('quancheng-sdk')})\n",
        "",
    )


def test_help_still_exits_zero() -> None:
    result = _run("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: quancheng" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("nosuch",), "quancheng: error: No such command 'nosuch'. (try 'quancheng --help')"),
        (
            ("audit", "--foo"),
            "quancheng: error: No such option: --foo (Possible options: --out) "
            "(try 'quancheng audit --help')",
        ),
        (("sign",), "quancheng: error: Missing argument 'file'. (try 'quancheng sign --help')"),
        (
            ("topology", "generate", "--chain-id", "abc"),
            "quancheng: error: Invalid value for '--chain-id': ",
        ),
    ],
    ids=["unknown-command", "unknown-option", "missing-argument", "bad-integer"],
)
def test_usage_error_is_one_line_and_exit_code_2(args: tuple[str, ...], expected: str) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)
    for noise in ("Traceback", "╭", "│"):
        assert noise not in result.stderr


def test_bad_integer_names_the_command_to_ask_for_help() -> None:
    result = _run("topology", "generate", "--chain-id", "abc")
    assert result.stderr.rstrip().endswith("(try 'quancheng topology generate --help')")


def test_keyboard_interrupt_exits_130_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    interrupted = typer.Typer()

    @interrupted.command()
    def wait() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "app", interrupted)
    with pytest.raises(SystemExit) as exited:
        cli_main.main([])
    assert exited.value.code == 130
    assert capsys.readouterr().err.strip().splitlines() == ["quancheng: interrupted"]
