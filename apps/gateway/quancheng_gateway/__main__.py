"""``python -m quancheng_gateway``: serve the gateway configured by ``QC_GW_*``."""

from __future__ import annotations

import sys

import uvicorn

from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.main import create_app


def main() -> None:
    # The receipt writer releases the GIL for every fsync; with the default 5 ms switch
    # interval it then waits up to 5 ms behind the busy event loop (the convoy effect).
    sys.setswitchinterval(0.0002)
    settings = GatewaySettings()  # type: ignore[call-arg]
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
