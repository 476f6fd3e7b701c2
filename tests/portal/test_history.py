"""The access history: receipts read from the real gateway's log, verified, shown per access.

The gateway anchors a batch as soon as it holds 4 receipts and a partial one only after 30 s, so
the test decides which accesses are anchored when it looks, and sees both states.
"""

from __future__ import annotations

from typing import Any

from quancheng.chain.types import code32
from tests.portal.browser import api, b64, sign_in, wallet_of
from tests.portal.support import (
    World,
    anchored_accesses,
    consumer_query,
    gateway_synced,
    request_pending,
    wait_until,
)


def _health(world: World) -> dict[str, Any]:
    health = world.gateway.health()
    assert health is not None
    return health


def test_history_shows_each_access_and_whether_its_receipt_verifies(
    world: World, page: Any
) -> None:
    person = world.person(6)
    key_hex = sign_in(page, world, person)
    doc = request_pending(world, person, key_hex)
    status, body = api(page, "POST", f"/api/grants/{doc.grant_id}/approve",
                       {"signature": b64(wallet_of(page).sign(doc.canonical()))})  # fmt: skip
    assert status == 200, body
    gateway_synced(world)
    # Accesses in a batch of their own, so that all of these get anchored...
    anchored_count = anchored_accesses(world, doc)
    # ...and one more that stays in an open batch (待上链) for the next 30 s.
    assert consumer_query(world, doc).status_code == 200

    # The page reads the gateways' logs itself when it opens: no button to press.
    page.goto(world.portal.url + "/history")
    page.locator("#accesses[data-state='current']").wait_for()
    assert f"新增 {anchored_count + 1} 条" in page.inner_text("#status")
    assert "还没有机构使用过您的数据" not in page.inner_text("main")

    rows = page.locator("table.history tbody tr")
    assert rows.count() == anchored_count + 1
    newest = rows.nth(0).inner_text()
    assert "待上链" in newest and "有效" in newest
    for i in range(1, anchored_count + 1):
        text = rows.nth(i).inner_text()
        for shown in ("测试银行", "车险理赔", "机动车登记信息", "✓ 有效", "✓ 已上链"):
            assert shown in text, (shown, text)

    _status, accesses = api(page, "GET", "/api/history")
    assert [a["inclusion"] for a in accesses] == ["pending"] + ["ok"] * anchored_count
    assert {a["grant_id"] for a in accesses} == {doc.grant_id}
    provider = code32(world.sc.provider.code)
    for access in accesses[1:]:
        anchor = world.sc.net.contracts.anchor(provider, access["anchor_seq"])
        assert anchor.block_number == access["anchor_block"]

    # Three more accesses fill the open batch: it is anchored, and a refresh re-checks the
    # receipt that was pending.
    for _ in range(3):
        assert consumer_query(world, doc).status_code == 200
    wait_until(lambda: _health(world)["unanchored"] == 0, 30, "the last batch anchored")
    status, report = api(page, "POST", "/api/history/refresh")
    assert (status, report["new"], report["rechecked"]) == (200, 3, 1)
    _status, accesses = api(page, "GET", "/api/history")
    assert [a["inclusion"] for a in accesses] == ["ok"] * (anchored_count + 4)
