"""``/docs`` from the service itself: Swagger UI with nothing loaded from elsewhere.

A small app stands in for a service here (the gateway's and the portal's own pages are
opened in :mod:`tests.portal.test_docs_offline`): the page, its CSP and integrity pins, the
refusal while the assets are not built, and the page in real chromium cut off from
everything but 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from quancheng_appkit.serving.docs import (
    ASSETS_DIR,
    DOCS_CSP,
    DocsWithoutOpenApi,
    install_offline_docs,
)
from tests.sdk.client.gateway_double import ServerThread
from tests.serving_docs.docs_page import documented_operations, open_docs

_LOADED = re.compile(r'(?:src|href)="([^"]+)"(?: integrity="([^"]+)")?')


class Claim(BaseModel):
    policy: str


def _service(**options: Any) -> FastAPI:
    """A service of three operations, with the offline docs."""
    app = FastAPI(title="测试服务 <docs>", **options)

    @app.get("/v1/claims/{claim_id}")
    def get_claim(claim_id: str) -> Claim:
        """One claim."""
        return Claim(policy=claim_id)

    @app.post("/v1/claims")
    def submit(claim: Claim) -> Claim:
        """Submit a claim."""
        return claim

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        """Up or not."""
        return {"ok": True}

    return app


@pytest.fixture(scope="module")
def built() -> Path:
    """The vendored Swagger UI (``cd apps/appkit/web && npm ci && npm run build``)."""
    if not (ASSETS_DIR / "vendor" / "swagger-ui-bundle.js").is_file():
        pytest.fail(f"{ASSETS_DIR}/vendor is missing: run `cd apps/appkit/web && npm ci && "
                    "npm run build`")  # fmt: skip
    return ASSETS_DIR


@pytest.fixture
def client(built: Path) -> Iterator[TestClient]:
    app = _service()
    install_offline_docs(app)
    with TestClient(app) as c:
        yield c


def test_the_docs_page_loads_only_the_services_own_files_each_pinned(client: TestClient) -> None:
    page = client.get("/docs")

    assert page.status_code == 200
    assert page.headers["content-security-policy"] == DOCS_CSP
    loaded = _LOADED.findall(page.text)
    assert [url for url, _ in loaded] == [
        "/docs/assets/vendor/favicon-32x32.png", "/docs/assets/vendor/swagger-ui.css",
        "/openapi.json", "/docs/assets/vendor/swagger-ui-bundle.js", "/docs/assets/init.js",
    ]  # fmt: skip
    assert 'data-openapi-url="/openapi.json"' in page.text
    assert "<script>" not in page.text  # no inline script: the CSP allows none
    for url, integrity in loaded:
        if integrity:  # the browser refuses a file whose bytes are not the pinned ones
            served = client.get(url)
            assert served.status_code == 200, url
            digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
            assert integrity == f"sha384-{digest}", url


def test_the_csp_allows_nothing_but_the_service_itself() -> None:
    directives = dict(d.strip().split(" ", 1) for d in DOCS_CSP.split(";"))
    assert directives["default-src"] == "'none'"
    for name in ("script-src", "style-src", "connect-src"):
        assert directives[name] == "'self'", name
    assert directives["img-src"] == "'self' data:"  # Swagger UI's icons are inline SVG
    assert "unsafe" not in DOCS_CSP and "http" not in DOCS_CSP


def test_fastapis_cdn_page_and_redoc_are_gone(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "cdn.jsdelivr.net" not in page and "fastapi.tiangolo.com" not in page
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404
    assert client.get("/docs/assets/vendor/LICENSE").status_code == 200  # Apache-2.0, served
    # The docs' own routes are not documented as the service's.
    paths = {"/v1/claims/{claim_id}", "/v1/claims", "/healthz"}
    assert set(client.get("/openapi.json").json()["paths"]) == paths


def test_behind_a_path_prefix_every_url_carries_it(built: Path) -> None:
    app = _service()
    install_offline_docs(app)
    with TestClient(app, root_path="/claims") as c:
        page = c.get("/docs").text
    urls = [url for url, _ in _LOADED.findall(page)]
    assert urls and all(url.startswith("/claims/") for url in urls), urls
    assert 'data-openapi-url="/claims/openapi.json"' in page


def test_unbuilt_assets_refuse_the_docs_only_naming_the_fix(
    built: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copy(built / "init.js", tmp_path / "init.js")  # as a checkout before `make setup`
    app = _service()
    with caplog.at_level(logging.WARNING, logger="quancheng_appkit.serving.docs"):
        install_offline_docs(app, assets_dir=tmp_path)
    assert "DOCS_ASSETS_MISSING" in caplog.text  # said when the service starts

    with TestClient(app) as c:
        refused = c.get("/docs")
        assert c.get("/healthz").json() == {"ok": True}  # the service itself is unaffected
    assert refused.status_code == 503
    error = refused.json()["error"]
    assert error["code"] == "DOCS_ASSETS_MISSING"
    assert "npm run build" in error["message"] and "make setup" in error["message"]
    assert error["details"]["missing"] == [
        "vendor/swagger-ui.css", "vendor/swagger-ui-bundle.js", "vendor/favicon-32x32.png",
    ]  # fmt: skip


def test_an_app_without_an_openapi_document_is_refused() -> None:
    with pytest.raises(DocsWithoutOpenApi, match="openapi_url"):
        install_offline_docs(_service(openapi_url=None))


# ------------------------------------------------------------------------------ chromium


def test_the_docs_render_every_operation_with_no_request_off_the_machine(
    built: Path, chromium: Any
) -> None:
    app = _service()
    install_offline_docs(app)
    server = ServerThread(app).start()
    try:
        visit = open_docs(chromium, server.url, try_path="/healthz")
        documented = documented_operations(server.url)
    finally:
        server.stop()

    assert sorted(visit.operations) == documented == [
        ("GET", "/healthz"), ("GET", "/v1/claims/{claim_id}"), ("POST", "/v1/claims"),
    ]  # fmt: skip
    assert visit.blocked == [] and visit.csp_violations == [] and visit.errors == []
    assert visit.requested[0] == server.url + "/docs"
    assert visit.tried_status == "200"  # "Try it out" reaches the service under the CSP


def test_fastapis_own_page_asks_the_cdn_and_shows_nothing_here(chromium: Any) -> None:
    """The control: the same harness catches the page this module replaces."""
    server = ServerThread(_service()).start()
    try:
        visit = open_docs(chromium, server.url, expect_operations=False)
    finally:
        server.stop()

    assert any("cdn.jsdelivr.net" in url for url in visit.blocked), visit.requested
    assert visit.operations == []
