"""A uvicorn-served app of this project as a managed child process.

Gateways and the owner portal are started the same way by tests, the demo and benchmarks:
``python -m <package>`` with its settings passed as environment variables, a log file, a
start timeout that waits for ``/healthz``, and ``stop()`` (SIGTERM, then SIGKILL) /
``kill()`` (as a crash would). A server whose settings carry a TLS certificate
(``tls_cert_file``) is reached over HTTPS, trusting the CA of the ``tls`` it is given.
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
from typing import Any, ClassVar

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from quancheng.errors import QuanchengError
from quancheng.tls import TlsConfig, TlsConfigError


class ServerExited(QuanchengError):
    """The server process exited while starting."""

    code = "SERVER_EXITED"


class ServerStartTimeout(QuanchengError):
    """The server did not answer /healthz in time."""

    code = "SERVER_START_TIMEOUT"


def settings_env(settings: BaseSettings, prefix: str) -> dict[str, str]:
    """The ``{prefix}*`` variables that reproduce ``settings`` in a child process."""
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value: Any = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[f"{prefix}{name.upper()}"] = str(value)
    return env


class ManagedServer:
    """One server (``python -m MODULE``) in a child process; subclasses name the module.

    Args:
        settings: The service's settings (passed to the child as environment variables).
        log_file: Where the child's output goes.
        start_timeout: Seconds to wait for /healthz.
        stop_timeout: Seconds between SIGTERM and SIGKILL.
        extra_env: More environment variables for the child.
        tls: How to reach the server over TLS: the CA bundle its certificate is verified
            against (and a client certificate, if the probe should present one). Required
            when the settings carry a TLS certificate; exposed as :attr:`tls` for clients.

    Raises:
        TlsConfigError: The settings serve TLS and ``tls`` is None.
    """

    #: The package run with ``python -m``.
    module: ClassVar[str]
    #: The settings' environment prefix (``QC_GW_``, ``QC_PORTAL_``).
    env_prefix: ClassVar[str]
    #: Raised when the child exits while starting / does not answer in time.
    exited_error: ClassVar[type[QuanchengError]] = ServerExited
    timeout_error: ClassVar[type[QuanchengError]] = ServerStartTimeout

    def __init__(
        self,
        settings: Any,
        *,
        log_file: Path,
        start_timeout: float = 60.0,
        stop_timeout: float = 10.0,
        extra_env: dict[str, str] | None = None,
        tls: TlsConfig | None = None,
    ) -> None:
        if tls is None and self._serves_tls(settings):
            raise TlsConfigError(
                f"{type(self).__name__} serves TLS ({self.env_prefix}TLS_CERT_FILE): "
                "give tls=TlsConfig(ca_file=...) to reach it"
            )
        self.settings = settings
        self.tls = tls
        self.log_file = log_file
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.extra_env = extra_env or {}
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base URL: ``https`` when its settings carry a TLS certificate."""
        host = str(self.settings.host)
        host = f"[{host}]" if ":" in host else host  # an IPv6 address
        scheme = "https" if self._serves_tls(self.settings) else "http"
        return f"{scheme}://{host}:{self.settings.port}"

    @staticmethod
    def _serves_tls(settings: Any) -> bool:
        return getattr(settings, "tls_cert_file", None) is not None

    def build_command(self) -> list[str]:
        """The command line: the package's ``__main__`` under this interpreter."""
        return [sys.executable, "-m", self.module]

    def build_env(self) -> dict[str, str]:
        """This environment without other settings of the same prefix, plus ours."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(self.env_prefix)}
        env.update(settings_env(self.settings, self.env_prefix))
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        """Start and wait until /healthz answers (200 or 503: the server is up)."""
        if self.is_running:
            return
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                self.build_command(),
                env=self.build_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                raise self.exited_error(f"{self.module} exited with {code}: {self._tail()}")
            if self.health() is not None:
                return
            time.sleep(0.05)
        self.kill()
        raise self.timeout_error(f"no /healthz after {self.start_timeout} s: {self._tail()}")

    def health(self) -> dict[str, Any] | None:
        """/healthz as JSON (whatever its status), or None when nothing answers.

        With a ``metrics_token`` in the settings (gateways) the details come too; without,
        a gateway says only whether it is ok.
        """
        request = urllib.request.Request(self.url + "/healthz", headers=self.operator_headers())
        context = None if self.tls is None else self.tls.ssl_context()
        try:
            with urllib.request.urlopen(request, timeout=2, context=context) as resp:
                return dict(json.loads(resp.read()))
        except urllib.error.HTTPError as exc:
            with contextlib.suppress(ValueError):
                return dict(json.loads(exc.read()))
            return None
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def operator_headers(self) -> dict[str, str]:
        """``Authorization: Bearer`` with the settings' ``metrics_token``, if they have one."""
        token = getattr(self.settings, "metrics_token", None)
        if isinstance(token, SecretStr):
            token = token.get_secret_value()
        return {"Authorization": f"Bearer {token}"} if token else {}

    def stop(self) -> None:
        """SIGTERM (graceful: uvicorn drains, background threads stop); SIGKILL if stuck."""
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
