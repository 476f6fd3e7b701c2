"""A gateway that anchors from a process of its own (``QC_GW_ANCHOR_PROCESS``), killed.

``python -m quancheng_gateway`` starts the anchoring process beside the query process. The
query process must never anchor (the ``flock`` beside the database is the anchoring
process's), the anchoring process killed under load must cost no query anything and be
started again, and a gateway killed with ``kill -9`` must leave no anchoring process behind
holding the lock.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from quancheng_gateway.anchoring import HEARTBEAT_S
from quancheng_gateway.core.config import GatewaySettings, SettingsError
from quancheng_gateway.process import GatewayProcess
from tests.faults.support import (
    Load,
    anchored_on_chain,
    check_log,
    codes,
    flock_holder,
    health,
    log_rows,
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


def _anchoring_process(proc: GatewayProcess) -> psutil.Process | None:
    """The gateway's anchoring process (None while there is none)."""
    assert proc.pid is not None
    for child in psutil.Process(proc.pid).children():
        try:
            if "quancheng_gateway.anchoring" in child.cmdline():
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def _exited(process: psutil.Process) -> bool:
    """Gone, or a zombie its new parent has not reaped yet (it has exited either way)."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _start(sc: Scenario, tmp_path: Path, **overrides: object) -> tuple[GatewayProcess, Path]:
    db = tmp_path / "gw.db"
    settings = gateway_settings(
        sc, database_url=f"sqlite:///{db}", port=free_port(), anchor_process=True, **overrides
    )
    proc = GatewayProcess(settings, log_file=tmp_path / "gateway.log")
    proc.start()
    return proc, db.with_name(f"{db.name}.anchorer.lock")


@pytest.mark.slow
def test_the_anchoring_process_anchors_and_is_started_again_when_killed_under_load(
    sc: Scenario, tmp_path: Path
) -> None:
    grants = [active_grant(sc, s, {VR: FIELDS}, max_uses=5000) for s in sc.subjects[:CLIENTS]]
    proc, lock = _start(sc, tmp_path, batch_size=16, batch_max_age_s=0.3)
    load = Load(proc.url, lambda i: signed_request(sc.consumer, grants[i], VR, FIELDS))
    try:
        synced(sc, proc)
        wait_until(lambda: _anchoring_process(proc) is not None, 20, "an anchoring process")
        first = _anchoring_process(proc)
        assert first is not None
        wait_until(lambda: flock_holder(lock) == first.pid, 20, "the anchoring process leads")
        wait_until(lambda: health(proc)["anchoring_ok"], 20, "anchoring reported ok")

        load.start()
        load.wait_for("OK", 0.0, 30)
        time.sleep(1.5)
        killed_at = time.monotonic()
        os.kill(first.pid, signal.SIGKILL)  # the anchoring process dies under load
        wait_until(
            lambda: (
                (p := _anchoring_process(proc)) is not None
                and p.pid != first.pid
                and flock_holder(lock) == p.pid
            ),
            30,
            "a new anchoring process leads",
        )
        restarted = time.monotonic() - killed_at
        time.sleep(1.5)
        outcomes = load.stop()
        # The query process lost nothing: every query was answered, none refused.
        assert codes(outcomes) == {"OK": len(outcomes)}, codes(outcomes)

        anchor_s = wait_anchored(proc)
        rows = log_rows(proc.settings.database_url)
        figures = check_log(outcomes, rows)
        assert anchored_on_chain(sc) == len(rows)
        # The query process never held the anchoring lock; the anchoring process holds it.
        second = _anchoring_process(proc)
        assert second is not None and flock_holder(lock) == second.pid != proc.pid
        h = health(proc)
        assert h["anchoring_ok"] is True and h["anchor_error"] is None
        assert h["anchoring_restarts"] == 1  # the one started after the kill reports
        assert h["batches_anchored"] >= 2 and h["anchored_upto"] == len(rows)
        # One scrape adds the two processes up: the queries answered here, the batches there.
        wait_until(
            lambda: scrape_metrics(proc.url).get("qc_gateway_receipts_anchored_total") == len(rows),
            10,
            "the anchored receipts counted",
        )
        figures_now = scrape_metrics(proc.url)
        assert figures_now["qc_gateway_queries_total|OK"] == len(outcomes)
        assert figures_now["qc_gateway_batches_anchored_total"] == h["batches_anchored"]
        report(
            "the anchoring process killed under load",
            {
                **figures,
                **codes(outcomes),
                "killed to a new anchoring process leading (s)": restarted,
                "backlog anchored after load (s)": anchor_s,
            },
        )
    finally:
        load.stop()
        proc.stop()
    # Stopped with its gateway (SIGTERM): its anchoring process stopped too.
    wait_until(lambda: flock_holder(lock) is None, 10, "the anchoring lock given up")


@pytest.mark.slow
def test_a_gateway_killed_leaves_no_anchoring_process_behind(sc: Scenario, tmp_path: Path) -> None:
    proc, lock = _start(sc, tmp_path)
    try:
        wait_until(lambda: (p := _anchoring_process(proc)) and flock_holder(lock) == p.pid, 20,
                   "the anchoring process leads")  # fmt: skip
        child = _anchoring_process(proc)
        assert child is not None
        killed_at = time.monotonic()
        proc.kill()  # SIGKILL to the gateway: nothing of it runs its shutdown
        wait_until(lambda: flock_holder(lock) is None, 10 * HEARTBEAT_S, "the lock given up")
        took = time.monotonic() - killed_at
        wait_until(lambda: _exited(child), 10, "the anchoring process exited")
        report("the gateway killed", {"to the anchoring lock free (s)": took})
    finally:
        proc.stop()


def test_an_anchoring_process_needs_the_providers_key_and_a_shared_database(
    sc: Scenario,
) -> None:
    values = gateway_settings(sc, database_url="sqlite:////tmp/x.db").model_dump()
    keyless = {**values, "anchor_process": True, "sm2_key_pem": None, "sm2_key_file": None}
    with pytest.raises(SettingsError, match="QC_GW_ANCHOR_PROCESS needs QC_GW_SM2_KEY"):
        GatewaySettings(**{**keyless, "environment": "development"})
    with pytest.raises(SettingsError, match="in-memory"):
        GatewaySettings(**{**values, "anchor_process": True, "database_url": "sqlite://"})
    assert GatewaySettings(**{**values, "anchor_process": True}).anchor_process


@pytest.mark.slow
def test_with_two_workers_neither_anchors_and_the_anchoring_process_stops_with_them(
    sc: Scenario, tmp_path: Path
) -> None:
    grant = active_grant(sc, sc.subjects[0], {VR: FIELDS}, max_uses=5000)
    proc, lock = _start(sc, tmp_path, workers=2, batch_size=4, batch_max_age_s=0.3)
    try:
        synced(sc, proc)
        wait_until(lambda: (p := _anchoring_process(proc)) and flock_holder(lock) == p.pid, 20,
                   "the anchoring process leads")  # fmt: skip
        anchoring = _anchoring_process(proc)
        assert anchoring is not None
        workers = [c for c in psutil.Process(proc.pid).children() if c.pid != anchoring.pid]
        load = Load(proc.url, lambda i: signed_request(sc.consumer, grant, VR, FIELDS)).start()
        load.wait_for("OK", 0.0, 30)
        time.sleep(1.0)
        outcomes = load.stop()
        assert codes(outcomes) == {"OK": len(outcomes)}, codes(outcomes)
        wait_anchored(proc)
        assert anchored_on_chain(sc) == len(log_rows(proc.settings.database_url))
        assert flock_holder(lock) == anchoring.pid not in {w.pid for w in workers}
    finally:
        proc.stop()
    wait_until(lambda: _exited(anchoring), 10, "the anchoring process stopped")
    assert flock_holder(lock) is None
