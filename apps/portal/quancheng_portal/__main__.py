"""``python -m quancheng_portal``: serve the portal on ``QC_PORTAL_HOST``:``QC_PORTAL_PORT``."""

from __future__ import annotations

import logging

import uvicorn

from quancheng_portal.core.config import PortalSettings
from quancheng_portal.main import create_app


def main() -> None:
    """Load the settings from the environment and serve until SIGTERM."""
    settings = PortalSettings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                access_log=False)  # fmt: skip


if __name__ == "__main__":
    main()
