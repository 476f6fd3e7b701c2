"""Every service's ``/docs`` served by the service itself: Swagger UI with no request elsewhere.

FastAPI's own ``/docs`` loads Swagger UI from a CDN and its icon from FastAPI's site: neither
is reachable from a department's network, and the services' CSPs refuse them anyway.
:func:`install_offline_docs` puts in its place a page that loads only what the service serves
at ``/docs/assets``: Swagger UI as published in npm ``swagger-ui-dist`` (pinned in
``apps/appkit/web``, copied at build time by ``make setup``) and a start script of our own,
each pinned again by subresource integrity, under a CSP of its own (:data:`DOCS_CSP`) that
allows the service's own files and nothing else: no inline script, no other origin.

ReDoc is dropped (``/redoc`` answers 404): it needs web workers from ``blob:`` URLs, inline
styles and web fonts, which a strict CSP refuses; Swagger UI shows the same document.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from quancheng.errors import ConfigError

__all__ = [
    "ASSETS_DIR",
    "ASSETS_PATH",
    "DOCS_CSP",
    "DOCS_PATH",
    "DocsAssetsMissing",
    "DocsWithoutOpenApi",
    "install_offline_docs",
]

_log = logging.getLogger("quancheng_appkit.serving.docs")

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
#: The vendored Swagger UI (``vendor/``, built) and the start script (``init.js``).
ASSETS_DIR = Path(__file__).resolve().parent / "docs_static"
#: The docs page's own policy: scripts, styles and the document from the service only;
#: ``data:`` images are the icons Swagger UI's stylesheet carries inline.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: What the page loads, by role, relative to the assets directory.
_STYLE, _BUNDLE, _START = "vendor/swagger-ui.css", "vendor/swagger-ui-bundle.js", "init.js"
_ICON = "vendor/favicon-32x32.png"
#: FastAPI's own documentation routes, all replaced.
_FASTAPI_DOCS = ("docs_url", "swagger_ui_oauth2_redirect_url", "redoc_url")


class DocsAssetsMissing(ConfigError):
    """The Swagger UI files are not where the docs page loads them from (not built yet)."""

    code = "DOCS_ASSETS_MISSING"

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            f"the API documentation's Swagger UI files are not built ({', '.join(missing)} "
            "missing): run `make setup`, or `cd apps/appkit/web && npm ci && npm run build`"
        )


class DocsWithoutOpenApi(ConfigError):
    """The app serves no OpenAPI document, so ``/docs`` would have nothing to show."""

    code = "DOCS_WITHOUT_OPENAPI"

    def __init__(self, title: str) -> None:
        self.title = title
        super().__init__(
            f"{title!r} serves no OpenAPI document (openapi_url=None): keep FastAPI's "
            "openapi_url, or do not install the docs"
        )


def install_offline_docs(app: FastAPI, *, assets_dir: Path = ASSETS_DIR) -> None:
    """Serve ``/docs`` from ``app`` itself, in place of FastAPI's CDN page and of ReDoc.

    The page answers 503 ``DOCS_ASSETS_MISSING`` (and the service logs a warning when it
    starts) until the Swagger UI files are built; the rest of the service is not affected.

    Raises:
        DocsWithoutOpenApi: ``app.openapi_url`` is None.
    """
    if app.openapi_url is None:
        raise DocsWithoutOpenApi(app.title)
    replaced = {getattr(app, name) for name in _FASTAPI_DOCS} - {None}
    app.router.routes[:] = [
        route for route in app.router.routes
        if isinstance(route, APIRoute) or not (isinstance(route, Route) and route.path in replaced)
    ]  # fmt: skip
    app.docs_url, app.swagger_ui_oauth2_redirect_url, app.redoc_url = DOCS_PATH, None, None
    page = _DocsPage(app.title, app.openapi_url, assets_dir)
    try:
        page.integrity()
    except DocsAssetsMissing as exc:
        _log.warning("%s: %s", exc.code, exc)
    app.mount(ASSETS_PATH, StaticFiles(directory=assets_dir), name="docs-assets")
    app.add_route(DOCS_PATH, page.respond, include_in_schema=False)


class _DocsPage:
    """The ``/docs`` page: Swagger UI over the app's OpenAPI document."""

    def __init__(self, title: str, openapi_url: str, assets_dir: Path) -> None:
        self.title, self.openapi_url, self.assets_dir = title, openapi_url, assets_dir
        self._integrity: dict[str, str] | None = None

    def integrity(self) -> dict[str, str]:
        """Each loaded file's subresource integrity (read once they are all there).

        Raises:
            DocsAssetsMissing: A file the page loads is not there.
        """
        if self._integrity is None:
            files = (_STYLE, _BUNDLE, _START, _ICON)
            missing = [name for name in files if not (self.assets_dir / name).is_file()]
            if missing:
                raise DocsAssetsMissing(missing)
            loaded = (_STYLE, _BUNDLE, _START)  # an icon link takes no integrity
            self._integrity = {name: _sri(self.assets_dir / name) for name in loaded}
        return self._integrity

    async def respond(self, request: Request) -> Response:
        """The page under :data:`DOCS_CSP`, or 503 ``DOCS_ASSETS_MISSING``."""
        try:
            integrity = self.integrity()
        except DocsAssetsMissing as exc:
            body = {"error": {"code": exc.code, "message": str(exc),
                              "details": {"missing": exc.missing}}}  # fmt: skip
            return JSONResponse(body, status_code=503)
        root = str(request.scope.get("root_path", "")).rstrip("/")
        headers = {"content-security-policy": DOCS_CSP, "cache-control": "no-cache"}
        return HTMLResponse(self.html(root, integrity), headers=headers)

    def html(self, root: str, integrity: dict[str, str]) -> str:
        """The page, with every URL under the app's ``root_path``."""

        def asset(name: str) -> str:
            return html.escape(f"{root}{ASSETS_PATH}/{name}")

        def sri(name: str) -> str:
            return html.escape(integrity[name])

        title = html.escape(self.title)
        openapi = html.escape(root + self.openapi_url)
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — API</title>
<link rel="icon" type="image/png" href="{asset(_ICON)}">
<link rel="stylesheet" href="{asset(_STYLE)}" integrity="{sri(_STYLE)}">
</head>
<body>
<noscript>This page needs JavaScript. The OpenAPI document is at
<a href="{openapi}">{openapi}</a>.</noscript>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{asset(_BUNDLE)}" integrity="{sri(_BUNDLE)}"></script>
<script src="{asset(_START)}" integrity="{sri(_START)}"></script>
</body>
</html>
"""


def _sri(path: Path) -> str:
    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode("ascii")
