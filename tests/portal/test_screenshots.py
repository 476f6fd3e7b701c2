"""Every page with realistic content, rendered in chromium and saved as PNG for the README.

Set ``QC_PORTAL_SCREENSHOT_DIR=docs`` to refresh ``docs/portal-*.png``; otherwise the shots go
to the test's temporary directory (the pages are still rendered and checked).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from quancheng.protocol import GrantAction, GrantActionDocument, GrantMode
from tests.portal.browser import api, b64, sign_in, wallet_of
from tests.portal.support import (
    VR,
    World,
    consumer_query,
    gateway_synced,
    request_pending,
    wait_until,
)

DL = "driving.licence"


def test_screenshots_of_every_page(world: World, page: Any, tmp_path: Path) -> None:
    out = Path(os.environ.get("QC_PORTAL_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    page.goto(world.portal.url + "/login")
    page.screenshot(path=str(out / "portal-login.png"), full_page=True)

    person = world.person(10)
    key_hex = sign_in(page, world, person)
    wallet = wallet_of(page)

    def approved(**kw: Any) -> Any:
        doc = request_pending(world, person, key_hex, **kw)
        status, body = api(page, "POST", f"/api/grants/{doc.grant_id}/approve",
                           {"signature": b64(wallet.sign(doc.canonical()))})  # fmt: skip
        assert status == 200, body
        return doc

    active = approved(max_uses=10)
    paused = approved(scope={DL: ("licence_class", "points", "status")}, purpose=4)
    revoked = approved(max_uses=5)
    for doc, action in ((paused, "pause"), (revoked, "revoke")):
        document = GrantActionDocument(
            action=GrantAction(action),
            grant_id=doc.grant_id,
            document_digest=doc.digest_hex(),
            seq=world.sc.net.contracts.decision_seq(bytes.fromhex(doc.grant_id[2:])),
            at=int(time.time()),
        )
        canonical = document.canonical()
        body_in = {"document": b64(canonical), "signature": b64(wallet.sign(canonical))}
        status, body = api(page, "POST", f"/api/grants/{doc.grant_id}/{action}", body_in)
        assert status == 200, body
    request_pending(world, person, key_hex, max_uses=3)
    derived_scope = {VR: ("brand", "model", "status"), DL: ("status",)}
    request_pending(world, person, key_hex, scope=derived_scope, purpose=4,
                    mode=GrantMode.DERIVED, max_uses=1, valid_for=7 * 86400)  # fmt: skip

    gateway_synced(world)
    # Anchor all accesses but the last (the gateway closes a batch at 4 receipts): the history
    # then shows both states.
    anchored = 2 + (4 - ((world.gateway.health() or {})["log_size"] + 2) % 4) % 4
    for _ in range(anchored):
        assert consumer_query(world, active).status_code == 200
    wait_until(lambda: (world.gateway.health() or {}).get("unanchored") == 0, 30, "anchored")
    assert consumer_query(world, active).status_code == 200

    page.goto(world.portal.url + "/requests")
    assert page.locator("article.grant").count() == 2
    page.screenshot(path=str(out / "portal-requests.png"), full_page=True)
    page.goto(world.portal.url + "/grants")
    page.screenshot(path=str(out / "portal-grants.png"), full_page=True)
    page.goto(world.portal.url + "/history")
    page.get_by_role("button", name="刷新访问记录").click()
    page.locator("#status", has_text="已刷新").wait_for()
    assert page.locator("table.history tbody tr").count() == anchored + 1
    page.screenshot(path=str(out / "portal-history.png"), full_page=True)
    page.goto(world.portal.url + "/key")
    page.locator("#local-key-state", has_text="一致").wait_for()
    page.screenshot(path=str(out / "portal-key.png"), full_page=True)
    page.goto(world.portal.url + "/requests")
    page.get_by_role("button", name="同意").first.click()
    page.locator("dialog#confirm").wait_for(state="visible")
    page.screenshot(path=str(out / "portal-approve-dialog.png"))
    page.keyboard.press("Escape")  # keyboard closes the dialog: nothing is signed
    assert sorted(p.name for p in out.glob("portal-*.png")) == [
        "portal-approve-dialog.png", "portal-grants.png", "portal-history.png", "portal-key.png",
        "portal-login.png", "portal-requests.png",
    ]  # fmt: skip
