"""Grant changes on chain reach the gateway's view without a chain call per query."""

from __future__ import annotations

import time

import pytest

from quancheng.chain.types import code32
from quancheng.protocol import GrantAction
from tests.gateway.conftest import InProcessGateway
from tests.gateway.support import assert_refusal_body
from tests.utils.scenario import Scenario, act, active_grant, signed_request

pytestmark = pytest.mark.blocktime

VR = "vehicle.registration"
FIELDS = ("plate_no", "status")


def test_once_the_view_has_the_revoke_every_query_is_refused(
    scenario: Scenario, gw: InProcessGateway
) -> None:
    subject = scenario.subjects[12]
    doc = active_grant(scenario, subject, {VR: FIELDS}, max_uses=1000)
    gw.sync()
    assert gw.query(signed_request(scenario.consumer, doc, VR, FIELDS)).status_code == 200
    lags = []
    for _ in range(3):  # revoke lag measured on three fresh grants
        d = active_grant(scenario, subject, {VR: FIELDS}, max_uses=1000)
        gw.sync()
        receipt = act(scenario, d, scenario.owners[subject], GrantAction.REVOKE)
        mined = time.perf_counter()
        assert gw.gateway.follower.wait_for_block(int(receipt["blockNumber"]), timeout=5.0)
        lags.append(time.perf_counter() - mined)
        for _ in range(20):
            resp = gw.query(signed_request(scenario.consumer, d, VR, FIELDS))
            assert_refusal_body(resp, 403, "GRANT_REVOKED", FIELDS)
    print(
        f"\nrevoke → view lag (ms): {[round(lag * 1000, 1) for lag in lags]} "
        f"(websocket={gw.gateway.follower.websocket_connected})"
    )


def test_pause_then_resume(scenario: Scenario, gw: InProcessGateway) -> None:
    subject = scenario.subjects[13]
    doc = active_grant(scenario, subject, {VR: FIELDS})
    owner = scenario.owners[subject]
    gw.sync(act(scenario, doc, owner, GrantAction.PAUSE))
    resp = gw.query(signed_request(scenario.consumer, doc, VR, FIELDS))
    assert_refusal_body(resp, 403, "GRANT_PAUSED", FIELDS)
    gw.sync(act(scenario, doc, owner, GrantAction.RESUME))
    assert gw.query(signed_request(scenario.consumer, doc, VR, FIELDS)).status_code == 200


def test_uses_are_recorded_on_chain_after_anchoring(
    scenario: Scenario, gw: InProcessGateway
) -> None:
    doc = active_grant(scenario, scenario.subjects[14], {VR: FIELDS}, max_uses=3)
    gw.sync()
    for _ in range(2):
        assert gw.query(signed_request(scenario.consumer, doc, VR, FIELDS)).status_code == 200
    gw.drain()
    grant_id = bytes.fromhex(doc.grant_id[2:])
    deadline = time.monotonic() + 20
    while scenario.net.contracts.grant(grant_id).uses < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert scenario.net.contracts.grant(grant_id).uses == 2
    assert scenario.net.contracts.uses_of(grant_id, code32(VR)) == 2
    gw.sync()
    snap = gw.gateway.view.grant(doc.grant_id, VR)
    assert snap is not None and (snap.resource, snap.resource_uses) == (VR, 2)
    assert gw.query(signed_request(scenario.consumer, doc, VR, FIELDS)).status_code == 200
    resp = gw.query(signed_request(scenario.consumer, doc, VR, FIELDS))
    assert_refusal_body(resp, 403, "GRANT_EXHAUSTED", FIELDS)
