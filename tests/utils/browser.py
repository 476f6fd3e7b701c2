"""Debian's headless chromium under Playwright, as the portal and audit-report tests drive it.

Never a downloaded browser: the suite uses ``/usr/bin/chromium`` (``make setup`` installs it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "headless_chromium"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def headless_chromium() -> Iterator[Any]:
    """A launched browser (each launch: a new, empty profile), closed when the caller ends."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail("Debian's chromium is required: apt-get install -y chromium")
    from playwright import sync_api

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
