"""A gateway served by several worker processes on one SQLite file, one of them killed.

``QC_GW_WORKERS=2``: uvicorn runs two whole gateways on one port and one database file. They
must behave as one gateway — the receipt log shared and gap-free, one anchorer at a time
(an ``flock`` beside the database) — and survive losing a worker under load: the anchoring
worker's lock dies with it and the other takes over.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from quancheng_gateway.core.config import GatewaySettings, SettingsError
from quancheng_gateway.process import GatewayProcess
from tests.faults.support import (
    Load,
    anchored_on_chain,
    check_log,
    codes,
    flock_holder,
    log_rows,
    post,
    report,
    scrape_metrics,
    synced,
    wait_anchored,
)
from tests.gateway.conftest import wait_until
from tests.utils.ports import free_port
from tests.utils.scenario import Scenario, active_grant, gateway_settings, signed_request

VR, FIELDS = "vehicle.registration", ("plate_no", "status")
CLIENTS = 4


def _workers(proc: GatewayProcess) -> list[psutil.Process]:
    """The worker processes under uvicorn's supervisor (its multiprocessing helpers aside)."""
    children = psutil.Process(proc.pid).children()
    return [c for c in children if "resource_tracker" not in " ".join(c.cmdline())]


@pytest.mark.slow
def test_two_workers_share_one_log_and_survive_the_anchoring_one_killed(
    sc: Scenario, tmp_path: Path
) -> None:
    grants = [active_grant(sc, s, {VR: FIELDS}, max_uses=5000) for s in sc.subjects[:CLIENTS]]
    db = tmp_path / "gw.db"
    settings = gateway_settings(
        sc, database_url=f"sqlite:///{db}", port=free_port(), workers=2,
        batch_size=16, batch_max_age_s=0.3,
    )  # fmt: skip
    proc = GatewayProcess(settings, log_file=tmp_path / "gateway.log")
    proc.start()
    load = Load(proc.url, lambda i: signed_request(sc.consumer, grants[i], VR, FIELDS))
    try:
        wait_until(lambda: len(_workers(proc)) == 2, 20, "two workers")
        synced(sc, proc)
        lock = db.with_name(f"{db.name}.anchorer.lock")
        wait_until(lambda: flock_holder(lock), 20, "an anchoring worker")
        leader = flock_holder(lock)
        assert leader in {w.pid for w in _workers(proc)}
        load.start()
        load.wait_for("OK", 0.0, 30)
        time.sleep(1.5)
        killed_at = time.monotonic()
        os.kill(leader, signal.SIGKILL)  # the anchoring worker dies under load
        wait_until(lambda: flock_holder(lock) not in (None, leader), 30, "another worker anchors")
        took_over = time.monotonic() - killed_at
        time.sleep(1.5)
        outcomes = load.stop()
        assert codes(outcomes).keys() <= {"OK", "NO_ANSWER"}, codes(outcomes)

        # What the killed worker had in flight: sent again, answered once or replayed.
        lost = [o for o in outcomes if o.code == "NO_ANSWER"]
        stored = {q for _, q, _ in log_rows(settings.database_url)}
        with httpx.Client(timeout=20) as client, ThreadPoolExecutor(CLIENTS) as pool:
            again = list(pool.map(lambda o: post(client, proc.url, o.signed), lost))
        for a in again:
            assert a.code == ("REPLAYED_REQUEST" if a.request_id in stored else "OK"), a

        anchor_s = wait_anchored(proc)
        rows = log_rows(settings.database_url)
        figures = check_log(outcomes + again, rows)
        assert anchored_on_chain(sc) == len(rows)
        report(
            "two workers, the anchoring one killed under load",
            {
                **figures,
                **codes(outcomes),
                "killed worker to another anchoring (s)": took_over,
                "in flight on the killed worker, resent: answered / replayed": (
                    f"{codes(again).get('OK', 0)} / {codes(again).get('REPLAYED_REQUEST', 0)}"
                ),
                "backlog anchored after load (s)": anchor_s,
            },
        )
    finally:
        load.stop()
        proc.stop()


def test_several_workers_need_the_providers_key(sc: Scenario) -> None:
    values = gateway_settings(sc, database_url="sqlite://").model_dump()
    values.update(workers=2, sm2_key_pem=None, sm2_key_file=None, environment="development")
    with pytest.raises(SettingsError, match="QC_GW_WORKERS"):
        GatewaySettings(**values)


@pytest.mark.slow
def test_metrics_of_several_workers_are_the_gateways_totals(sc: Scenario, tmp_path: Path) -> None:
    grant = active_grant(sc, sc.subjects[0], {VR: FIELDS}, max_uses=5000)
    db = tmp_path / "gw.db"
    settings = gateway_settings(sc, database_url=f"sqlite:///{db}", port=free_port(), workers=2)
    proc = GatewayProcess(settings, log_file=tmp_path / "gateway.log")
    proc.start()
    try:
        wait_until(lambda: len(_workers(proc)) == 2, 20, "two workers")
        synced(sc, proc)
        sent = 60

        def once(_: int) -> tuple[int, str]:  # a new connection each time: the kernel spreads them
            signed = signed_request(sc.consumer, grant, VR, FIELDS)
            with httpx.Client(timeout=20) as client:
                answer = post(client, proc.url, signed)
                return answer.status or 0, answer.code

        with ThreadPoolExecutor(CLIENTS) as pool:
            outcomes = list(pool.map(once, range(sent)))
        assert [o for o in outcomes if o[0] != 200] == []
        with httpx.Client(timeout=20) as client:  # one refusal, counted by its code
            replay = signed_request(sc.consumer, grant, VR, FIELDS)
            assert post(client, proc.url, replay).code == "OK"
            assert post(client, proc.url, replay).code == "REPLAYED_REQUEST"
        for _ in range(8):
            figures = scrape_metrics(proc.url)
            assert figures["qc_gateway_queries_total|OK"] == sent + 1, figures
            assert figures["qc_gateway_queries_total|REPLAYED_REQUEST"] == 1
            assert figures["qc_gateway_receipts_total"] == sent + 1
            assert figures["qc_gateway_query_seconds_count|ok"] == sent + 1
            assert figures["qc_gateway_view_block"] >= 1
    finally:
        proc.stop()
