"""The portal as a managed uvicorn subprocess (tests, the demo).

Like :class:`quancheng_node.process.HardhatNode`: ``build_command()``, ``build_env()``, a
start timeout, a log file, ``start()`` / ``stop()`` / ``kill()`` / ``is_running``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from quancheng.errors import QuanchengError
from quancheng_portal.core.config import PortalSettings

__all__ = ["PortalExited", "PortalProcess", "PortalStartTimeout", "settings_env"]


class PortalExited(QuanchengError):
    """The portal process exited while starting."""

    code = "PORTAL_EXITED"


class PortalStartTimeout(QuanchengError):
    """The portal did not answer /healthz in time."""

    code = "PORTAL_START_TIMEOUT"


def settings_env(settings: PortalSettings) -> dict[str, str]:
    """The ``QC_PORTAL_*`` variables that reproduce ``settings`` in a child process."""
    env: dict[str, str] = {}
    for name in PortalSettings.model_fields:
        value: Any = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[f"QC_PORTAL_{name.upper()}"] = str(value)
    return env


class PortalProcess:
    """The portal served by uvicorn in a child process."""

    def __init__(
        self, settings: PortalSettings, *, log_file: Path, start_timeout: float = 60.0,
        stop_timeout: float = 10.0, extra_env: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.log_file = log_file
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.extra_env = extra_env or {}
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The portal's base URL."""
        return f"http://{self.settings.host}:{self.settings.port}"

    def build_command(self) -> list[str]:
        """The command line: the package's ``__main__`` under this interpreter."""
        return [sys.executable, "-m", "quancheng_portal"]

    def build_env(self) -> dict[str, str]:
        """This process's environment without other ``QC_PORTAL_*``, plus the settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("QC_PORTAL_")}
        env.update(settings_env(self.settings))
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        """Start and wait until /healthz answers (200 or 503: the server is up).

        Raises:
            PortalExited: It exited while starting (the log's tail is in the message).
            PortalStartTimeout: No answer within ``start_timeout``.
        """
        if self.is_running:
            return
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                self.build_command(), env=self.build_env(), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                raise PortalExited(f"portal exited with {code}: {self._tail()}")
            if self.health() is not None:
                return
            time.sleep(0.05)
        self.kill()
        raise PortalStartTimeout(f"no /healthz after {self.start_timeout} s: {self._tail()}")

    def health(self) -> dict[str, Any] | None:
        """/healthz as JSON (whatever its status), or None when nothing answers."""
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                return dict(json.loads(resp.read()))
        except urllib.error.HTTPError as exc:
            with contextlib.suppress(ValueError):
                return dict(json.loads(exc.read()))
            return None
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def stop(self) -> None:
        """SIGTERM (uvicorn drains); SIGKILL after ``stop_timeout``."""
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._proc = None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()
        self._proc.wait(5)
        self._proc = None

    @property
    def is_running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's pid while it runs."""
        return self._proc.pid if self.is_running and self._proc else None

    def _tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
