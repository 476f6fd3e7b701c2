"""``python -m quancheng_gateway``: serve the gateway configured by ``QC_GW_*``.

With ``QC_GW_WORKERS`` > 1, uvicorn runs that many worker processes on the port, each a
whole gateway on the same database: they share the receipt log as replicas do (see
docs/deployment.md, "Gateway replicas"), and one of them anchors at a time.
"""

from __future__ import annotations

import uvicorn

from quancheng_gateway.core.config import GatewaySettings

FACTORY = "quancheng_gateway.main:app_from_env"


def main() -> None:
    settings = GatewaySettings()  # type: ignore[call-arg]  # refuses bad settings at once
    uvicorn.run(
        FACTORY,
        factory=True,
        workers=settings.workers if settings.workers > 1 else None,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
