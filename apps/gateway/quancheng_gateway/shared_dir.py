"""The directory the processes of one gateway share: metrics files, the anchoring status.

Kept apart from :mod:`quancheng_gateway.metrics` because prometheus_client decides, when it is
first imported, whether metrics live in files there: ``python -m quancheng_gateway`` must set
:data:`MULTIPROC_ENV` before anything imports it, and serving the app itself (one worker and
an anchoring process), it imports this module only.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["MULTIPROC_ENV", "shared_dir"]

#: prometheus_client reads it when it is imported: the workers must inherit it.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def shared_dir() -> Path | None:
    """The multiprocess directory, when the gateway's processes share one."""
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None
