"""The chain node takes snapshots under load: the gateway never notices.

A snapshot holds the node's write lock while it writes its archive, replaces its journal and
forks itself anew (``hardhat-network/scripts/snapshot.js``), and disconnects WebSocket
subscribers. Under a steady load of verified queries, with the node snapshotting every few
dozen transactions (the gateway's anchors and the test's grants), every query must still be
answered, every receipt anchored, and the gateway's view must keep following the chain.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quancheng.protocol import GrantAction
from quancheng_gateway.process import GatewayProcess
from quancheng_node.process import HardhatNode
from tests.conftest import start_node
from tests.faults.support import (
    Load,
    anchored_on_chain,
    check_log,
    codes,
    log_rows,
    report,
    synced,
    wait_anchored,
)
from tests.utils.ports import free_port
from tests.utils.scenario import (
    Scenario,
    act,
    active_grant,
    build_scenario,
    gateway_settings,
    owner_for,
    signed_request,
)

VR, FIELDS = "vehicle.registration", ("plate_no", "status")
CLIENTS = 3
SNAPSHOT_EVERY = 8  # journal entries: a snapshot every few anchors
LOAD_S = 8.0
_SNAPSHOT = re.compile(r"snapshot at block \d+: .* in (\d+) ms")


@pytest.fixture
def snapshotting_node(tmp_path: Path) -> Iterator[HardhatNode]:
    node = start_node(tmp_path / "chain", snapshot_every=SNAPSHOT_EVERY)
    try:
        yield node
    finally:
        node.stop()


@pytest.mark.slow
def test_snapshots_under_load_lose_no_answer_and_no_anchor(
    snapshotting_node: HardhatNode, tmp_path: Path
) -> None:
    node = snapshotting_node
    sc: Scenario = build_scenario(node.rpc_url, node.dev_private_keys(1)[0], tmp_path)
    grants = [active_grant(sc, s, {VR: FIELDS}, max_uses=5000) for s in sc.subjects[:CLIENTS]]
    db_url = f"sqlite:///{tmp_path / 'gw.db'}"
    settings = gateway_settings(
        sc, database_url=db_url, port=free_port(), batch_size=32, batch_max_age_s=0.2
    )
    proc = GatewayProcess(settings, log_file=tmp_path / "gateway.log")
    proc.start()
    load = Load(
        proc.url, lambda i: signed_request(sc.consumer, grants[i], VR, FIELDS), clients=CLIENTS
    )
    try:
        synced(sc, proc)
        load.start()
        load.wait_for("OK", 0.0, 30)
        time.sleep(LOAD_S / 2)
        # A revocation in the middle: the gateway's view must still follow the chain across
        # the snapshots (its WebSocket was cut by each; it polls and resubscribes).
        act(sc, grants[0], owner_for(sc, sc.subjects[0]), GrantAction.REVOKE)
        revoked_at = time.monotonic()
        revoked = load.wait_for("GRANT_REVOKED", revoked_at, 30)
        time.sleep(LOAD_S / 2)
        outcomes = load.stop()
        anchor_s = wait_anchored(proc)
    finally:
        load.stop()
        proc.stop()

    # Only the revoked grant's queries may be refused, and only once it was revoked.
    refused = [o for o in outcomes if o.status != 200]
    unexpected = [o.detail for o in refused if o.code != "GRANT_REVOKED"]
    assert unexpected == [], (codes(refused), unexpected[:3])
    snapshots = [int(ms) for ms in _SNAPSHOT.findall(node.log_file.read_text())]
    assert len(snapshots) >= 3, "the load did not cross several snapshots"
    rows = log_rows(db_url)
    figures: dict[str, Any] = {"sent": len(outcomes), **codes(outcomes)}
    figures.update(check_log(outcomes, rows))
    assert anchored_on_chain(sc) == len(rows)
    # The chain served after all these snapshots survives a restart, anchors included.
    node.stop()
    node.start()
    assert anchored_on_chain(sc) == len(rows)
    figures.update(
        {
            "snapshots during the run": len(snapshots),
            "snapshot time, max (ms)": max(snapshots),
            "revoke sent to first GRANT_REVOKED (s)": round(revoked.ended - revoked_at, 3),
            "backlog anchored after load (s)": anchor_s,
            "log length = anchored on chain (after a node restart)": len(rows),
        }
    )
    report("chain node snapshotting under load", figures)
