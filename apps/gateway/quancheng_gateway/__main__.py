"""``python -m quancheng_gateway``: serve the gateway configured by ``QC_GW_*``.

With ``QC_GW_WORKERS`` > 1, uvicorn runs that many worker processes on the port, each a
whole gateway on the same database: they share the receipt log as replicas do (see
docs/deployment.md, "Gateway replicas"), and one of them anchors at a time. Their metrics
are shared through prometheus_client's multiprocess files, so ``/metrics`` answers for the
whole gateway whichever worker serves it (``PROMETHEUS_MULTIPROC_DIR`` if set, else a
temporary directory; emptied at start). With ``QC_GW_ANCHOR_PROCESS`` it also starts the
anchoring process (:mod:`quancheng_gateway.anchoring`), which reports through that directory,
starts it again if it exits and stops it last. Every worker reads its clients within the bounds of
``QC_GW_*`` (:mod:`quancheng_appkit.serving`; docs/deployment.md, "Bounds").
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from quancheng_appkit.serving import serve
from quancheng_gateway.anchoring import STATUS_FILE, AnchoringSupervisor
from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.shared_dir import MULTIPROC_ENV

FACTORY = "quancheng_gateway.main:app_from_env"


def main() -> None:
    settings = GatewaySettings()  # type: ignore[call-arg]  # refuses bad settings at once
    if settings.workers <= 1 and not settings.anchor_process:
        return _serve(settings)
    given = os.environ.get(MULTIPROC_ENV)
    shared = Path(given) if given else Path(tempfile.mkdtemp(prefix="qc-gw-metrics-"))
    shared.mkdir(parents=True, exist_ok=True)
    for stale in [*shared.glob("*.db"), shared / STATUS_FILE]:  # an earlier run's values
        stale.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(shared)  # before the workers start (and import)
    # The anchoring process inherits the environment: the directory, the settings.
    anchoring = AnchoringSupervisor() if settings.anchor_process else None
    try:
        if anchoring is not None:
            anchoring.start()
        _serve(settings)
    finally:
        if anchoring is not None:
            anchoring.stop()
        if not given:
            shutil.rmtree(shared, ignore_errors=True)


def _serve(settings: GatewaySettings) -> None:
    serve(
        FACTORY,
        settings,  # header / body deadlines, header and connection caps
        factory=True,
        workers=settings.workers if settings.workers > 1 else None,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        loop="uvloop",  # http: the bounded httptools protocol of quancheng_appkit.serving
    )


if __name__ == "__main__":
    main()
