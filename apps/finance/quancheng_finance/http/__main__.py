"""``python -m quancheng_finance.http``: serve the credit service configured by ``QC_CREDIT_*``.

Clients are read within the bounds of ``QC_CREDIT_*`` (:mod:`quancheng_appkit.serving`); plain
HTTP only on loopback outside production (``QC_CREDIT_TLS_CERT_FILE`` / ``_KEY_FILE``).
"""

from __future__ import annotations

from quancheng_appkit.officer.serve import serve_officer
from quancheng_finance.http.config import CreditSettings
from quancheng_finance.http.main import create_app


def main() -> None:
    """Load the settings from the environment and serve until SIGTERM."""
    settings = CreditSettings()
    serve_officer(create_app(settings), settings)


if __name__ == "__main__":
    main()
