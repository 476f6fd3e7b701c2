"""The chain node stopped under load: answers within the bounded backlog, then fail closed.

A real gateway subprocess on its own node (the test stops and restarts that node; its
journal brings the chain back as it was). While the node is down the gateway answers only
as long as the receipts it cannot anchor stay under ``max_backlog``, then refuses every
query with ``503 CHAIN_UNAVAILABLE`` and reports it on ``/healthz``. With the node back, the
backlog is anchored and answering resumes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quancheng_gateway.process import GatewayProcess
from quancheng_node.process import HardhatNode
from tests.conftest import start_node
from tests.faults.support import (
    Load,
    anchored_on_chain,
    check_log,
    codes,
    health,
    log_rows,
    report,
    synced,
    wait_anchored,
)
from tests.gateway.conftest import wait_until
from tests.utils.ports import free_port
from tests.utils.scenario import (
    Scenario,
    active_grant,
    build_scenario,
    gateway_settings,
    signed_request,
)

VR, FIELDS = "vehicle.registration", ("plate_no", "status")
CLIENTS = 4
BOUND = 1000


@pytest.fixture
def own_node(tmp_path: Path) -> Iterator[HardhatNode]:
    node = start_node(tmp_path / "chain")
    try:
        yield node
    finally:
        node.stop()


@pytest.mark.slow
def test_chain_node_stopped_under_load_fails_closed_at_the_bound_and_recovers(
    own_node: HardhatNode, tmp_path: Path
) -> None:
    sc: Scenario = build_scenario(own_node.rpc_url, own_node.dev_private_keys(1)[0], tmp_path)
    grants = [active_grant(sc, s, {VR: FIELDS}, max_uses=5000) for s in sc.subjects[:CLIENTS]]
    db_url = f"sqlite:///{tmp_path / 'gw.db'}"
    settings = gateway_settings(
        sc,
        database_url=db_url,
        port=free_port(),
        max_backlog=BOUND,
        # The default batch size: anchoring keeps up with the load while the node runs (an
        # anchor cycle takes 0.15-0.35 s on a busy 2-core machine; batches of 16 or 64 fall
        # behind), so the bound is reached because the node is gone.
        batch_size=256,
        batch_max_age_s=0.2,
        chain_timeout_s=2.0,
    )
    proc = GatewayProcess(settings, log_file=tmp_path / "gateway.log")
    proc.start()
    load = Load(proc.url, lambda i: signed_request(sc.consumer, grants[i], VR, FIELDS))
    try:
        synced(sc, proc)
        load.start()
        load.wait_for("OK", 0.0, 30)
        time.sleep(1.5)
        # Stop the node at a moment with room under the bound (anchoring keeps up, but a
        # batch in flight makes the backlog swing): the bound is reached because it is gone.
        wait_until(lambda: health(proc)["unanchored"] <= BOUND - 200, 30, "room under the bound")
        before = health(proc)

        stopping = time.monotonic()
        own_node.stop()
        stopped = time.monotonic()
        refused = load.wait_for("CHAIN_UNAVAILABLE", stopping, 60)
        wait_until(lambda: proc.health() is not None and not health(proc)["ok"], 10, "503")
        closed = health(proc)
        assert closed["refusing"]["code"] == "CHAIN_UNAVAILABLE"
        assert closed["unanchored"] <= BOUND
        time.sleep(1.5)  # keep knocking on the closed gateway
        restarting = time.monotonic()
        during = [o for o in load.snapshot() if stopped <= o.started and o.ended < restarting]
        after_close = [o for o in during if o.started >= refused.ended]

        own_node.start()
        back = time.monotonic()
        resumed = load.wait_for("OK", back, 60)
        wait_until(lambda: health(proc)["ok"], 30, "/healthz 200 again")
        healthy = time.monotonic()
        time.sleep(1.0)
        outcomes = load.stop()
        anchor_s = wait_anchored(proc)

        # No answer beyond the bound: what was answered after the node stopped could not be
        # anchored, so it is at most BOUND; after the first refusal nothing is answered.
        assert len([o for o in during if o.status == 200]) <= BOUND
        assert codes(after_close).keys() <= {"CHAIN_UNAVAILABLE"}, codes(after_close)
        assert codes(outcomes).keys() <= {"OK", "CHAIN_UNAVAILABLE"}, codes(outcomes)
        rows = log_rows(db_url)
        figures: dict[str, Any] = {"sent": len(outcomes), **codes(outcomes)}
        figures.update(check_log(outcomes, rows))
        assert anchored_on_chain(sc) == len(rows)
        figures.update(
            {
                "unanchored just before the stop": before["unanchored"],
                "node stop took (s)": stopped - stopping,
                "answered while the node was down": len([o for o in during if o.status == 200]),
                "backlog bound": BOUND,
                "unanchored when closed": closed["unanchored"],
                "stop begun to first CHAIN_UNAVAILABLE (s)": refused.ended - stopping,
                "refused while closed": len(after_close),
                "node start took (s)": back - restarting,
                "node back to first 200 (s)": resumed.ended - back,
                "node back to /healthz 200 (s)": healthy - back,
                "backlog anchored after load (s)": anchor_s,
                "log length = anchored on chain": len(rows),
            }
        )
        report("chain node stopped under load", figures)
    finally:
        load.stop()
        proc.stop()
