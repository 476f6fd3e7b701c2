"""Debian's headless chromium for the /docs tests (one launch for the module)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.utils.browser import headless_chromium


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from headless_chromium()
