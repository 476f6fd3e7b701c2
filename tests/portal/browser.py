"""Driving the portal's pages in the browser, as an owner would."""

from __future__ import annotations

import base64
import json
from typing import Any

from quancheng.crypto import SM2PrivateKey
from tests.portal.support import Person, World

KEY_JS = """() => {
    const slot = Object.keys(localStorage).find((k) => k.startsWith("qc-portal:key:"));
    return slot ? JSON.parse(localStorage.getItem(slot)) : null;
}"""


def sign_in(page: Any, world: World, person: Person) -> str:
    """Sign in as ``person`` (first time: the browser makes and attests a key); the key hex."""
    page.goto(world.portal.url + "/login")
    page.check(f"#person-{person.key}")
    page.get_by_role("button", name="实名认证并登录").click()
    page.wait_for_url("**/requests")
    page.wait_for_selector("html[data-ready='true']")
    return "0x" + browser_key(page)["publicKey"]


def browser_key(page: Any) -> dict[str, str]:
    """The owner's key as the browser stores it."""
    key = page.evaluate(KEY_JS)
    assert key is not None, "no key in the browser"
    return dict(key)


def wallet_of(page: Any) -> SM2PrivateKey:
    """The browser's key exported into a local wallet (as the PEM backup would)."""
    return SM2PrivateKey.from_int(int(browser_key(page)["privateKey"], 16))


def api(page: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Call the JSON API with the page's session and CSRF token (as its script does)."""
    csrf = page.eval_on_selector('meta[name="csrf-token"]', "m => m.content")
    resp = page.request.fetch(
        page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + path, method=method,
        headers={"x-csrf-token": csrf, "content-type": "application/json"},
        data=None if body is None else json.dumps(body),
    )  # fmt: skip
    return resp.status, resp.json()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def click_and_confirm(page: Any, card: Any, button: str, confirm: str, expect: str) -> str:
    """Press a decision button on a card, confirm in the dialog, wait for ``expect`` in the
    announcement (an aria-live region) and return it."""
    card.get_by_role("button", name=button).click()
    dialog = page.locator("dialog#confirm")
    dialog.wait_for(state="visible")
    dialog.get_by_role("button", name=confirm).click()
    status = page.locator("#status", has_text=expect)
    status.wait_for()
    return str(status.inner_text())
