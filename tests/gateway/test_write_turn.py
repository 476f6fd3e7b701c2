"""Writers of a SQLite gateway database take turns at its write lock, woken rather than polling:
a chain-view update or an anchorer write waiting behind back-to-back receipt groups goes next.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from quancheng_gateway.write_turn import WriterTurn, turn_for, writer_turn
from tests.gateway.conftest import InProcessGateway, in_process_gateway
from tests.utils.scenario import Scenario, active_grant, signed_request

VR, FIELDS = "vehicle.registration", ("plate_no", "status")


def _held_elsewhere(
    turn: WriterTurn,
) -> tuple[threading.Event, threading.Event, threading.Thread]:
    """A thread that takes ``turn`` and keeps it until told; (held, release, thread)."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with turn():
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(10)
    return held, release, thread


def _blocked(work: Any, wait_s: float = 0.5) -> tuple[threading.Thread, threading.Event]:
    """Run ``work`` in a thread; (thread, done) — ``done`` is still clear after ``wait_s``."""
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert not done.wait(wait_s), "ran while another thread held the turn"
    return thread, done


def test_one_turn_per_database_file_and_none_off_sqlite(tmp_path: Path) -> None:
    a = create_engine(f"sqlite:///{tmp_path / 'gw.db'}")
    b = create_engine(f"sqlite:///{tmp_path}/./gw.db")
    turn = writer_turn(a)
    assert turn is not None and turn is writer_turn(b)  # the same file, however it is named
    assert turn.path == (tmp_path / "gw.db.writer.lock").resolve()
    assert writer_turn(create_engine(f"sqlite:///{tmp_path / 'other.db'}")) is not turn
    assert writer_turn(create_engine("sqlite://")) is None
    pg = create_engine("postgresql+psycopg://u:p@127.0.0.1:1/x")
    assert writer_turn(pg) is None
    with turn_for(pg)():  # nothing to hold: enters at once
        pass


def test_threads_take_turns_and_a_holder_may_nest(tmp_path: Path) -> None:
    turn = WriterTurn(tmp_path / "db.writer.lock")

    def take() -> None:
        with turn():
            pass

    with turn():
        with turn():  # nested in one thread: no self-deadlock
            thread, done = _blocked(take)
        assert not done.wait(0.3)  # the outer block holds it still
    assert done.wait(10)  # woken as soon as the holder let go
    thread.join(10)


def test_one_process_queues_its_threads_without_a_lock_file(tmp_path: Path) -> None:
    turn = WriterTurn(tmp_path / "db.writer.lock")
    with turn():
        assert not turn.across_processes and not turn.path.exists()
    turn.share_across_processes()  # what a gateway of several workers does at start
    with turn():
        assert turn.across_processes and turn.path.exists()


def test_another_process_waits_for_a_turn_shared_across_processes(tmp_path: Path) -> None:
    turn = WriterTurn(tmp_path / "db.writer.lock", across_processes=True)
    script = (
        "import sys; from pathlib import Path\n"
        "from quancheng_gateway.write_turn import WriterTurn\n"
        "print('waiting', flush=True)\n"
        "with WriterTurn(Path(sys.argv[1]), across_processes=True)():\n"
        "    print('got it', flush=True)\n"
    )
    with turn():
        child = subprocess.Popen(
            [sys.executable, "-c", script, str(turn.path)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        assert child.stdout.readline() == "waiting\n"
        time.sleep(0.5)
        assert child.poll() is None  # still waiting for the turn this process holds
    out, _ = child.communicate(timeout=30)
    assert (child.returncode, out) == (0, "got it\n")


@pytest.fixture
def gw(chain_node: Any, scenario: Scenario, tmp_path: Path) -> Iterator[InProcessGateway]:
    gen = in_process_gateway(scenario, tmp_path / "gateway.db")
    gw = next(gen)
    gw.gateway.anchorer.stop()
    yield gw
    gen.close()


def test_receipts_the_view_the_anchorer_and_the_subject_index_wait_for_the_turn(
    gw: InProcessGateway, scenario: Scenario
) -> None:
    turn = writer_turn(gw.gateway.engine)
    assert turn is not None
    view, anchorer = gw.gateway.view, gw.gateway.anchorer
    doc = active_grant(scenario, scenario.subjects[0], {VR: FIELDS})
    gw.sync()
    statuses: list[int] = []
    _held, release, holder = _held_elsewhere(turn)
    try:  # released whatever fails, so the gateway's writers can stop
        querying, answered = _blocked(
            lambda: statuses.append(
                gw.query(signed_request(scenario.consumer, doc, VR, FIELDS)).status_code
            )
        )
        applying, applied = _blocked(lambda: view.apply([], view.processed_block()))
        setting, set_done = _blocked(
            lambda: anchorer._set(-1, uses_note=None)
        )  # no such batch: changes nothing
        subjects_before = gw.gateway.subjects
        rebuilding, rebuilt = _blocked(gw.gateway.rebuild_subject_index)
    finally:
        release.set()
    assert answered.wait(10) and applied.wait(10) and set_done.wait(10) and rebuilt.wait(10)
    assert statuses == [200]  # the receipt was stored once the turn came
    assert gw.gateway.subjects == subjects_before > 0  # the same index, rebuilt
    for t in (holder, querying, applying, setting, rebuilding):
        t.join(10)


def test_a_gateway_of_several_workers_shares_its_turn_across_them(
    scenario: Scenario, tmp_path: Path
) -> None:
    gen = in_process_gateway(scenario, tmp_path / "workers.db", workers=2)
    gw = next(gen)
    try:
        turn = writer_turn(gw.gateway.engine)
        assert turn is not None and turn.across_processes
    finally:
        gen.close()
    alone = writer_turn(create_engine(f"sqlite:///{tmp_path / 'alone.db'}"))
    assert alone is not None and not alone.across_processes
