"""The officer services as managed child processes: their start errors."""

from __future__ import annotations

from quancheng.errors import QuanchengError

__all__ = ["OfficerExited", "OfficerStartTimeout"]


class OfficerExited(QuanchengError):
    """The officer service's process exited while starting."""

    code = "OFFICER_SERVICE_EXITED"


class OfficerStartTimeout(QuanchengError):
    """The officer service did not answer /healthz in time."""

    code = "OFFICER_SERVICE_START_TIMEOUT"
