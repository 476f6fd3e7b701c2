"""``down``: stop what a sandbox runs, the chain last; with ``--purge``, delete its directory."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from quancheng_demo.sandbox.errors import SandboxDirNotOurs, SandboxStateInvalid
from quancheng_demo.sandbox.procs import stop_all
from quancheng_demo.sandbox.state import Layout, SandboxState, read_model

__all__ = ["down"]

Say = Callable[[str], None]


def down(root: Path, *, purge: bool = False, say: Say = print) -> None:
    """Stop what the sandbox of ``root`` runs (the chain last); with ``purge``, delete it.

    Raises:
        SandboxDirNotOurs: ``purge`` of a directory that holds no sandbox.
        SandboxStateInvalid: The state file is unreadable (``purge`` goes on without it).
    """
    layout = Layout(root.resolve())
    if purge and layout.root.exists() and not layout.marker.exists():
        raise SandboxDirNotOurs(layout.root)
    try:
        state = read_model(layout.state_file, SandboxState)
    except SandboxStateInvalid as exc:
        if not purge:
            raise
        say(f"{exc.path}: {exc.problem}: nothing to stop by it")
        state = None
    if state is None:
        say(f"no sandbox runs in {layout.root}")
    else:
        services = [p for p in state.processes if p.kind != "chain"]
        killed = stop_all(services) + stop_all([p for p in state.processes if p.kind == "chain"])
        for proc in state.processes:
            how = "killed (no exit 10 s after SIGTERM)" if proc.name in killed else "stopped"
            say(f"  {proc.name:<26} {how}  (pid {proc.pid})")
        layout.state_file.unlink()
        kept = "" if purge else f"; its data stays in {layout.root} (`up` starts it again)"
        say(f"sandbox stopped{kept}")
    if purge:
        shutil.rmtree(layout.root, ignore_errors=True)
        say(f"removed {layout.root}")
