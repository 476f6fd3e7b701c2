"""An owner in real headless chromium: sign in, approve, reject, pause, resume, revoke.

Every decision is signed in the browser by the bundled SM2 library and checked on chain; the
revocation is followed by the consumer's next query at the real gateway being refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, create_engine, select

from quancheng.chain import GrantStatus
from quancheng.crypto import SM2PublicKey
from quancheng.protocol import AttestationDocument, GrantActionDocument
from quancheng_portal.models import OwnerRow
from tests.portal.browser import api, b64, click_and_confirm, sign_in, wallet_of
from tests.portal.support import (
    World,
    consumer_query,
    gateway_synced,
    request_pending,
    status_of,
)


def _card(page: Any, grant_id: str) -> Any:
    return page.locator(f"article.grant[data-grant-id='{grant_id}']")


def test_sign_in_attests_the_browser_key_and_the_private_key_never_leaves(
    world: World, page: Any
) -> None:
    person = world.person(0)
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.post_data or "") if r.method == "POST" else None)
    key_hex = sign_in(page, world, person)
    private = page.evaluate("() => Object.entries(localStorage)[0][1]")
    assert all(private.split('"privateKey":"')[1][:64] not in body for body in posted)

    pseudonym = world.pseudonym_of(person)
    owner = world.sc.net.contracts.owner(pseudonym)
    assert (owner.key_version, owner.revoked) == (1, False)
    assert "0x" + owner.sm2_public_key.hex() == key_hex
    engine = create_engine(world.settings.database_url)
    with Session(engine) as session:
        row = session.exec(
            select(OwnerRow).where(OwnerRow.pseudonym == "0x" + pseudonym.hex())
        ).one()
    engine.dispose()
    document = AttestationDocument.model_validate_json(row.attestation)
    assert (document.owner_key, document.attester) == (key_hex, world.settings.authority_code)
    authority_key = world.sc.net.committee[0].sm2.public_key()
    authority_key.verify(owner.attestation, document.canonical())  # the chain's signature
    assert person.resident_id not in row.attestation
    page.get_by_role("heading", name="待处理的授权请求").wait_for()


@pytest.mark.blocktime
def test_approve_in_the_browser_activates_the_grant(world: World, page: Any) -> None:
    person = world.person(1)
    key_hex = sign_in(page, world, person)
    doc = request_pending(world, person, key_hex, max_uses=3)
    page.reload()
    card = _card(page, doc.grant_id)
    text = card.inner_text()
    for shown in (
        "测试银行",
        "车险理赔",
        "机动车登记信息",
        "plate_no",
        "status",
        "原始数据",
        "最多使用",
    ):
        assert shown in text, shown
    result = click_and_confirm(page, card, "同意", "签名并同意", expect="已同意")
    assert "生效中" in result
    assert status_of(world, doc) is GrantStatus.ACTIVE
    record = world.sc.net.contracts.grant(bytes.fromhex(doc.grant_id[2:]))
    SM2PublicKey.from_bytes(bytes.fromhex(key_hex[2:])).verify(
        record.owner_signature, doc.canonical()
    )
    page.goto(world.portal.url + "/grants")
    assert "生效中" in _card(page, doc.grant_id).inner_text()


def test_reject_in_the_browser(world: World, page: Any) -> None:
    person = world.person(2)
    key_hex = sign_in(page, world, person)
    doc = request_pending(world, person, key_hex)
    page.reload()
    result = click_and_confirm(
        page, _card(page, doc.grant_id), "拒绝", "签名并拒绝", expect="已拒绝"
    )
    assert "已拒绝" in result
    assert status_of(world, doc) is GrantStatus.REJECTED
    assert _card(page, doc.grant_id).count() == 0


def _active(world: World, page: Any, person_index: int) -> tuple[Any, Any]:
    """A grant the owner approved with the browser's key (exported to a local wallet)."""
    person = world.person(person_index)
    key_hex = sign_in(page, world, person)
    doc = request_pending(world, person, key_hex)
    status, body = api(page, "POST", f"/api/grants/{doc.grant_id}/approve",
                       {"signature": b64(wallet_of(page).sign(doc.canonical()))})  # fmt: skip
    assert status == 200, body
    return person, doc


def test_pause_then_resume(world: World, page: Any) -> None:
    _person, doc = _active(world, page, 3)
    page.goto(world.portal.url + "/grants")
    click_and_confirm(page, _card(page, doc.grant_id), "暂停", "签名并暂停", expect="已暂停")
    assert status_of(world, doc) is GrantStatus.PAUSED
    assert "已暂停" in _card(page, doc.grant_id).inner_text()
    click_and_confirm(page, _card(page, doc.grant_id), "恢复", "签名并恢复", expect="已恢复")
    assert status_of(world, doc) is GrantStatus.ACTIVE
    history = world.sc.net.contracts.grant_history(bytes.fromhex(doc.grant_id[2:]))
    assert [c.status for c in history][-3:] == [
        GrantStatus.ACTIVE,
        GrantStatus.PAUSED,
        GrantStatus.ACTIVE,
    ]


@pytest.mark.blocktime
def test_revoke_then_the_consumers_next_query_is_refused(world: World, page: Any) -> None:
    _person, doc = _active(world, page, 4)
    gateway_synced(world)
    assert consumer_query(world, doc).status_code == 200
    page.goto(world.portal.url + "/grants")
    click_and_confirm(page, _card(page, doc.grant_id), "撤销", "签名并撤销", expect="已撤销")
    assert status_of(world, doc) is GrantStatus.REVOKED
    gateway_synced(world)
    refused = consumer_query(world, doc)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "GRANT_REVOKED"
    page.reload()
    assert "已撤销" in page.locator("table").inner_text()  # under 已结束的授权


def test_a_revocation_action_document_is_what_python_expects(world: World, page: Any) -> None:
    """The browser's canonical action document parses and re-serialises to the same bytes."""
    _person, doc = _active(world, page, 5)
    captured: list[str] = []
    page.on(
        "request",
        lambda r: captured.append(r.post_data or "") if r.url.endswith("/pause") else None,
    )
    page.goto(world.portal.url + "/grants")
    click_and_confirm(page, _card(page, doc.grant_id), "暂停", "签名并暂停", expect="已暂停")
    import base64
    import json

    sent = base64.b64decode(json.loads(captured[0])["document"])
    action = GrantActionDocument.model_validate_json(sent)
    assert action.canonical() == sent
    assert (action.action.value, action.grant_id, action.document_digest) == (
        "pause",
        doc.grant_id,
        doc.digest_hex(),
    )
