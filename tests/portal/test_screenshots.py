"""Every page with realistic content, on a phone (390 px) and a desktop (1280 px): each names
institutions, resources, fields and indicators in Chinese (codes at most as muted secondary
text), fits the window, and is saved as PNG for the docs.

Set ``QC_PORTAL_SCREENSHOT_DIR=docs`` to refresh ``docs/portal-*.png`` (1280 px) and
``docs/portal-*-390.png``; otherwise the shots go to the test's temporary directory (the pages
are still rendered and checked).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quancheng.protocol import GrantAction, GrantActionDocument, GrantMode
from tests.portal.browser import api, b64, sign_in, wallet_of
from tests.portal.conftest import _page
from tests.portal.labelled import TV, TV_FIELDS, TV_INDICATOR_LABELS, TV_INDICATORS, TV_LABELS
from tests.portal.layout import SIZES, check_layout, check_names
from tests.portal.support import (
    VR,
    VR_FIELDS,
    World,
    anchored_accesses,
    consumer_query,
    gateway_synced,
    request_pending,
)

DL = "driving.licence"
#: Who signs in at each size (each has grants of their own).
PERSON = {"1280": 10, "390": 13}
PAGES = ("login", "enroll", "requests", "grants", "history", "key", "approve-dialog")


@pytest.fixture(params=list(SIZES))
def sized(chromium: Any, request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    """(size, a page in a fresh browser context of that size)."""
    for page in _page(chromium, **SIZES[request.param]):
        yield request.param, page


def _shot(page: Any, out: Path, name: str, size: str, *, full_page: bool = True) -> None:
    suffix = "" if size == "1280" else f"-{size}"
    page.screenshot(path=str(out / f"portal-{name}{suffix}.png"), full_page=full_page)


def _act(world: World, page: Any, wallet: Any, doc: Any, action: str) -> None:
    document = GrantActionDocument(
        action=GrantAction(action), grant_id=doc.grant_id, document_digest=doc.digest_hex(),
        seq=world.sc.net.contracts.decision_seq(bytes.fromhex(doc.grant_id[2:])),
        at=int(time.time()),
    )  # fmt: skip
    canonical = document.canonical()
    body = {"document": b64(canonical), "signature": b64(wallet.sign(canonical))}
    status, answer = api(page, "POST", f"/api/grants/{doc.grant_id}/{action}", body)
    assert status == 200, answer


def test_every_page_names_things_in_chinese_and_fits_the_screen(
    world: World, labelled: Any, sized: tuple[str, Any], tmp_path: Path
) -> None:
    size, page = sized
    out = Path(os.environ.get("QC_PORTAL_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    page.goto(world.portal.url + "/login")
    page.wait_for_selector("html[data-ready='true']")
    check_layout(page, size, "login")
    _shot(page, out, "login", size)
    page.goto(world.portal.url + "/enroll")
    check_layout(page, size, "enroll")
    _shot(page, out, "enroll", size)

    person = world.person(PERSON[size])
    key_hex = sign_in(page, world, person)
    wallet = wallet_of(page)

    def approved(**kw: Any) -> Any:
        doc = request_pending(world, person, key_hex, **kw)
        status, body = api(page, "POST", f"/api/grants/{doc.grant_id}/approve",
                           {"signature": b64(wallet.sign(doc.canonical()))})  # fmt: skip
        assert status == 200, body
        return doc

    active = approved(scope={VR: VR_FIELDS, TV: TV_FIELDS}, max_uses=10)
    paused = approved(scope={TV: ("fine_fen", "points"), DL: ("licence_class", "status")},
                      purpose=4)  # fmt: skip
    revoked = approved(max_uses=5)
    _act(world, page, wallet, paused, "pause")
    _act(world, page, wallet, revoked, "revoke")
    request_pending(world, person, key_hex, scope={VR: VR_FIELDS, TV: TV_FIELDS}, max_uses=3)
    request_pending(world, person, key_hex, scope={TV: TV_INDICATORS}, purpose=4,
                    mode=GrantMode.DERIVED, max_uses=1, valid_for=7 * 86400)  # fmt: skip

    gateway_synced(world)
    # All accesses but the last anchored: the history shows both states.
    anchored = anchored_accesses(world, active)
    assert consumer_query(world, active).status_code == 200

    codes = (world.sc.consumer.code, world.sc.provider.code, VR, DL, TV, *TV_FIELDS,
             *TV_INDICATORS)  # fmt: skip
    named = ("测试银行", "交通违法、酒驾醉驾与事故记录", "机动车登记信息")

    page.goto(world.portal.url + "/requests")
    assert page.locator("article.grant").count() == 2
    check_layout(page, size, "requests")
    check_names(page, "requests", codes=codes,
                shown=(*named, *TV_LABELS.values(), *TV_INDICATOR_LABELS.values()))  # fmt: skip
    _shot(page, out, "requests", size)

    page.goto(world.portal.url + "/grants")
    check_layout(page, size, "grants")
    check_names(page, "grants", codes=codes,
                shown=(*named, *TV_LABELS.values(), "过去的授权", "已撤销"))  # fmt: skip
    assert page.locator(f"#g-{revoked.grant_id[2:10]}").is_visible()
    _shot(page, out, "grants", size)

    page.goto(world.portal.url + "/history")
    page.locator("#accesses[data-state='current']").wait_for()
    assert page.locator("table.history tbody tr").count() == anchored + 1
    check_layout(page, size, "history")
    check_names(page, "history", codes=codes,
                shown=("测试银行", "机动车登记信息", "车管所（测试）", "可读取的字段",
                       f"授权 {active.grant_id[2:10]}"))  # fmt: skip
    _shot(page, out, "history", size)

    page.goto(world.portal.url + "/key")
    page.locator("#local-key-state", has_text="一致").wait_for()
    check_layout(page, size, "key")
    _shot(page, out, "key", size)

    page.goto(world.portal.url + "/requests")
    page.get_by_role("button", name="同意").first.click()
    page.locator("dialog#confirm").wait_for(state="visible")
    check_layout(page, size, "approve dialog")
    check_names(page, "approve dialog", codes=codes,
                shown=("测试银行", "交通违法、酒驾醉驾与事故记录",
                       *TV_INDICATOR_LABELS.values()))  # fmt: skip
    assert world.sc.consumer.code in page.locator("dialog#confirm .code").first.inner_text()
    _shot(page, out, "approve-dialog", size, full_page=False)
    page.keyboard.press("Escape")  # keyboard closes the dialog: nothing is signed
    suffix = "" if size == "1280" else f"-{size}"
    assert {f"portal-{name}{suffix}.png" for name in PAGES} <= {p.name for p in out.glob("*.png")}
