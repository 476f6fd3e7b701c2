"""The claims service over HTTP, against a real chain and the real 车管所 gateway."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from quancheng_datagen import DEFAULT_AS_OF, DemoCast
from quancheng_insurance.claims import GRANT_TEMPLATES
from quancheng_insurance.http.config import ClaimsSettings
from quancheng_insurance.http.process import ClaimsServiceProcess
from tests.insurance.test_http_support import OfficerWorld, start_world, wait_decided

pytestmark = pytest.mark.chain

FUNDER_INDEX = 10
WAN = 1_000_000


@pytest.fixture(scope="module")
def world(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfficerWorld]:
    """The claims service of a fresh insurer, with the 车管所 gateway (motor claims)."""
    w = start_world(
        chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX],
        tmp_path_factory.mktemp("claims-http"), ["quancheng_insurance.departments:vehicle"],
        ClaimsServiceProcess, ClaimsSettings,
    )  # fmt: skip
    try:
        yield w
    finally:
        w.stop()


def motor_claim(cast: DemoCast, claim_no: str) -> dict[str, Any]:
    claimant = cast.people["motor_claimant"]
    return {
        "claim_no": claim_no, "plate_no": claimant.plates[0],
        "accident_date": (DEFAULT_AS_OF - timedelta(days=5)).isoformat(),
        "assessed_loss_fen": 3 * WAN, "policy_limit_fen": 50 * WAN, "deductible_fen": 50_000,
    }  # fmt: skip


@pytest.mark.blocktime
def test_a_claim_waits_for_the_owner_then_is_decided_on_receipts_the_sdk_verifies(
    world: OfficerWorld, cast: DemoCast
) -> None:
    owner = world.enrol("resident_id", cast.people["motor_claimant"].id_number)
    body = {"kind": "motor_claim", "claim": motor_claim(cast, "CLM-H-0001"),
            "owner": {"pseudonym": "0x" + owner.pseudonym.hex()}}  # fmt: skip
    with world.http() as http:
        submitted = http.post("/v1/claims", json=body)
        assert submitted.status_code == 202, submitted.text
        case = submitted.json()
        assert (case["state"], case["decision"], case["reference"]) == (
            "waiting_for_grant",
            None,
            "CLM-H-0001",
        )
        # Nothing is decided while the owner has not approved.
        assert http.get(f"/v1/claims/{case['id']}").json()["state"] == "waiting_for_grant"
        world.approve(owner, case["grant_id"])
        decided = wait_decided(http, f"/v1/claims/{case['id']}")
    decision = decided["decision"]
    assert decided["state"] == "decided", decided
    assert (decision["outcome"], decision["amount_fen"]) == ("APPROVE", 3 * WAN - 50_000)
    assert decision["reasons"][-1]["code"] == "CHECKS_PASSED"
    receipts = decision["receipts"]
    template = GRANT_TEMPLATES["motor_claim"]
    assert [r["resource"] for r in receipts] == list(template.resources)
    with world.consumer_client() as client:
        for r in receipts:
            proof = client.wait_for_anchor(
                r["receipt_id"], endpoint=r["endpoint"], provider=r["provider"],
                timeout=60, poll_interval=0.3,
            )  # fmt: skip
            signed = proof.receipt.receipt
            assert (signed.receipt_id, signed.grant_id, signed.request_hash) == (
                r["receipt_id"],
                case["grant_id"],
                r["request_hash"],
            )
    with world.http() as http:
        again = http.get(f"/v1/claims/{case['id']}").json()
    anchors = [r["anchor"] for r in again["decision"]["receipts"]]
    assert {a["state"] for a in anchors} == {"anchored"}
    assert all(a["root"] and a["block"] for a in anchors)


@pytest.mark.blocktime
def test_a_claim_under_an_active_grant_is_decided_at_once(
    world: OfficerWorld, cast: DemoCast
) -> None:
    grant_id = _active_grant(world, cast.people["drunk_driver"].id_number, "motor_claim")
    claim = motor_claim(cast, "CLM-H-0002")
    claim["plate_no"] = cast.people["drunk_driver"].plates[0]
    with world.http() as http:
        answer = http.post("/v1/claims", json={"kind": "motor_claim", "claim": claim,
                                               "grant_id": grant_id})  # fmt: skip
    assert answer.status_code == 201, answer.text
    decision = answer.json()["decision"]
    assert (decision["outcome"], decision["amount_fen"]) == ("REJECT", 0)
    assert "DRINK_DRIVING" in [r["code"] for r in decision["reasons"]]
    assert len(decision["receipts"]) == 3


def test_invalid_claims_are_refused_with_422_and_nothing_is_recorded(
    world: OfficerWorld, cast: DemoCast
) -> None:
    with world.http() as http:
        before = http.get("/v1/claims").json()["total"]
        no_claim_no = {k: v for k, v in motor_claim(cast, "x").items() if k != "claim_no"}
        cases = [
            {"kind": "motor_claim", "claim": no_claim_no, "grant_id": "0x" + "ab" * 32},
            {"kind": "motor_claim", "claim": motor_claim(cast, "CLM-X")},  # no grant, no owner
            {
                "kind": "boat_claim",
                "claim": motor_claim(cast, "CLM-X"),
                "grant_id": "0x" + "ab" * 32,
            },
        ]
        for body in cases:
            refused = http.post("/v1/claims", json=body)
            assert refused.status_code == 422, refused.text
            assert refused.json()["error"]["code"] == "INVALID_INPUT"
        stranger = {"kind": "motor_claim", "claim": motor_claim(cast, "CLM-Y"),
                    "grant_id": "0x" + "cd" * 32}  # fmt: skip
        unknown = http.post("/v1/claims", json=stranger)
        assert unknown.status_code == 422
        assert unknown.json()["error"]["code"] == "GRANT_NOT_FOUND"
        assert http.get("/v1/claims").json()["total"] == before


def test_a_grant_of_another_kind_is_refused_as_a_mismatch(
    world: OfficerWorld, cast: DemoCast
) -> None:
    grant_id = _active_grant(world, cast.people["motor_claimant"].id_number, "motor_claim")
    life = {"claim_no": "CLM-L-1", "policy_start": "2020-01-01", "policy_end": "2030-01-01",
            "sum_insured_fen": WAN}  # fmt: skip
    with world.http() as http:
        refused = http.post("/v1/claims", json={"kind": "life_claim", "claim": life,
                                                "grant_id": grant_id})  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "GRANT_MISMATCH"
    assert "purpose" in refused.json()["error"]["message"]


def test_unknown_claim_is_404_and_no_token_is_401(world: OfficerWorld) -> None:
    with world.http() as http:
        missing = http.get("/v1/claims/999999")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "CASE_NOT_FOUND"
    for token in (None, "wrong-token-wrong-token-wrong-token-00"):
        with world.http(token) as anonymous:
            for answer in (anonymous.get("/v1/claims"), anonymous.get("/v1/claims/1"),
                           anonymous.post("/v1/claims", json={})):  # fmt: skip
                assert answer.status_code == 401
                assert answer.json()["error"]["code"] == "UNAUTHENTICATED"


def test_past_claims_are_listed_newest_first_in_pages(world: OfficerWorld, cast: DemoCast) -> None:
    owner = world.enrol("resident_id", cast.people["inpatient"].id_number)
    with world.http() as http:
        for n in range(3):  # three claims waiting for the owner
            body = {"kind": "motor_claim", "claim": motor_claim(cast, f"CLM-P-{n}"),
                    "owner": {"pseudonym": "0x" + owner.pseudonym.hex()}}  # fmt: skip
            assert http.post("/v1/claims", json=body).status_code == 202
        first = http.get("/v1/claims", params={"limit": 2}).json()
        second = http.get("/v1/claims", params={"limit": 2, "offset": 2}).json()
        waiting = http.get("/v1/claims", params={"state": "waiting_for_grant"}).json()
        too_many = http.get("/v1/claims", params={"limit": 101})
    assert [c["reference"] for c in first["items"]] == ["CLM-P-2", "CLM-P-1"]
    assert second["items"][0]["reference"] == "CLM-P-0"
    assert first["total"] == second["total"] >= 3 and (first["offset"], first["limit"]) == (0, 2)
    assert {c["state"] for c in waiting["items"]} == {"waiting_for_grant"}
    assert too_many.status_code == 422


def test_openapi_documents_every_route_with_typed_answers(world: OfficerWorld) -> None:
    with world.http(None) as http:
        spec = http.get("/openapi.json").json()
        docs = http.get("/docs")
        asset = http.get("/docs/assets/vendor/swagger-ui-bundle.js")
    # /docs is self-hosted (offline): its page names only our own assets, under its own CSP.
    assert docs.status_code == 200 and "/docs/assets/" in docs.text
    assert "cdn." not in docs.text
    assert "script-src 'self'" in docs.headers["content-security-policy"]
    assert asset.status_code == 200 and len(asset.content) > 100_000
    post = spec["paths"]["/v1/claims"]["post"]
    assert {"201", "202", "401", "409", "422", "502"} <= set(post["responses"])
    assert "GRANT_MISMATCH" in post["responses"]["422"]["description"]
    assert "INVALID_INPUT" in post["responses"]["422"]["description"]
    schemas = spec["components"]["schemas"]
    assert {"CasePublic", "DecisionPublic", "ReceiptPublic", "ErrorBody", "MotorClaim"} <= set(
        schemas
    )
    assert "HTTPValidationError" not in schemas
    get = spec["paths"]["/v1/claims/{claim_id}"]["get"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CasePublic"
    }
    assert "OperatorToken" in spec["components"]["securitySchemes"]


def _active_grant(world: OfficerWorld, id_number: str, kind: str) -> str:
    """The insurer asks (with the SDK), the owner approves: an ACTIVE grant's id."""
    template = GRANT_TEMPLATES[kind]
    owner = world.enrol("resident_id", id_number)
    with world.consumer_client() as client:
        handle = client.request_grant(
            owner.pseudonym, None, template.scope, template.purpose, template.mode,
            DEFAULT_AS_OF - timedelta(days=template.period_days), DEFAULT_AS_OF,
            valid_for=timedelta(days=1), max_uses=2,
        )  # fmt: skip
    world.approve(owner, handle.grant_id_hex)
    return handle.grant_id_hex


def test_the_officer_signs_in_submits_and_reads_a_decision_in_chromium(
    world: OfficerWorld, cast: DemoCast
) -> None:
    from tests.insurance.test_http_support import OFFICER_TOKEN
    from tests.utils.browser import headless_chromium

    grant_id = _active_grant(world, cast.people["motor_claimant"].id_number, "motor_claim")
    claim = motor_claim(cast, "CLM-WEB-1")
    for browser in headless_chromium():
        page = browser.new_page(locale="zh-CN")
        errors: list[str] = []
        page.on(
            "console", lambda m, seen=errors: seen.append(m.text) if m.type == "error" else None
        )
        page.goto(world.service.url + "/new")
        page.fill("#token", OFFICER_TOKEN)  # redirected to the sign-in page first
        page.click("button[type=submit]")
        page.goto(world.service.url + "/new?kind=motor_claim")
        for name, value in claim.items():
            page.fill(f"#f-{name}", str(value))
        page.fill("#grant_id", grant_id)
        page.click("form.card button[type=submit]")
        page.wait_for_url("**/cases/*")
        text = page.inner_text("main")
        assert "CLM-WEB-1" in text and "通过" in text and "CHECKS_PASSED" in text
        assert text.count("回执编号") == 3
        page.goto(world.service.url + "/")
        assert "CLM-WEB-1" in page.inner_text("main")
        assert not errors, errors
