"""``python -m quancheng_insurance.http``: serve the claims service configured by ``QC_CLAIMS_*``.

Clients are read within the bounds of ``QC_CLAIMS_*`` (:mod:`quancheng_appkit.serving`); plain
HTTP only on loopback outside production (``QC_CLAIMS_TLS_CERT_FILE`` / ``_KEY_FILE``).
"""

from __future__ import annotations

from quancheng_appkit.officer.serve import serve_officer
from quancheng_insurance.http.config import ClaimsSettings
from quancheng_insurance.http.main import create_app


def main() -> None:
    """Load the settings from the environment and serve until SIGTERM."""
    settings = ClaimsSettings()
    serve_officer(create_app(settings), settings)


if __name__ == "__main__":
    main()
