"""The anchoring process: a gateway's anchorer in a process of its own (``QC_GW_ANCHOR_PROCESS``).

The anchorer costs little CPU per query (~0.04 ms) but spends it in bursts: every
``batch_max_age_s`` under load it reads a batch of thousands of receipts, builds their Merkle
tree, plans their uses and signs and sends one transaction. Inside the process that answers
queries those tens of milliseconds hold the GIL that the event loop needs, and they are the
tail of its latency (docs/deployment.md, "The anchoring process"). In a process of its own
they are not.

- ``python -m quancheng_gateway`` starts this process beside the query process (or uvicorn's
  workers) with :class:`AnchoringSupervisor`, starts it again if it exits, and stops it when
  the gateway stops. The query processes then never anchor: their anchorers only follow the
  batches' state in the database (``Anchorer(leads=False)``), as standby replicas do.
- The anchoring process builds the same :class:`~quancheng_gateway.service.Gateway` from the
  same settings and runs only its anchorer, which anchors while it holds the leadership (the
  ``flock`` beside a SQLite file, or the advisory lock on PostgreSQL: see
  :mod:`quancheng_gateway.leader`). It needs no chain follower of its own: the grants it
  plans uses with are read from the view the query process keeps in the database.
- It exits when its parent does, ``kill -9`` included (it watches the parent's pid every
  ``HEARTBEAT_S``), so a killed gateway leaves no anchorer behind holding the lock.
- It reports through a file in the gateway's shared metrics directory
  (``PROMETHEUS_MULTIPROC_DIR``, which ``python -m quancheng_gateway`` sets up): its counters
  reach ``/metrics`` as the workers' do, and its state, written every ``HEARTBEAT_S``
  (:data:`STATUS_FILE`), reaches ``/healthz`` (``anchoring_ok``, ``anchor_error``); a state
  older than ``STALE_AFTER_S`` reads as an anchoring process that is not running.

Nothing in the trust rules moves: receipts are still committed by the query process before
each answer leaves, batches and their anchors are the same compare-and-set steps on the same
rows, and a query process still refuses ``CHAIN_UNAVAILABLE`` when the backlog passes its
bound, whoever anchors.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.core.logging import configure_logging
from quancheng_gateway.shared_dir import shared_dir

if TYPE_CHECKING:  # not imported at run time: uvicorn's manager process needs none of it
    from quancheng_gateway.anchorer import Anchorer

__all__ = [
    "HEARTBEAT_S",
    "PARENT_ENV",
    "STALE_AFTER_S",
    "STARTS_ENV",
    "STATUS_FILE",
    "AnchoringStatus",
    "AnchoringSupervisor",
    "main",
    "read_status",
    "restart_delay",
]

_log = logging.getLogger("quancheng_gateway.anchoring")

#: The anchoring process's state, in the shared metrics directory.
STATUS_FILE = "anchoring-status.json"
#: How often the anchoring process writes its state and looks for its parent.
HEARTBEAT_S = 0.5
#: A state older than this reads as an anchoring process that is not running.
STALE_AFTER_S = 5.0
#: How long the supervisor waits before starting an anchoring process that exited again;
#: doubled (up to ``RESTART_DELAY_MAX_S``) while it keeps exiting within ``SETTLED_S``.
RESTART_DELAY_S = 1.0
RESTART_DELAY_MAX_S = 30.0
SETTLED_S = 30.0
#: The pid the anchoring process exits without (set by the supervisor; unset: it runs alone).
PARENT_ENV = "QC_ANCHORING_PARENT_PID"
#: How many anchoring processes the supervisor started before this one (it reports it).
STARTS_ENV = "QC_ANCHORING_RESTARTS"
MODULE = "quancheng_gateway.anchoring"


@dataclass(frozen=True)
class AnchoringStatus:
    """What the anchoring process last said about itself."""

    pid: int
    #: Wall-clock seconds when it was written.
    at: float
    #: Whether this process holds the leadership (anchors) rather than stands by.
    leading: bool
    ok: bool
    error: str | None
    batches_anchored: int
    anchored_upto: int
    batch_size: int
    block_gas_limit: int | None
    #: Anchoring processes the gateway had started before this one (0: the first).
    restarts: int = 0

    @classmethod
    def of(cls, anchorer: Anchorer) -> AnchoringStatus:
        return cls(
            pid=os.getpid(),
            at=time.time(),
            leading=anchorer.leadership.holding,
            ok=anchorer.ok,
            error=anchorer.error,
            batches_anchored=anchorer.batches_anchored,
            anchored_upto=anchorer.anchored_upto,
            batch_size=anchorer.batch_cap,
            block_gas_limit=anchorer.gas_limit,
            restarts=int(os.environ.get(STARTS_ENV, "0")),
        )

    def age_s(self) -> float:
        return max(0.0, time.time() - self.at)

    def write(self, directory: Path) -> None:
        """Replace the status file at once (a reader never sees half of it)."""
        part = directory / f".{STATUS_FILE}.{self.pid}"
        part.write_text(json.dumps(asdict(self)))
        part.replace(directory / STATUS_FILE)


def read_status(directory: Path | None = None) -> AnchoringStatus | None:
    """The anchoring process's last state (None when there is none to read)."""
    directory = directory or shared_dir()
    if directory is None:
        return None
    try:
        fields: dict[str, Any] = json.loads((directory / STATUS_FILE).read_text())
        return AnchoringStatus(**fields)
    except (OSError, ValueError, TypeError):
        return None


def restart_delay(last: float | None, lived_s: float) -> float:
    """How long to wait before starting again a process that exited after ``lived_s``:
    ``RESTART_DELAY_S`` the first time or after it had settled, else twice the ``last``
    wait (up to ``RESTART_DELAY_MAX_S``), so a process that cannot start is not hammered."""
    if last is None or lived_s >= SETTLED_S:
        return RESTART_DELAY_S
    return min(RESTART_DELAY_MAX_S, last * 2)


class AnchoringSupervisor:
    """Runs ``python -m quancheng_gateway.anchoring`` beside the gateway, again if it exits."""

    def __init__(self, command: Sequence[str] | None = None) -> None:
        self.env = dict(os.environ)  # read now: the shared directory is set by then
        self.command = list(command or [sys.executable, "-m", MODULE])
        self.env[PARENT_ENV] = str(os.getpid())
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        #: Anchoring processes started again after one exited.
        self.restarts = -1
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._spawn()
        self._thread = threading.Thread(
            target=self._watch, name="anchoring-supervisor", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the anchoring process (it finishes its step); SIGKILL if it is stuck."""
        self._stop.set()
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _log.warning("the anchoring process did not stop in %.0f s: killed", timeout)
                proc.kill()
                proc.wait(5)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _spawn(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            self.restarts += 1
            env = {**self.env, STARTS_ENV: str(self.restarts)}
            self._proc = subprocess.Popen(self.command, env=env, stdin=subprocess.DEVNULL)
            self._started_at = time.monotonic()
        _log.info("anchoring process %d started", self._proc.pid)

    def _watch(self) -> None:
        delay: float | None = None
        while not self._stop.is_set():
            proc = self._proc
            if proc is None or proc.poll() is None:
                self._stop.wait(HEARTBEAT_S)
                continue
            lived = time.monotonic() - self._started_at
            delay = restart_delay(delay, lived)
            _log.warning(
                "the anchoring process %d exited (%s) after %.0f s: starting it again in %.0f s",
                proc.pid, proc.returncode, lived, delay,
            )  # fmt: skip
            if self._stop.wait(delay):
                return
            self._spawn()


def main() -> None:
    """Anchor for the gateway configured by ``QC_GW_*`` until told to stop or orphaned."""
    from quancheng_gateway.service import Gateway  # which imports this module

    settings = GatewaySettings()  # type: ignore[call-arg]
    configure_logging(settings.log_level)
    parent = int(os.environ.get(PARENT_ENV, "0")) or None
    directory = shared_dir()
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    gateway = Gateway(settings, anchors=True)
    anchorer = gateway.anchorer
    anchorer.start()
    _log.info("anchoring for %s (process %d)", gateway.provider, os.getpid())
    try:
        while not stop.is_set():
            if parent is not None and os.getppid() != parent:
                _log.warning("the gateway process %d is gone: the anchoring process stops", parent)
                break
            if directory is not None:
                AnchoringStatus.of(anchorer).write(directory)
            stop.wait(HEARTBEAT_S)
    finally:
        anchorer.stop()
        gateway.engine.dispose()
        gateway.data_engine.dispose()
        _log.info("the anchoring process %d has stopped", os.getpid())


if __name__ == "__main__":
    main()
