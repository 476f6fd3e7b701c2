"""The verified query's happy paths (in process): RAW, DERIVED, and what is answered."""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quancheng.crypto import SM2PublicKey
from quancheng.crypto.seal import seal
from quancheng.protocol import GrantMode
from quancheng_gateway import answering
from quancheng_gateway.core.clock import ManualClock
from quancheng_gateway.main import create_app
from tests.gateway.conftest import InProcessGateway, in_process_gateway
from tests.gateway.support import answer_data, request_stored, verify_answer
from tests.utils.readers import OPERATOR, signed_get
from tests.utils.scenario import Scenario, active_grant, gateway_settings, signed_request

VR = "vehicle.registration"


def _key(sc: Scenario) -> SM2PublicKey:
    return sc.provider.sm2.public_key()


def test_raw_query_answers_only_the_requested_granted_fields(
    scenario: Scenario, gw: InProcessGateway
) -> None:
    doc = active_grant(scenario, scenario.subjects[1], {VR: ("plate_no", "status", "brand")})
    gw.sync()
    signed = signed_request(scenario.consumer, doc, VR, ("plate_no", "status"))
    resp = gw.query(signed)
    assert resp.status_code == 200, resp.text
    answer = verify_answer(
        resp.content, signed, _key(scenario), ("plate_no", "status"), scenario.consumer.sm2
    )
    assert answer.mode is GrantMode.RAW
    assert answer.data is None and answer.sealed  # sensitivity 3: sealed
    data = answer_data(answer, scenario.consumer.sm2)
    assert all(isinstance(p, str) for p in data["plate_no"])
    assert request_stored(gw.gateway, signed.request.request_id)
    rid = answer.receipt.receipt.receipt_id
    receipt = _read(gw, scenario, f"/v1/receipts/{rid}").json()
    assert receipt["receipt"] == answer.receipt.model_dump(mode="json")


def test_derived_query_answers_only_indicators(scenario: Scenario, gw: InProcessGateway) -> None:
    doc = active_grant(
        scenario, scenario.subjects[2], {VR: ("vehicle_count",)}, mode=GrantMode.DERIVED
    )
    gw.sync()
    signed = signed_request(scenario.consumer, doc, VR, ("vehicle_count",))
    resp = gw.query(signed)
    assert resp.status_code == 200, resp.text
    answer = verify_answer(
        resp.content, signed, _key(scenario), ("vehicle_count",), scenario.consumer.sm2
    )
    assert answer.mode is GrantMode.DERIVED
    data = answer_data(answer, scenario.consumer.sm2)
    assert isinstance(data["vehicle_count"], int)
    assert data["vehicle_count"] >= 1


def test_receipt_log_pages_hold_no_personal_data(scenario: Scenario, gw: InProcessGateway) -> None:
    page = _read(gw, scenario, "/v1/receipts", from_index=0, limit=1000).json()
    assert page["total"] == len(page["receipts"]) >= 1
    assert [r["log_index"] for r in page["receipts"]] == list(range(page["total"]))
    text = str(page)
    assert not any(subject in text for subject in scenario.subjects)
    assert "鲁A" not in text


def test_resources_and_openapi_document_the_protocol(gw: InProcessGateway) -> None:
    resources = gw.client.get("/v1/resources").json()
    assert {r["resource_id"] for r in resources["resources"]} == {VR, "driving.licence"}
    assert all(r["in_catalogue"] for r in resources["resources"])
    spec = gw.client.get("/openapi.json").json()
    query = spec["paths"]["/v1/query"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "413", "500", "503"} <= set(
        query["responses"]
    )
    assert "requestBody" in query
    proof = spec["paths"]["/v1/receipts/{receipt_id}/proof"]["get"]
    assert {"200", "401", "403", "404", "409"} <= set(proof["responses"])
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ReaderToken"] == {
        "type": "apiKey", "in": "header", "name": "QC-Reader-Token",
        "description": schemes["ReaderToken"]["description"],
    }  # fmt: skip
    assert schemes["MetricsToken"]["scheme"] == "bearer"
    for path in ("/v1/receipts", "/v1/receipts/{receipt_id}", "/v1/batches/{seq}"):
        assert {"ReaderToken": []} in spec["paths"][path]["get"]["security"]
    metrics = spec["paths"]["/metrics"]["get"]["security"]
    assert {"MetricsToken": []} in metrics and {"ReaderToken": []} in metrics
    assert "security" not in spec["paths"]["/v1/resources"]["get"]
    assert gw.client.get("/docs").status_code == 200


def test_metrics_count_outcomes(gw: InProcessGateway) -> None:
    text = gw.client.get("/metrics", headers=OPERATOR).text
    assert 'qc_gateway_queries_total{outcome="OK"}' in text
    assert "qc_gateway_query_seconds_bucket" in text
    assert "qc_gateway_view_lag_seconds" in text


def test_proof_of_a_receipt_not_anchored_yet_is_refused(
    scenario: Scenario, gw: InProcessGateway
) -> None:
    from tests.gateway.support import assert_refusal_body

    doc = active_grant(scenario, scenario.subjects[15], {VR: ("plate_no",)})
    gw.sync()
    gw.gateway.anchorer.stop()
    try:
        resp = gw.query(signed_request(scenario.consumer, doc, VR, ("plate_no",)))
        receipt_id = resp.json()["receipt"]["receipt"]["receipt_id"]
        proof = _read(gw, scenario, f"/v1/receipts/{receipt_id}/proof")
        assert_refusal_body(proof, 409, "RECEIPT_NOT_ANCHORED")
        assert _read(gw, scenario, f"/v1/receipts/{receipt_id}").json()["anchored"] is False
    finally:
        gw.gateway.anchorer.start()
    gw.drain()
    assert _read(gw, scenario, f"/v1/receipts/{receipt_id}/proof").status_code == 200


def test_proofs_from_one_batch_are_read_off_its_kept_tree(
    scenario: Scenario, gw: InProcessGateway
) -> None:
    from quancheng import merkle
    from quancheng_gateway.api.routes import receipts

    doc = active_grant(scenario, scenario.subjects[16], {VR: ("plate_no",)}, max_uses=4)
    gw.sync()
    gw.gateway.anchorer.stop()
    try:
        ids = [
            gw.query(signed_request(scenario.consumer, doc, VR, ("plate_no",))).json()["receipt"][
                "receipt"
            ]["receipt_id"]
            for _ in range(3)
        ]
    finally:
        gw.gateway.anchorer.start()
    gw.drain()
    proofs = [_read(gw, scenario, f"/v1/receipts/{i}/proof").json() for i in ids]
    root = proofs[0]["batch"]["root"]
    assert root in receipts._TREES  # kept after the first proof
    for p in proofs:
        assert p["batch"]["root"] == root  # one batch
        leaf = merkle.leaf_hash(
            receipts.SignedReceipt.model_validate(p["receipt"]).canonical()
        )
        assert merkle.verify_inclusion(
            leaf, p["leaf_index"], p["batch"]["size"],
            [bytes.fromhex(h[2:]) for h in p["proof"]], bytes.fromhex(root[2:]),
        )  # fmt: skip


def _read(gw: InProcessGateway, sc: Scenario, path: str, **params: Any) -> Any:
    """GET a log route as the scenario's auditor."""
    return signed_get(gw.client, sc.auditor, path, audience=sc.provider.code, **params)


def test_a_sealed_answer_is_sealed_off_the_event_loop_and_the_pool_stops_with_the_gateway(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sealing (an SM2 encryption) runs in the gateway's sealing threads while the event loop
    goes on; the answer is the same verified, openable answer."""
    sealed_on: list[str] = []

    def recording_seal(*args: Any, **kwargs: Any) -> bytes:
        sealed_on.append(threading.current_thread().name)
        return seal(*args, **kwargs)

    monkeypatch.setattr(answering, "seal", recording_seal)
    gen = in_process_gateway(scenario, tmp_path / "sealing.db")
    own = next(gen)
    try:
        doc = active_grant(scenario, scenario.subjects[3], {VR: ("plate_no", "status")})
        own.sync()
        for _ in range(3):
            signed = signed_request(scenario.consumer, doc, VR, ("plate_no", "status"))
            resp = own.query(signed)
            assert resp.status_code == 200, resp.text
            answer = verify_answer(
                resp.content, signed, _key(scenario), ("plate_no", "status"), scenario.consumer.sm2
            )
            data = answer_data(answer, scenario.consumer.sm2)
            assert answer.sealed and set(data) == {"plate_no", "status"}
        assert len(sealed_on) == 3
        assert all(name.startswith("answer-sealing") for name in sealed_on), sealed_on
        pool = own.gateway._sealing
        assert pool is not None
    finally:
        gen.close()  # the app's lifespan ends: the gateway stops
    assert own.gateway._sealing is None
    with pytest.raises(RuntimeError):  # shut down, not left running
        pool.submit(lambda: None)


def test_a_gateway_process_keeps_its_start_up_heap_out_of_the_collectors_sight(
    scenario: Scenario, tmp_path: Path
) -> None:
    """A worker process (``app_from_env``) freezes what it holds once started: a full
    collection otherwise walks it all, tens of ms of a loaded process's every few seconds."""
    settings = gateway_settings(scenario, database_url=f"sqlite:///{tmp_path / 'heap.db'}")
    app = create_app(settings, clock=ManualClock(), configure_logs=False, freeze_heap=True)
    gc.unfreeze()  # whatever this test process froze before
    try:
        assert gc.get_freeze_count() == 0
        with TestClient(app) as client:
            # The modules, web3's and SQLAlchemy's machinery, the started gateway.
            assert gc.get_freeze_count() > 100_000
            assert client.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
