"""In real headless chromium, against the production portal (HTTPS): enter an enrollment code,
the browser makes and binds its key, sign out, and sign back in with that key."""

from __future__ import annotations

from typing import Any

from tests.portal.browser import browser_key
from tests.portal.production import ProdPortal


def test_enroll_with_a_code_then_sign_in_with_the_browser_key(
    prod: ProdPortal, https_page: Any
) -> None:
    page = https_page
    resident_id = prod.resident()
    code = prod.issue(resident_id)
    page.goto(prod.url + "/login")
    page.wait_for_selector("html[data-ready='true']")
    assert page.locator("#sign-in").count() == 0  # no demo list outside development
    page.locator("#key-slots", has_text="还没有您的签名密钥").wait_for()
    assert page.get_by_role("button", name="用密钥登录").is_disabled()

    page.get_by_role("link", name="输入开通码").click()
    page.wait_for_url("**/enroll")
    page.get_by_label("开通码").fill(code.lower())
    page.get_by_role("button", name="核验开通码并登记密钥").click()
    page.wait_for_url("**/key")
    page.locator("#status", has_text="开通成功").wait_for()
    key_hex = "0x" + browser_key(page)["publicKey"]
    assert prod.chain_key(resident_id) == (1, key_hex)
    page.locator("#local-key-state", has_text="一致").wait_for()

    page.get_by_role("button", name="退出登录", exact=True).click()
    page.wait_for_url("**/login")
    page.wait_for_selector("html[data-ready='true']")
    slot = page.locator(".key-slot")
    assert slot.count() == 1
    fingerprint = page.evaluate(
        "(k) => QCCrypto.sm3(QCCrypto.hexToBytes(k)).slice(0, 4)", key_hex[2:]
    )
    assert fingerprint in slot.inner_text()
    page.get_by_role("button", name="用密钥登录").click()
    page.wait_for_url("**/requests")
    page.get_by_role("heading", name="待处理的授权请求").wait_for()
    assert "已用密钥登录" in page.locator("header.site").inner_text()
