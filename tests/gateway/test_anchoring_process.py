"""``QC_GW_ANCHOR_PROCESS``: the query process follows, the anchoring process anchors.

In one process here: the query side is the in-process gateway with ``anchor_process`` set, the
anchoring side the same :class:`Gateway` built as ``python -m quancheng_gateway.anchoring``
builds it (``anchors=True``), reporting through a status file as that process does. The
subprocesses themselves (started, killed, started again) are tests/faults/test_anchor_process.py.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from quancheng_gateway import anchoring
from quancheng_gateway.anchoring import (
    RESTART_DELAY_MAX_S,
    RESTART_DELAY_S,
    SETTLED_S,
    STALE_AFTER_S,
    AnchoringStatus,
    AnchoringSupervisor,
    read_status,
    restart_delay,
)
from quancheng_gateway.models import Batch
from quancheng_gateway.service import Gateway
from quancheng_gateway.shared_dir import MULTIPROC_ENV
from tests.faults.support import flock_holder
from tests.gateway.conftest import FUNDER_INDEX, in_process_gateway, wait_until
from tests.utils.scenario import Scenario, active_grant, build_scenario, signed_request

VR, FIELDS = "vehicle.registration", ("plate_no", "status")


@pytest.fixture
def sc(chain_node: Any, tmp_path: Path) -> Scenario:
    """A deployment of its own: this test anchors the provider's first batches on chain."""
    return build_scenario(chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], tmp_path)


def _batches(gateway: Gateway) -> int:
    with gateway.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Batch)).scalar_one())


def test_a_query_process_never_anchors_and_holds_the_backlog_bound_until_the_anchoring_one_does(
    sc: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv(MULTIPROC_ENV, str(shared))
    db = tmp_path / "gw.db"
    gen = in_process_gateway(sc, db, anchor_process=True, max_backlog=4, batch_size=2)
    gw = next(gen)
    anchoring: Gateway | None = None
    try:
        grant = active_grant(sc, sc.subjects[0], {VR: FIELDS}, max_uses=20)
        gw.sync()
        h = gw.gateway.health()
        assert h["anchoring_ok"] is False and "has not reported" in h["anchor_error"]
        assert h["anchoring_restarts"] is None
        for _ in range(4):
            assert gw.query(signed_request(sc.consumer, grant, VR, FIELDS)).status_code == 200
        # Nobody anchors: the bound holds, and the query process took nothing of the anchoring.
        refused = gw.query(signed_request(sc.consumer, grant, VR, FIELDS))
        assert (refused.status_code, refused.json()["error"]["code"]) == (503, "CHAIN_UNAVAILABLE")
        time.sleep(3 * gw.gateway.settings.anchor_interval_s)  # the follower's steps: no batch
        assert _batches(gw.gateway) == 0
        assert flock_holder(db.with_name(f"{db.name}.anchorer.lock")) is None

        # The anchoring side, as its process builds it: it anchors the four receipts.
        anchoring = Gateway(gw.gateway.settings, clock=gw.clock, anchors=True)
        anchoring.anchorer.start()
        wait_until(lambda: gw.gateway.anchorer.anchored_upto == 4, 30, "the query side sees it")
        assert _batches(gw.gateway) == 2 and anchoring.anchorer.batches_anchored == 2
        AnchoringStatus.of(anchoring.anchorer).write(shared)
        h = gw.gateway.health()
        assert (h["anchoring_ok"], h["anchor_error"], h["batches_anchored"]) == (True, None, 2)
        assert h["anchoring_restarts"] == 0  # no supervisor started it again
        assert (h["unanchored"], h["anchored_upto"]) == (0, 4)
        assert gw.query(signed_request(sc.consumer, grant, VR, FIELDS)).status_code == 200

        # An anchoring process that stopped reporting reads as not running.
        status = read_status(shared)
        assert status is not None and status.leading and status.pid > 0
        replace(status, at=time.time() - STALE_AFTER_S - 5).write(shared)
        h = gw.gateway.health()
        assert h["anchoring_ok"] is False and "last reported" in h["anchor_error"]
    finally:
        if anchoring is not None:
            anchoring.anchorer.stop()
            anchoring.engine.dispose()
        gen.close()


def test_the_supervisor_starts_an_exiting_process_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anchoring, "RESTART_DELAY_S", 0.05)
    monkeypatch.setattr(anchoring, "HEARTBEAT_S", 0.01)
    exited = []
    monkeypatch.setattr(anchoring._log, "warning", lambda msg, *args: exited.append(args[1]))
    supervisor = AnchoringSupervisor(command=[sys.executable, "-c", "raise SystemExit(3)"])
    supervisor.start()
    try:
        wait_until(lambda: len(exited) >= 3, 20, "exited and started again three times")
    finally:
        supervisor.stop()
    assert exited[:3] == [3, 3, 3]


def test_restarts_back_off_while_the_process_keeps_exiting_and_reset_once_it_settled() -> None:
    first = restart_delay(None, 0.5)
    assert first == RESTART_DELAY_S
    waits = [first]
    for _ in range(8):
        waits.append(restart_delay(waits[-1], 0.5))
    assert waits[:4] == [RESTART_DELAY_S * 2**i for i in range(4)]
    assert max(waits) == waits[-1] == RESTART_DELAY_MAX_S
    assert restart_delay(RESTART_DELAY_MAX_S, SETTLED_S) == RESTART_DELAY_S
