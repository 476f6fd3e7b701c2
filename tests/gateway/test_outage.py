"""Chain down: answers continue within the backlog bound, then fail closed; chain back: anchored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quancheng.chain.types import code32
from quancheng_node.process import HardhatNode
from tests.conftest import start_node
from tests.gateway.conftest import InProcessGateway, in_process_gateway, wait_until
from tests.gateway.support import assert_refusal_body
from tests.utils.scenario import Scenario, active_grant, build_scenario, signed_request

pytestmark = pytest.mark.blocktime

VR = "vehicle.registration"
FIELDS = ("plate_no", "status")
BACKLOG = 5


@pytest.fixture(scope="module")
def own_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HardhatNode]:
    node = start_node(tmp_path_factory.mktemp("outage-chain"))
    try:
        yield node
    finally:
        node.stop()


def test_chain_outage_fails_closed_at_the_backlog_bound_and_recovers(
    own_node: HardhatNode, tmp_path: Path
) -> None:
    sc: Scenario = build_scenario(own_node.rpc_url, own_node.dev_private_keys(1)[0], tmp_path)
    doc = active_grant(sc, sc.subjects[0], {VR: FIELDS}, max_uses=100)
    gen = in_process_gateway(
        sc, tmp_path / "gw.db", max_backlog=BACKLOG, batch_max_age_s=0.2, chain_timeout_s=2.0
    )
    gw: InProcessGateway = next(gen)
    try:
        gw.sync()
        assert gw.query(signed_request(sc.consumer, doc, VR, FIELDS)).status_code == 200
        gw.drain()
        own_node.stop()
        wait_until(lambda: not gw.gateway.follower.reachable, 30, "follower sees the outage")
        for _ in range(BACKLOG):
            assert gw.query(signed_request(sc.consumer, doc, VR, FIELDS)).status_code == 200
        resp = gw.query(signed_request(sc.consumer, doc, VR, FIELDS))
        body = assert_refusal_body(resp, 503, "CHAIN_UNAVAILABLE", FIELDS)
        assert body["error"]["details"]["unanchored_receipts"] == BACKLOG
        assert gw.client.get("/healthz").status_code == 503

        own_node.start()  # the journal brings the chain back as it was
        gw.drain(timeout=60)
        gw.sync()
        assert gw.client.get("/healthz").status_code == 200
        assert gw.query(signed_request(sc.consumer, doc, VR, FIELDS)).status_code == 200
        provider = code32(sc.provider.code)
        total = sum(
            sc.net.contracts.anchor(provider, s).size
            for s in range(sc.net.contracts.next_seq(provider))
        )
        assert total == 1 + BACKLOG
    finally:
        gen.close()
