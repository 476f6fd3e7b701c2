"""The sandbox refuses clearly, before it starts or writes anything."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from quancheng_demo.sandbox import (
    SandboxDirNotOurs,
    SandboxPartlyRunning,
    SandboxPortsInUse,
    SandboxStateInvalid,
    down,
    up,
)
from quancheng_demo.sandbox.__main__ import main
from quancheng_demo.sandbox.state import Layout, RunningProcess, SandboxState, dump


@pytest.fixture
def listener() -> Iterator[int]:
    """A port something listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_up_on_a_taken_port_is_refused_naming_it_and_writes_nothing(
    tmp_path: Path, listener: int
) -> None:
    root = tmp_path / "sandbox"
    with pytest.raises(SandboxPortsInUse) as refused:
        up(root, base_port=listener, say=lambda _: None)
    assert refused.value.code == "SANDBOX_PORTS_IN_USE"
    assert ("chain", listener) in refused.value.taken
    assert f"chain 127.0.0.1:{listener}" in str(refused.value)
    assert "--base-port" in str(refused.value)
    assert not root.exists()


def test_up_in_a_directory_holding_something_else_is_refused_and_touches_nothing(
    tmp_path: Path,
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SandboxDirNotOurs) as refused:
        up(tmp_path, base_port=0, say=lambda _: None)
    assert refused.value.code == "SANDBOX_DIR_NOT_OURS"
    assert str(tmp_path) in str(refused.value) and "--dir" in str(refused.value)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_purge_of_a_directory_that_is_no_sandbox_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SandboxDirNotOurs):
        down(tmp_path, purge=True, say=lambda _: None)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_up_with_a_process_of_the_sandbox_dead_asks_for_down_first(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    dead = RunningProcess(name="gateway jinan.tax", kind="gateway", pid=2**22 + 1, start_ticks=1,
                          url="https://127.0.0.1:1", log_file=tmp_path / "x.log")  # fmt: skip
    state = SandboxState(root=tmp_path, started_at="2026-01-01T00:00:00+00:00", tls=True,
                         ca_file=None, processes=[dead])  # fmt: skip
    layout.state_file.write_text(dump(state))
    with pytest.raises(SandboxPartlyRunning) as refused:
        up(tmp_path, say=lambda _: None)
    assert refused.value.code == "SANDBOX_PARTLY_RUNNING"
    assert "gateway jinan.tax" in str(refused.value) and "down --dir" in str(refused.value)


def test_an_unreadable_state_file_is_refused_with_the_way_out(tmp_path: Path) -> None:
    Layout(tmp_path).state_file.write_text("{not json")
    with pytest.raises(SandboxStateInvalid) as refused:
        up(tmp_path, say=lambda _: None)
    assert refused.value.code == "SANDBOX_STATE_INVALID"
    assert "state.json" in str(refused.value) and "down --purge" in str(refused.value)


def test_cli_refusal_is_one_line_with_its_code_and_exit_1(
    tmp_path: Path, listener: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["up", "--dir", str(tmp_path / "s"), "--base-port", str(listener)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error [SANDBOX_PORTS_IN_USE]: ports in use: chain 127.0.0.1:")
    assert err.count("\n") == 1


def test_a_refused_up_inside_a_program_leaves_that_programs_own_children_alone(
    tmp_path: Path, listener: int
) -> None:
    # A failed `up` stops what it started — never what its caller had started before it
    # (here: this test process's own child, as a test session's chain node is).
    own = subprocess.Popen(["sleep", "300"])
    try:
        assert main(["up", "--dir", str(tmp_path / "s"), "--base-port", str(listener)]) == 1
        assert own.poll() is None
    finally:
        own.kill()
        own.wait()


def test_status_without_a_sandbox_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--dir", str(tmp_path)]) == 1
    assert "no sandbox runs in" in capsys.readouterr().out
