"""The owner's key moves between browsers only as the owner's own backup (PKCS#8 PEM)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from quancheng.chain import GrantStatus
from quancheng.crypto import SM2PrivateKey
from tests.portal.browser import browser_key, click_and_confirm, sign_in
from tests.portal.support import World, request_pending, status_of

WEB = Path(__file__).resolve().parents[2] / "apps" / "portal" / "web"


def test_a_second_browser_signs_after_importing_the_pem_backup(
    world: World, page: Any, chromium: Any
) -> None:
    person = world.person(11)
    key_hex = sign_in(page, world, person)
    page.goto(world.portal.url + "/key")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载密钥备份（PEM）").click()
    pem = Path(download.value.path()).read_text()
    assert SM2PrivateKey.from_pem(pem).public_key().to_bytes().hex() == key_hex[2:]

    other = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        second = other.new_page()
        second.goto(world.portal.url + "/login")
        second.check(f"#person-{person.key}")
        second.get_by_role("button", name="实名认证并登录").click()
        second.wait_for_url("**/key")  # attested key, but not in this browser
        second.locator("#local-key-state", has_text="没有").wait_for()
        second.fill("#import-text", SM2PrivateKey.generate().to_pem().decode())
        second.get_by_role("button", name="导入").click()
        second.locator("#status", has_text="不是您登记在链上的密钥").wait_for()
        second.fill("#import-text", pem)
        second.get_by_role("button", name="导入").click()
        second.locator("#status", has_text="密钥已导入").wait_for()
        assert "0x" + browser_key(second)["publicKey"] == key_hex

        doc = request_pending(world, person, key_hex)
        second.goto(world.portal.url + "/requests")
        card = second.locator(f"article.grant[data-grant-id='{doc.grant_id}']")
        click_and_confirm(second, card, "同意", "签名并同意", expect="已同意")
        assert status_of(world, doc) is GrantStatus.ACTIVE
    finally:
        other.close()


def test_the_served_bundle_is_the_build_of_the_locked_sources() -> None:
    if not (WEB / "node_modules" / "sm-crypto-v2").is_dir():
        pytest.skip("apps/portal/web/node_modules missing: run npm ci there to check the bundle")
    result = subprocess.run(
        ["node", "build.mjs", "--check"], cwd=WEB, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
