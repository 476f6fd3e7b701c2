"""kill -9 of a gateway under load, then a restart on the same database.

A real uvicorn subprocess on SQLite; four clients send freshly signed queries; the gateway
is SIGKILLed in the middle and restarted. Nothing answered may be lost (a receipt is stored
before its answer leaves), nothing may be served twice, and the log must stay gap-free and
be anchored in full after the restart.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from quancheng_gateway.process import GatewayProcess
from tests.faults.support import (
    Load,
    anchored_on_chain,
    check_log,
    codes,
    log_rows,
    post,
    report,
    synced,
    wait_anchored,
)
from tests.utils.ports import free_port
from tests.utils.scenario import Scenario, active_grant, gateway_settings, signed_request

VR, FIELDS = "vehicle.registration", ("plate_no", "status")
CLIENTS = 4


@pytest.mark.slow
def test_kill_9_under_load_loses_no_receipt_and_answers_no_request_twice(
    sc: Scenario, tmp_path: Path
) -> None:
    grants = [active_grant(sc, s, {VR: FIELDS}, max_uses=5000) for s in sc.subjects[:CLIENTS]]
    db_url = f"sqlite:///{tmp_path / 'gw.db'}"
    settings = gateway_settings(
        sc, database_url=db_url, port=free_port(), batch_size=16, batch_max_age_s=0.3
    )
    proc = GatewayProcess(settings, log_file=tmp_path / "gateway.log")
    proc.start()
    try:
        synced(sc, proc)
        load = Load(proc.url, lambda i: signed_request(sc.consumer, grants[i], VR, FIELDS))
        load.start()
        load.wait_for("OK", 0.0, 30)
        time.sleep(2.0)
        killed_at = time.monotonic()
        proc.kill()  # SIGKILL while the clients are sending
        time.sleep(0.5)
        before = load.stop()
        in_flight = [o for o in before if o.started < killed_at <= o.ended]

        restart = time.monotonic()
        proc.start()
        restart_s = time.monotonic() - restart
        synced(sc, proc)
        rows = {q for _, q, _ in log_rows(db_url)}
        figures: dict[str, Any] = {
            "sent (until 0.5 s after the kill)": len(before),
            **codes(before),
        }
        figures.update(check_log(before, log_rows(db_url)))

        # Every request sent before the kill, again: replayed if stored, else answered once.
        with httpx.Client(timeout=20) as client, ThreadPoolExecutor(CLIENTS) as pool:
            again = list(pool.map(lambda o: post(client, proc.url, o.signed), before))
            stored = [a for a in again if a.request_id in rows]
            fresh = [a for a in again if a.request_id not in rows]
            assert {a.code for a in stored} <= {"REPLAYED_REQUEST"}, codes(stored)
            assert {a.code for a in fresh} <= {"OK"}, codes(fresh)
            third = list(pool.map(lambda o: post(client, proc.url, o.signed), fresh))
            assert {a.code for a in third} <= {"REPLAYED_REQUEST"}, codes(third)
            after = [
                post(client, proc.url, signed_request(sc.consumer, g, VR, FIELDS)) for g in grants
            ]
        assert [a.code for a in after] == ["OK"] * len(grants)  # answering resumed

        everything = before + again + after
        anchor_s = wait_anchored(proc)
        final = log_rows(db_url)
        check_log(everything, final)
        assert anchored_on_chain(sc) == len(final)
        figures.update(
            {
                "in flight at the kill": len(in_flight),
                "resent, refused as replayed": len(stored),
                "resent, answered (no receipt before)": len(fresh),
                "restart to /healthz (s)": restart_s,
                "restart to whole log anchored (s)": time.monotonic() - restart,
                "anchoring after resync (s)": anchor_s,
                "log length = anchored on chain": len(final),
            }
        )
        report("kill -9 under load", figures)
    finally:
        proc.stop()
