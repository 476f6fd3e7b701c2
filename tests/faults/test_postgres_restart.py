"""PostgreSQL restarted under a gateway that runs on it, under load.

A real gateway subprocess on a fresh database of a real PostgreSQL server; four clients
send freshly signed queries; the server is stopped (``pg_ctl -m fast``: open connections
are cut) for a while, then started again. While it is down every query is refused with
``503 STORAGE_UNAVAILABLE`` (never a 500, never data), ``/healthz`` says so, and so do the
receipt routes. When it is back the same process answers again (no restart), and nothing
is lost: every 200 answer has exactly one receipt, the log is gap-free and fully anchored.
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
    health,
    log_rows,
    post,
    report,
    synced,
    wait_anchored,
)
from tests.gateway.conftest import wait_until
from tests.gateway.support import assert_refusal_body
from tests.utils.ports import free_port
from tests.utils.postgres import PostgresServer
from tests.utils.readers import signed_get
from tests.utils.scenario import Scenario, active_grant, gateway_settings, signed_request

VR, FIELDS = "vehicle.registration", ("plate_no", "status")
CLIENTS = 4
OUTAGE_S = 2.0


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fast", "immediate"])  # an operator's restart; a crash
def test_postgres_restart_under_load_refuses_typed_and_recovers_in_process(
    sc: Scenario, pg: PostgresServer, tmp_path: Path, mode: str
) -> None:
    grants = [active_grant(sc, s, {VR: FIELDS}, max_uses=5000) for s in sc.subjects[:CLIENTS]]
    db_url = pg.create_database()
    settings = gateway_settings(
        sc, database_url=db_url, port=free_port(), batch_size=16, batch_max_age_s=0.3
    )
    proc = GatewayProcess(settings, log_file=tmp_path / "gateway.log")
    proc.start()
    pid = proc.pid
    load = Load(proc.url, lambda i: signed_request(sc.consumer, grants[i], VR, FIELDS))
    try:
        synced(sc, proc)
        load.start()
        load.wait_for("OK", 0.0, 30)
        time.sleep(1.5)

        stopping = time.monotonic()
        pg.stop(mode)
        stopped = time.monotonic()
        refused = load.wait_for("STORAGE_UNAVAILABLE", stopping, 30)
        wait_until(lambda: not health(proc)["ok"], 10, "/healthz 503")
        down = health(proc)
        assert (down["refusing"]["code"], down["db_ok"]) == ("STORAGE_UNAVAILABLE", False), down
        with httpx.Client(timeout=10) as http:
            page = signed_get(http, sc.auditor, "/v1/receipts", audience=sc.provider.code,
                              base=proc.url)  # fmt: skip
        assert_refusal_body(page, 503, "STORAGE_UNAVAILABLE")
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))

        starting = time.monotonic()
        pg.start()
        back = time.monotonic()
        resumed = load.wait_for("OK", back, 30)
        wait_until(lambda: health(proc)["ok"], 30, "/healthz 200 again")
        healthy = time.monotonic()
        time.sleep(1.5)
        outcomes = load.stop()
        assert proc.pid == pid  # recovered in-process, not restarted

        during = [o for o in outcomes if stopped <= o.started and o.ended < starting]
        assert codes(during).keys() <= {"STORAGE_UNAVAILABLE"}, codes(during)
        assert codes(outcomes).keys() <= {"OK", "STORAGE_UNAVAILABLE"}, codes(outcomes)
        # Groups refused at commit: the outage caught a COMMIT (reads usually fail first).
        failed_groups = health(proc)["log_failed_groups"]

        # Refused requests sent again: answered once, or replayed if their group did commit.
        refusals = [o for o in outcomes if o.code == "STORAGE_UNAVAILABLE"]
        stored = {q for _, q, _ in log_rows(db_url)}
        with httpx.Client(timeout=20) as client, ThreadPoolExecutor(CLIENTS) as pool:
            again = list(pool.map(lambda o: post(client, proc.url, o.signed), refusals))
        for a in again:
            assert a.code == ("REPLAYED_REQUEST" if a.request_id in stored else "OK"), a

        anchor_s = wait_anchored(proc)
        rows = log_rows(db_url)
        figures: dict[str, Any] = {"sent under load": len(outcomes), **codes(outcomes)}
        figures.update(check_log(outcomes, [row for row in rows if row[1] in stored]))
        check_log(outcomes + again, rows)
        assert anchored_on_chain(sc) == len(rows)
        figures.update(
            {
                "pg_ctl stop -m": mode,
                "server stop took (s)": stopped - stopping,
                "refused during the outage": len(during),
                "stop begun to first STORAGE_UNAVAILABLE (s)": refused.ended - stopping,
                "outage (s)": starting - stopped,
                "server start took (s)": back - starting,
                "server back to first 200 (s)": resumed.ended - back,
                "receipt groups refused at commit (log went on)": failed_groups,
                "server back to /healthz 200 (s)": healthy - back,
                "refused requests resent: answered": codes(again).get("OK", 0),
                "refused requests resent: replayed (their group had committed)": codes(again).get(
                    "REPLAYED_REQUEST", 0
                ),
                "backlog anchored after load (s)": anchor_s,
                "log length after the resends = anchored on chain": len(rows),
            }
        )
        report("PostgreSQL restarted under load", figures)
    finally:
        load.stop()
        proc.stop()
