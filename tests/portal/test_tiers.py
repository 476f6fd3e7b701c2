"""The owner sees a grant's tier in plain Chinese, is warned what a domain grant allows, and
the history shows each access's own purpose (over HTTP, against the real gateway)."""

from __future__ import annotations

import httpx
import pytest

from quancheng.protocol import Purpose
from quancheng_portal.services.labels import receipt_tier_label, tier_label, tier_warning
from tests.portal.support import VR, VR_FIELDS, World, gateway_synced, request_pending
from tests.portal.test_api import _b64, sign_in
from tests.utils.scenario import signed_request

YEAR = 365 * 86_400


@pytest.mark.parametrize(
    ("purpose", "label", "warned"),
    [
        (Purpose.MOTOR_CLAIM, "依场景授权：车险理赔", False),
        (Purpose.CREDIT_DOMAIN, "分领域授权：信贷领域（小微企业信贷、个人信贷、贷后管理）", True),
        (Purpose.COMPREHENSIVE, "综合授权（所有场景）", True),
    ],
)
def test_each_tier_is_named_plainly(purpose: Purpose, label: str, warned: bool) -> None:
    assert tier_label(purpose) == label
    assert (tier_warning(purpose) is not None) is warned
    assert receipt_tier_label(purpose.tier.name) == label.split("：")[0].split("（")[0]


def test_a_credit_domain_grant_is_shown_with_its_tier_and_a_warning_and_each_use_with_its_purpose(
    world: World,
) -> None:
    owner = sign_in(world, world.person(12))
    doc = request_pending(
        world, owner.person, owner.key_hex, purpose=Purpose.CREDIT_DOMAIN, valid_for=YEAR
    )
    label = "分领域授权：信贷领域（小微企业信贷、个人信贷、贷后管理）"

    requests = owner.client.get("/requests").text
    assert f"请求授权 · {label}" in requests
    assert (
        "机构可以把这些数据用于该领域的任何一种用途（小微企业信贷、个人信贷、贷后管理）" in requests
    )

    resp = owner.post(
        f"/api/grants/{doc.grant_id}/approve", {"signature": _b64(owner.key.sign(doc.canonical()))}
    )
    assert resp.status_code == 200, resp.text
    assert label in owner.client.get("/grants").text

    gateway_synced(world)
    for purpose in (Purpose.SME_CREDIT, Purpose.PERSONAL_CREDIT):
        signed = signed_request(world.sc.consumer, doc, VR, VR_FIELDS, purpose=purpose)
        sent = httpx.post(
            world.gateway.url + "/v1/query", content=signed.model_dump_json(), timeout=15
        )
        assert sent.status_code == 200, sent.text
    assert owner.post("/api/history/refresh").status_code == 200
    accesses = owner.client.get("/api/history").json()
    assert sorted((a["purpose_label"], a["tier_label"], a["signature"]) for a in accesses) == [
        ("个人信贷", "分领域授权", "ok"),
        ("小微企业信贷", "分领域授权", "ok"),
    ]
    owner.client.close()
