"""The sandbox signals only its own processes, and leaves none of them behind."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from quancheng_demo.sandbox.procs import is_alive, start_ticks, stop_all, track
from tests.sandbox.support import live_pids

# A parent that starts two children (one in a session of its own, as the sandbox starts its
# servers), then stops what it left running, as a failed `up` does.
_PARENT = textwrap.dedent(
    """
    import subprocess, sys
    from quancheng_demo.sandbox.procs import stop_children
    kids = [subprocess.Popen(["sleep", "300"], start_new_session=True),
            subprocess.Popen(["sleep", "300"])]
    stopped = stop_children(timeout=5)
    print(sorted(stopped) == sorted(k.pid for k in kids), *(k.pid for k in kids))
    """
)


def test_stop_children_stops_every_child_left_running_and_only_those() -> None:
    bystander = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        result = subprocess.run([sys.executable, "-c", _PARENT], capture_output=True,
                                text=True, timeout=60)  # fmt: skip
        assert result.returncode == 0, result.stderr
        same, *pids = result.stdout.split()
        assert same == "True"
        assert live_pids([int(p) for p in pids]) == []
        assert bystander.poll() is None  # not a child of that process: untouched
    finally:
        bystander.kill()
        bystander.wait()


def test_a_recycled_pid_is_not_ours_and_is_never_signalled(tmp_path: Path) -> None:
    other = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        ticks = start_ticks(other.pid)
        assert ticks is not None
        # A record of an earlier process that had this pid: another start time.
        stale = track("gateway jinan.tax", "gateway", other.pid, "https://x", tmp_path / "x")
        stale = stale.model_copy(update={"start_ticks": ticks - 1})
        assert not is_alive(stale)
        assert stop_all([stale], timeout=1) == []
        assert other.poll() is None
        # The true record stops it, with SIGTERM.
        assert stop_all([track("x", "gateway", other.pid, "https://x", tmp_path / "x")]) == []
        assert other.wait(5) == -15
    finally:
        other.kill()
        other.wait()
