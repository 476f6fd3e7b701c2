"""The sandbox's detached processes: who they are, whether they live, how they stop.

Every process the sandbox starts leads a session (and process group) of its own, so that
it outlives the ``up`` command and a Ctrl-C in that terminal. A pid alone could be reused
by an unrelated process after a reboot or a crash: a process is ours only while its start
time (``/proc/PID/stat``) is the one recorded when it was started. Stopping signals the
whole process group — a server's workers, the node's own children — SIGTERM first, SIGKILL
after a bound.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from quancheng_demo.sandbox.state import RunningProcess, ServiceKind

__all__ = [
    "STOP_TIMEOUT_S",
    "Tracked",
    "child_pids",
    "group_members",
    "is_alive",
    "start_ticks",
    "stop_all",
    "stop_children",
    "track",
]

#: Seconds between SIGTERM and SIGKILL.
STOP_TIMEOUT_S = 10.0
_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` from field 3 (state) on, or None when there is no such process."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[-1].split()


def start_ticks(pid: int) -> int | None:
    """The start time of ``pid`` in clock ticks since boot (None: no such process)."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def track(name: str, kind: ServiceKind, pid: int, url: str, log_file: Path) -> RunningProcess:
    """The record of a process just started (its start time read now)."""
    ticks = start_ticks(pid)
    if ticks is None:
        raise ProcessLookupError(f"{name} (pid {pid}) is not running")
    return RunningProcess(
        name=name, kind=kind, pid=pid, start_ticks=ticks, url=url, log_file=log_file
    )


def is_alive(proc: Tracked) -> bool:
    """True while the recorded process runs (not a zombie, and not a recycled pid)."""
    fields = _stat_fields(proc.pid)
    return bool(fields) and fields[0] != "Z" and int(fields[19]) == proc.start_ticks  # type: ignore[index]


def group_members(pgid: int) -> list[int]:
    """The live (non-zombie) processes of process group ``pgid``."""
    members = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


class Tracked(Protocol):
    """A process known by its pid and start time (a :class:`RunningProcess`)."""

    @property
    def name(self) -> str: ...
    @property
    def pid(self) -> int: ...
    @property
    def start_ticks(self) -> int: ...


@dataclass(frozen=True)
class _Child:
    name: str
    pid: int
    start_ticks: int


def child_pids() -> set[int]:
    """The live children of this process."""
    return {c.pid for c in _children()}


def stop_children(timeout: float = STOP_TIMEOUT_S, *, spare: Set[int] = frozenset()) -> list[int]:
    """Stop the children this process started and left running (a start interrupted
    half-way leaves one no record names yet), except those in ``spare`` (what ran before,
    e.g. a node the caller started itself); their pids."""
    children = [c for c in _children() if c.pid not in spare]
    stop_all(children, timeout)
    return [c.pid for c in children]


def _children() -> list[_Child]:
    me = str(os.getpid())
    children = []
    for entry in _PROC.iterdir():
        fields = _stat_fields(int(entry.name)) if entry.name.isdigit() else None
        if fields and fields[0] != "Z" and fields[1] == me:
            children.append(_Child(f"pid {entry.name}", int(entry.name), int(fields[19])))
    return children


def stop_all(procs: Sequence[Tracked], timeout: float = STOP_TIMEOUT_S) -> list[str]:
    """SIGTERM the groups of ``procs`` together, SIGKILL what is left after ``timeout`` seconds.

    Returns:
        The names of those that had to be killed.
    """
    ours = [p for p in procs if _ours(p)]
    for proc in ours:
        _signal(proc, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    waiting = list(ours)
    while waiting and time.monotonic() < deadline:
        waiting = [p for p in waiting if is_alive(p) or group_members(p.pid)]
        time.sleep(0.05)
    for proc in waiting:
        _signal(proc, signal.SIGKILL)
        _wait_group(proc.pid)
    return [p.name for p in waiting]


def _ours(proc: Tracked) -> bool:
    """True while ``proc`` or what its process group left behind (a server's workers) runs."""
    if is_alive(proc):
        return True
    ticks = start_ticks(proc.pid)
    if ticks is not None and ticks != proc.start_ticks:
        return False  # the pid now names another process: not ours to signal
    # Linux reuses no pid while a process group of that id has members: they are its own.
    return bool(group_members(proc.pid))


def _signal(proc: Tracked, sig: signal.Signals) -> None:
    # Each process leads its own group (started with a session of its own): signal the group,
    # or what is left of it once the leader is gone.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if is_alive(proc) and os.getpgid(proc.pid) != proc.pid:
            os.kill(proc.pid, sig)
        else:
            os.killpg(proc.pid, sig)


def _wait_group(pgid: int) -> None:
    deadline = time.monotonic() + 5.0
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
