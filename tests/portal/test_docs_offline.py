"""The gateway's and the portal's ``/docs`` in real chromium, cut off from all but 127.0.0.1:
Swagger UI lists every operation of each, from files the service serves itself."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from quancheng_appkit.serving.docs import DOCS_CSP
from tests.portal.support import World
from tests.serving_docs.docs_page import documented_operations, open_docs


@pytest.mark.parametrize("service", ["gateway", "portal"])
def test_docs_list_every_operation_with_no_request_off_the_machine(
    world: World, chromium: Any, service: str
) -> None:
    url = world.gateway.url if service == "gateway" else world.portal.url

    visit = open_docs(chromium, url)

    documented = documented_operations(url)
    assert len(documented) >= 5
    assert sorted(visit.operations) == documented
    assert visit.blocked == [] and visit.csp_violations == [] and visit.errors == []


def test_the_portals_docs_have_their_own_policy_and_its_pages_keep_theirs(world: World) -> None:
    docs = httpx.get(world.portal.url + "/docs", timeout=10)
    login = httpx.get(world.portal.url + "/login", timeout=10)

    assert docs.status_code == 200 and docs.headers["content-security-policy"] == DOCS_CSP
    assert login.status_code == 200
    assert login.headers["content-security-policy"].startswith("default-src 'self'; script-src")
    assert httpx.get(world.portal.url + "/redoc", timeout=10).status_code == 404
