"""Opening a service's ``/docs`` in real chromium with no way out of 127.0.0.1.

Every request the page makes is let through only to 127.0.0.1 (the machine has no internet
anyway; this proves the page asks for nothing else), and the page records each CSP violation,
so a test sees both what the page could not load and what it tried to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

#: Recorded in the page before any of its scripts runs.
_WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.effectiveDirective} ${e.blockedURI}`));
"""
_OPERATIONS = """() => [...document.querySelectorAll(".opblock")].map((op) => [
  op.querySelector(".opblock-summary-method").textContent.trim(),
  op.querySelector(".opblock-summary-path").dataset.path,
])"""
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@dataclass
class DocsVisit:
    """What the page showed and did."""

    #: (METHOD, path) of every operation Swagger UI lists.
    operations: list[tuple[str, str]]
    #: Every URL the page requested, in order.
    requested: list[str] = field(default_factory=list)
    #: Requests refused for leaving 127.0.0.1.
    blocked: list[str] = field(default_factory=list)
    #: CSP violations (directive and blocked URI).
    csp_violations: list[str] = field(default_factory=list)
    #: Script errors and console errors.
    errors: list[str] = field(default_factory=list)
    #: The status Swagger UI showed for the operation tried out, if one was.
    tried_status: str | None = None


def open_docs(
    browser: Any, base_url: str, *, expect_operations: bool = True, try_path: str | None = None
) -> DocsVisit:
    """Open ``{base_url}/docs``, wait for Swagger UI's operations list (or, when none is
    expected, for the network to go quiet) and report the visit.

    ``try_path``: a GET without parameters to run from the page ("Try it out", "Execute").
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    visit = DocsVisit(operations=[])

    def only_loopback(route: Any) -> None:
        url = route.request.url
        visit.requested.append(url)
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith("data:"):
            route.continue_()
        else:
            visit.blocked.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", only_loopback)
    context.add_init_script(_WATCH_CSP)
    page = context.new_page()
    page.on("pageerror", lambda exc: visit.errors.append(str(exc)))
    page.on("console", lambda m: visit.errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(base_url + "/docs")
        if expect_operations:
            page.locator(".opblock").first.wait_for()
        else:
            page.wait_for_load_state("networkidle")
        visit.operations = [(m, p) for m, p in page.evaluate(_OPERATIONS)]
        if try_path is not None:
            visit.tried_status = _try_out(page, try_path)
        visit.csp_violations = list(page.evaluate("window.__csp"))
    finally:
        context.close()
    return visit


def _try_out(page: Any, path: str) -> str:
    """Run ``GET path`` from its operation block; the status the page shows."""
    block = page.locator(".opblock-get", has=page.locator(f'[data-path="{path}"]'))
    block.locator(".opblock-summary").first.click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    return str(status.inner_text()).strip()


def documented_operations(base_url: str) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the service's OpenAPI document, sorted."""
    spec = httpx.get(base_url + "/openapi.json", timeout=10).raise_for_status().json()
    return sorted(
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in _METHODS
    )
