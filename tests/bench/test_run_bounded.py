"""A bounded run that overruns leaves none of the servers its program started."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from tests.utils.procs import run_bounded

#: Starts a "server" in a session of its own (as the demo and the benchmarks do), says its
#: pid, then never ends.
_PROGRAM = """
import subprocess, sys, time
server = subprocess.Popen(["sleep", "300"], start_new_session=True)
print(server.pid, flush=True)
time.sleep(300)
"""


def test_a_run_past_its_timeout_kills_the_servers_its_program_started() -> None:
    with pytest.raises(subprocess.TimeoutExpired) as exc:
        run_bounded([sys.executable, "-c", _PROGRAM], timeout=3)
    server = int(str(exc.value.output).split()[0])
    deadline = time.monotonic() + 10
    while psutil.pid_exists(server) and psutil.Process(server).status() != "zombie":
        assert time.monotonic() < deadline, f"server {server} outlived the run"
        time.sleep(0.1)


def test_a_run_within_its_timeout_is_subprocess_run() -> None:
    done = run_bounded([sys.executable, "-c", "import sys; print('out'); sys.exit(3)"], timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "")
