"""The access history is current when opened, says what each access could read under which
grant, and keeps accesses and grants once the grant is revoked."""

from __future__ import annotations

from typing import Any

from tests.portal.browser import api, b64, click_and_confirm, sign_in, wallet_of
from tests.portal.support import (
    VR_FIELDS,
    World,
    consumer_query,
    gateway_synced,
    request_pending,
)

EMPTY = "还没有机构使用过您的数据"


def _open_history(page: Any, world: World) -> Any:
    """Open the history page and wait until it has read the gateways; its rows."""
    page.goto(world.portal.url + "/history")
    page.locator("#accesses[data-state='current']").wait_for()
    return page.locator("table.history tbody tr")


def test_an_access_served_after_the_last_look_is_shown_on_opening_the_page(
    world: World, page: Any
) -> None:
    person = world.person(14)
    key_hex = sign_in(page, world, person)
    doc = request_pending(world, person, key_hex)
    status, body = api(page, "POST", f"/api/grants/{doc.grant_id}/approve",
                       {"signature": b64(wallet_of(page).sign(doc.canonical()))})  # fmt: skip
    assert status == 200, body
    gateway_synced(world)

    assert _open_history(page, world).count() == 0
    assert page.locator("#accesses .empty").is_visible()  # said once it is known, not before

    assert consumer_query(world, doc).status_code == 200
    rows = _open_history(page, world)  # opened again; the refresh button is never pressed
    assert rows.count() == 1
    assert not page.locator("#accesses .empty").is_visible()
    row = rows.first.inner_text()
    short = doc.grant_id[2:10]
    for shown in ("测试银行", "机动车登记信息", f"授权 {short}（生效中）", "可读取的字段"):
        assert shown in row, (shown, row)
    assert [c.inner_text() for c in rows.first.locator(".read-items .code").all()] == list(
        VR_FIELDS
    )  # the test department publishes no labels: its codes, muted

    page.get_by_role("button", name="刷新访问记录").click()  # still there, for later
    page.locator("#status", has_text="已刷新").wait_for()
    assert "新增 0 条" in page.inner_text("#status")
    assert rows.count() == 1

    _status, accesses = api(page, "GET", "/api/history")
    read = [(a["grant_short_id"], a["mode"], [i["code"] for i in a["items"]]) for a in accesses]
    assert read == [(short, "RAW", list(VR_FIELDS))]

    # Revoked: the grant moves to 过去的授权, and its access stays in the history.
    page.goto(world.portal.url + "/grants")
    card = page.locator(f"article.grant[data-grant-id='{doc.grant_id}']")
    click_and_confirm(page, card, "撤销", "签名并撤销", "已撤销")
    past = page.locator(".past-grants")
    assert "已撤销" in past.locator(f"#g-{short}").inner_text()
    rows = _open_history(page, world)
    assert rows.count() == 1
    assert f"授权 {short}（已撤销）" in rows.first.inner_text()
    page.locator(f"a[href='/grants#g-{short}']").click()
    page.wait_for_url(f"**/grants#g-{short}")
    assert page.locator(f"#g-{short}").is_visible()
