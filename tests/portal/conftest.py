"""Fixtures of the portal tests: the world (chain, gateway, portal) and a real headless browser.

The browser is Debian's chromium driven by Playwright (``executable_path=/usr/bin/chromium``,
never a downloaded browser), one fresh context — so a fresh, empty key store — per test.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from quancheng_portal.app_state import PACKAGE_DIR
from tests.portal.labelled import LabelledGateway, start_labelled_gateway
from tests.portal.production import ProdPortal, start_prod_portal
from tests.portal.support import FUNDER_INDEX, World, build_world
from tests.utils.browser import CHROMIUM, CHROMIUM_ARGS, headless_chromium

BUNDLE = PACKAGE_DIR / "static" / "vendor" / "qc-crypto.js"


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The browser crypto bundle (``cd apps/portal/web && npm ci && npm run build``)."""
    if not BUNDLE.is_file():
        pytest.fail(f"{BUNDLE} is missing: run `cd apps/portal/web && npm ci && npm run build`")
    return BUNDLE


@pytest.fixture(scope="package")
def world(
    chain_node: Any, bundle: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Chain + gateway + portal, shared by the portal tests (fresh people per test)."""
    w = build_world(
        chain_node.rpc_url,
        chain_node.dev_private_keys[FUNDER_INDEX],
        tmp_path_factory.mktemp("portal"),
    )
    try:
        yield w
    finally:
        w.portal.stop()
        w.gateway.stop()


@pytest.fixture(scope="package")
def labelled(world: World) -> Iterator[LabelledGateway]:
    """``traffic.violation`` in the world's catalogue, at a gateway that publishes Chinese
    labels of its fields and indicators (:mod:`tests.portal.labelled`)."""
    gateway = start_labelled_gateway(world)
    try:
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture(scope="package")
def prod(world: World) -> Iterator[ProdPortal]:
    """A second portal over the world's chain that behaves as in production: no demo list,
    owners get in only with their key or an enrollment code."""
    portal = start_prod_portal(world)
    try:
        yield portal
    finally:
        portal.stop()


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """Debian's headless chromium under Playwright (each launch: a new, empty profile)."""
    yield from headless_chromium()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A page in a fresh browser context (its own cookies and key store)."""
    yield from _page(chromium)


@pytest.fixture
def https_page(chromium: Any, prod: ProdPortal) -> Iterator[Any]:
    """:func:`page` for the production portal over HTTPS, in a browser of its own that accepts
    exactly that server's key (the development CA is not in chromium's trust store)."""
    cert = x509.load_pem_x509_certificate(prod.settings.tls_cert_file.read_bytes())  # type: ignore[union-attr]
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    pin = base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={pin}"],
    )  # fmt: skip
    try:
        yield from _page(browser)
    finally:
        browser.close()


def _page(chromium: Any, **options: Any) -> Iterator[Any]:
    """A page in a new context (``options``: the context's, e.g. a phone's viewport)."""
    context = chromium.new_context(
        **{"locale": "zh-CN", "timezone_id": "Asia/Shanghai",
           "viewport": {"width": 1100, "height": 900}, **options}
    )  # fmt: skip
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A refused API call logs "Failed to load resource" by itself: that is the test's subject.
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"browser errors: {errors}"
