"""The claims service as a managed uvicorn subprocess (the sandbox, tests)."""

from __future__ import annotations

from typing import ClassVar

from quancheng.errors import QuanchengError
from quancheng_appkit.managed_server import ManagedServer
from quancheng_appkit.officer.process import OfficerExited, OfficerStartTimeout
from quancheng_insurance.http.config import ClaimsSettings

__all__ = ["ClaimsServiceProcess"]


class ClaimsServiceProcess(ManagedServer):
    """The claims service served by uvicorn in a child process (``QC_CLAIMS_*`` settings).

    Over HTTPS when its settings carry a TLS certificate: give ``tls``, the CA bundle its
    certificate is verified against.
    """

    module: ClassVar[str] = "quancheng_insurance.http"
    env_prefix: ClassVar[str] = "QC_CLAIMS_"
    exited_error: ClassVar[type[QuanchengError]] = OfficerExited
    timeout_error: ClassVar[type[QuanchengError]] = OfficerStartTimeout
    settings: ClaimsSettings
