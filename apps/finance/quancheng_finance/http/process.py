"""The credit service as a managed uvicorn subprocess (the sandbox, tests)."""

from __future__ import annotations

from typing import ClassVar

from quancheng.errors import QuanchengError
from quancheng_appkit.managed_server import ManagedServer
from quancheng_appkit.officer.process import OfficerExited, OfficerStartTimeout
from quancheng_finance.http.config import CreditSettings

__all__ = ["CreditServiceProcess"]


class CreditServiceProcess(ManagedServer):
    """The credit service served by uvicorn in a child process (``QC_CREDIT_*`` settings).

    Over HTTPS when its settings carry a TLS certificate: give ``tls``, the CA bundle its
    certificate is verified against.
    """

    module: ClassVar[str] = "quancheng_finance.http"
    env_prefix: ClassVar[str] = "QC_CREDIT_"
    exited_error: ClassVar[type[QuanchengError]] = OfficerExited
    timeout_error: ClassVar[type[QuanchengError]] = OfficerStartTimeout
    settings: CreditSettings
