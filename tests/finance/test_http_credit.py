"""The credit service over HTTP, on a real chain with the real 人社, 公积金 and 水电气 gateways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from quancheng_datagen import DemoCast
from quancheng_finance.credit import GRANT_TEMPLATES
from quancheng_finance.http.config import CreditSettings
from quancheng_finance.http.process import CreditServiceProcess
from tests.insurance.test_http_support import OfficerWorld, start_world, wait_decided

pytestmark = pytest.mark.chain

FUNDER_INDEX = 11
PLUGINS = [
    "quancheng_finance.departments:social_security",
    "quancheng_finance.departments:housing_fund",
    "quancheng_finance.departments:utilities",
]


@pytest.fixture(scope="module")
def world(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfficerWorld]:
    """The credit service of a fresh bank, with the gateways personal credit reads."""
    w = start_world(
        chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX],
        tmp_path_factory.mktemp("credit-http"), PLUGINS, CreditServiceProcess, CreditSettings,
    )  # fmt: skip
    try:
        yield w
    finally:
        w.stop()


def test_an_application_waits_for_the_applicant_then_is_scored_on_verified_receipts(
    world: OfficerWorld, cast: DemoCast
) -> None:
    owner = world.enrol("resident_id", cast.people["arrears"].id_number)
    body = {"kind": "personal_credit",
            "application": {"application_no": "LOAN-H-1", "requested_fen": 10_000_000},
            "owner": {"pseudonym": "0x" + owner.pseudonym.hex()}}  # fmt: skip
    with world.http() as http:
        submitted = http.post("/v1/applications", json=body)
        assert submitted.status_code == 202, submitted.text
        case = submitted.json()
        world.approve(owner, case["grant_id"])
        decided = wait_decided(http, f"/v1/applications/{case['id']}")
    assert decided["state"] == "decided", decided
    decision = decided["decision"]
    assert decision["outcome"] in ("APPROVE", "REFER", "REJECT")
    assert decision["score"] is not None and 0 <= decision["score"] <= 1000
    assert "SOCIAL_SECURITY_ARREARS" in [r["code"] for r in decision["reasons"]]
    receipts = decision["receipts"]
    assert receipts and {r["resource"] for r in receipts} <= set(
        GRANT_TEMPLATES["personal_credit"].resources
    )
    with world.consumer_client() as client:
        for r in receipts:
            proof = client.wait_for_anchor(
                r["receipt_id"], endpoint=r["endpoint"], provider=r["provider"],
                timeout=60, poll_interval=0.3,
            )  # fmt: skip
            assert proof.receipt.receipt.request_hash == r["request_hash"]
            assert proof.receipt.receipt.grant_id == case["grant_id"]


def test_a_personal_grant_cannot_decide_an_sme_application(
    world: OfficerWorld, cast: DemoCast
) -> None:
    owner = world.enrol("resident_id", cast.people["sme_owner"].id_number)
    personal = {"kind": "personal_credit",
                "application": {"application_no": "LOAN-H-2", "requested_fen": 1_000_000},
                "owner": {"pseudonym": "0x" + owner.pseudonym.hex()}}  # fmt: skip
    with world.http() as http:
        grant_id = http.post("/v1/applications", json=personal).json()["grant_id"]
        application = {"application_no": "LOAN-H-3", "requested_fen": 1_000_000}
        sme = {"kind": "sme_credit", "grant_id": grant_id, "application": application}
        refused = http.post("/v1/applications", json=sme)
        negative = http.post("/v1/applications", json={**personal, "application": {
            "application_no": "LOAN-H-4", "requested_fen": -5}})  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "GRANT_MISMATCH"
    assert negative.status_code == 422
    assert negative.json()["error"]["code"] == "INVALID_INPUT"
    assert "requested_fen" in negative.json()["error"]["message"]


def test_unknown_application_is_404_no_token_401_and_pages_list(world: OfficerWorld) -> None:
    with world.http() as http:
        missing = http.get("/v1/applications/424242")
        page = http.get("/v1/applications", params={"limit": 1}).json()
        rest = http.get("/v1/applications", params={"limit": 1, "offset": 1}).json()
    with world.http(None) as anonymous:
        denied = anonymous.get("/v1/applications")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "CASE_NOT_FOUND")
    assert (denied.status_code, denied.json()["error"]["code"]) == (401, "UNAUTHENTICATED")
    assert page["total"] >= 2 and len(page["items"]) == 1
    assert rest["items"][0]["id"] < page["items"][0]["id"]
