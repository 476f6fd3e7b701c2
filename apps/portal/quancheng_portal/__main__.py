"""``python -m quancheng_portal``: serve the portal on ``QC_PORTAL_HOST``:``QC_PORTAL_PORT``.

Clients are read within the bounds of ``QC_PORTAL_*`` (:mod:`quancheng_appkit.serving`).
"""

from __future__ import annotations

import logging

from quancheng_appkit.serving import serve
from quancheng_portal.core.config import PortalSettings
from quancheng_portal.main import create_app


def main() -> None:
    """Load the settings from the environment and serve until SIGTERM."""
    settings = PortalSettings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    app = create_app(settings)
    serve(app, settings, host=settings.host, port=settings.port,
          log_level=settings.log_level.lower(), access_log=False)  # fmt: skip


if __name__ == "__main__":
    main()
