"""The sandbox's refusals: each names what was wrong and how to fix it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from quancheng.errors import ConfigError, QuanchengError

__all__ = [
    "SandboxDirNotOurs",
    "SandboxError",
    "SandboxPartlyRunning",
    "SandboxPortsInUse",
    "SandboxStateInvalid",
]


class SandboxError(QuanchengError):
    """The sandbox cannot do what was asked."""

    code = "SANDBOX_ERROR"


class SandboxPortsInUse(SandboxError):
    """A port the sandbox needs is taken by another process."""

    code = "SANDBOX_PORTS_IN_USE"

    def __init__(self, taken: Sequence[tuple[str, int]], *, resuming: bool) -> None:
        self.taken = tuple(taken)
        listed = ", ".join(f"{name} 127.0.0.1:{port}" for name, port in self.taken)
        fix = (
            "the sandbox's gateways are registered on chain at these ports: stop what listens "
            "there, or remove the sandbox with `down --purge` and start it with another "
            "--base-port"
            if resuming
            else "stop what listens there, or choose another --base-port "
            "(--base-port 0 takes any free ports)"
        )
        super().__init__(f"ports in use: {listed}; {fix}")


class SandboxPartlyRunning(SandboxError):
    """Some of a sandbox's processes run and others do not."""

    code = "SANDBOX_PARTLY_RUNNING"

    def __init__(self, directory: Path, stopped: Sequence[str]) -> None:
        self.directory, self.stopped = directory, tuple(stopped)
        super().__init__(
            f"the sandbox in {directory} is partly down ({', '.join(self.stopped)} not "
            f"running): stop the rest with `python -m quancheng_demo.sandbox down --dir "
            f"{directory}`, then run `up` again"
        )


class SandboxDirNotOurs(SandboxError, ConfigError):
    """``--dir`` names a directory that holds something other than a sandbox."""

    code = "SANDBOX_DIR_NOT_OURS"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        super().__init__(
            f"{directory} is not empty and holds no sandbox: choose an empty or new "
            "directory with --dir (the sandbox writes its chain, data and keys there)"
        )


class SandboxStateInvalid(SandboxError):
    """A state or launch file of the sandbox cannot be read."""

    code = "SANDBOX_STATE_INVALID"

    def __init__(self, path: Path, problem: str) -> None:
        self.path, self.problem = path, problem
        super().__init__(
            f"{path}: {problem}; start afresh: `python -m quancheng_demo.sandbox down "
            "--purge` (deletes the sandbox's directory), then `up`"
        )
