"""The portal as a managed uvicorn subprocess (tests, the demo)."""

from __future__ import annotations

from typing import ClassVar

from quancheng.errors import QuanchengError
from quancheng_appkit.managed_server import ManagedServer
from quancheng_appkit.managed_server import settings_env as _settings_env
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
    return _settings_env(settings, PortalProcess.env_prefix)


class PortalProcess(ManagedServer):
    """The portal served by uvicorn in a child process.

    Over HTTPS when its settings carry a TLS certificate (``tls_cert_file``): give ``tls``, the
    CA bundle its certificate is verified against (:class:`ManagedServer`).
    """

    module: ClassVar[str] = "quancheng_portal"
    env_prefix: ClassVar[str] = "QC_PORTAL_"
    exited_error: ClassVar[type[QuanchengError]] = PortalExited
    timeout_error: ClassVar[type[QuanchengError]] = PortalStartTimeout
    settings: PortalSettings
