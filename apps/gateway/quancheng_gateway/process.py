"""A gateway as a managed uvicorn subprocess (tests, the demo, benchmarks)."""

from __future__ import annotations

from typing import ClassVar

from quancheng.errors import GatewayError, QuanchengError
from quancheng_appkit.managed_server import ManagedServer
from quancheng_appkit.managed_server import settings_env as _settings_env
from quancheng_gateway.core.config import GatewaySettings

__all__ = ["GatewayExited", "GatewayProcess", "GatewayStartTimeout", "settings_env"]


class GatewayExited(GatewayError):
    """The gateway process exited while starting."""

    code = "GATEWAY_EXITED"


class GatewayStartTimeout(GatewayError):
    """The gateway did not answer /healthz in time."""

    code = "GATEWAY_START_TIMEOUT"


def settings_env(settings: GatewaySettings) -> dict[str, str]:
    """The ``QC_GW_*`` variables that reproduce ``settings`` in a child process."""
    return _settings_env(settings, GatewayProcess.env_prefix)


class GatewayProcess(ManagedServer):
    """One gateway served by uvicorn in a child process.

    Over HTTPS when its settings carry a TLS certificate (``tls_cert_file``): give ``tls``, the
    CA bundle its certificate is verified against (:class:`ManagedServer`).
    """

    module: ClassVar[str] = "quancheng_gateway"
    env_prefix: ClassVar[str] = "QC_GW_"
    exited_error: ClassVar[type[QuanchengError]] = GatewayExited
    timeout_error: ClassVar[type[QuanchengError]] = GatewayStartTimeout
    settings: GatewaySettings
