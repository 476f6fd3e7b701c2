"""The query's hot path: prepared statements, real group commits, the thin ASGI route."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, bindparam, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from quancheng.crypto import SM2PrivateKey
from quancheng_gateway.core.clock import ManualClock
from quancheng_gateway.db import create_gateway_engine, init_schema
from quancheng_gateway.hotsql import HotSql
from quancheng_gateway.models import LogHead
from quancheng_gateway.receipt_log import RESIGN_AFTER_MS, GroupCommit, GroupCommitter
from quancheng_gateway.storage import is_unavailable
from quancheng_gateway.write_turn import WriterTurn, writer_turn
from tests.gateway.conftest import InProcessGateway
from tests.utils.readers import OPERATOR
from tests.utils.receipts import draft, grant, reserve
from tests.utils.scenario import Scenario, active_grant, signed_request

HEAD = LogHead.__table__  # type: ignore[attr-defined]
VR = "vehicle.registration"


def _recording_log(
    engine: Engine,
    *,
    key: SM2PrivateKey | None = None,
    clock: ManualClock | None = None,
    linger_s: float = 0.0,
) -> tuple[GroupCommitter, list[GroupCommit]]:
    """A receipt log on ``engine`` (schema made, not started) and the groups it commits."""
    init_schema(engine)
    groups: list[GroupCommit] = []
    log = GroupCommitter(
        engine,
        key=key or SM2PrivateKey.generate(),
        clock=clock or ManualClock(),
        max_backlog=100,
        linger_s=linger_s,
        on_group=groups.append,
    )
    return log, groups


def test_drafts_waiting_together_are_committed_as_one_group(tmp_path: Path) -> None:
    engine = create_gateway_engine(f"sqlite:///{tmp_path / 'gw.db'}")
    log, groups = _recording_log(engine)
    g = grant(3)
    held = [reserve(log, f"r-{i}", g) for i in range(3)]

    async def three() -> list[int]:
        tasks = [asyncio.create_task(log.commit(h, draft(h.request_id, g))) for h in held]
        await asyncio.sleep(0)  # all three are queued before the writer starts
        log.start()
        return [s.log_index for s in await asyncio.gather(*tasks)]

    try:
        assert asyncio.run(three()) == [0, 1, 2]
        sizes = [x.size for x in groups]
        assert (sizes, log.groups, log.average_group) == ([3], 1, 3.0)
    finally:
        log.stop()
        engine.dispose()


def _behind_a_turn(
    engine: Engine, key: SM2PrivateKey, clock: ManualClock
) -> tuple[GroupCommitter, WriterTurn, list[GroupCommit]]:
    """A receipt log (not started) recording its groups, and the write turn a test can hold
    in its place, as another writer would."""
    log, groups = _recording_log(engine, key=key, clock=clock)
    turn = writer_turn(engine)
    assert turn is not None
    return log, turn, groups


def test_a_group_reports_how_long_it_waited_for_the_write_turn_and_held_it(
    tmp_path: Path,
) -> None:
    """What /metrics adds up as qc_gateway_commit_wait_seconds and _hold_seconds: the write
    lock's queue and use, which bound a gateway of several worker processes."""
    engine = create_gateway_engine(f"sqlite:///{tmp_path / 'gw.db'}")
    log, turn, groups = _behind_a_turn(engine, SM2PrivateKey.generate(), ManualClock())
    g = grant(3)
    held = reserve(log, "r-0", g)

    async def behind_another_writer() -> int:
        with turn():  # another writer holds the turn for 0.3 s
            task = asyncio.create_task(log.commit(held, draft(held.request_id, g)))
            log.start()
            await asyncio.sleep(0.3)
        return (await task).log_index

    try:
        assert asyncio.run(behind_another_writer()) == 0
        (group,) = groups
        assert group.size == 1
        assert 0.25 <= group.waited_s < 5.0
        assert 0.0 < group.held_s < group.waited_s
    finally:
        log.stop()
        engine.dispose()


def test_a_receipt_kept_waiting_for_the_write_turn_is_signed_again_and_counted(
    tmp_path: Path,
) -> None:
    """Signed, then held up behind another writer while the clock passes RESIGN_AFTER_MS:
    placed with a fresh time and signature, and the group says so (/metrics counts it)."""
    engine = create_gateway_engine(f"sqlite:///{tmp_path / 'gw.db'}")
    clock, key, signed = ManualClock(), SM2PrivateKey.generate(), threading.Event()

    class Signing:
        def sign(self, message: bytes) -> bytes:
            signed.set()
            return key.sign(message)

    log, turn, groups = _behind_a_turn(engine, Signing(), clock)  # type: ignore[arg-type]
    g = grant(3)
    held = reserve(log, "r-0", g)
    signed_at = clock.now_ms()

    async def held_up() -> int:
        with turn():  # another writer holds the turn while the receipt's time goes stale
            task = asyncio.create_task(log.commit(held, draft(held.request_id, g)))
            log.start()
            assert await asyncio.to_thread(signed.wait, 30)  # signed, waiting for the turn
            clock.advance(RESIGN_AFTER_MS / 1000 + 1)
        return (await task).receipt.served_at_ms

    try:
        assert asyncio.run(held_up()) >= signed_at + RESIGN_AFTER_MS + 1000
        assert [(x.size, x.resigned) for x in groups] == [(1, 1)] and log.resigned == 1
    finally:
        log.stop()
        engine.dispose()


def test_prepared_statements_raise_what_sqlalchemy_raises(tmp_path: Path) -> None:
    engine = create_gateway_engine(f"sqlite:///{tmp_path / 'gw.db'}")
    init_schema(engine)
    sql = HotSql(engine)
    add = sql.prepare(insert(HEAD).values(key=bindparam("k"), next_index=0, anchored_upto=0))
    read = sql.prepare(select(HEAD.c.key, HEAD.c.next_index).where(HEAD.c.key == bindparam("k")))
    try:
        with sql.transaction() as cur:
            cur.execute(add, {"k": "a"})
        with sql.reading() as cur:
            found = cur.first(read, {"k": "a"})
        assert found is not None and read.named(found).next_index == 0
        with pytest.raises(IntegrityError), sql.transaction() as cur:  # the route's retry
            cur.execute(add, {"k": "b"})
            cur.execute(add, {"k": "a"})
        with sql.reading() as cur:  # the failed transaction left nothing behind
            assert cur.first(read, {"k": "b"}) is None
    finally:
        engine.dispose()
    gone = create_gateway_engine(f"sqlite:///{tmp_path / 'gw.db'}")
    (tmp_path / "gw.db").unlink()
    (tmp_path / "gw.db").mkdir()  # the file is now a directory: it cannot be opened
    with pytest.raises(OperationalError) as err, HotSql(gone).reading() as cur:
        cur.execute(read, {"k": "a"})
    assert is_unavailable(err.value)  # refused 503 STORAGE_UNAVAILABLE, not a 500
    gone.dispose()


def test_group_commits_are_counted_and_their_average_size_shown(
    scenario: Scenario, gw: InProcessGateway
) -> None:
    doc = active_grant(scenario, scenario.subjects[4], {VR: ("plate_no",)})
    gw.sync()
    before = gw.gateway.committer.groups
    assert gw.query(signed_request(scenario.consumer, doc, VR, ("plate_no",))).status_code == 200
    health = gw.client.get("/healthz", headers=OPERATOR).json()
    assert health["commit_groups"] == before + 1
    assert health["commit_group_avg"] >= 1
    metrics = gw.client.get("/metrics", headers=OPERATOR).text
    groups = re.search(r"^qc_gateway_commit_groups_total (\S+)$", metrics, re.M)
    sizes = re.search(r"^qc_gateway_commit_group_size_count (\S+)$", metrics, re.M)
    assert groups and sizes and float(groups[1]) == float(sizes[1]) == before + 1
    for name in ("qc_gateway_commit_wait_seconds", "qc_gateway_commit_hold_seconds"):
        count = re.search(rf"^{name}_count (\S+)$", metrics, re.M)
        total = re.search(rf"^{name}_sum (\S+)$", metrics, re.M)
        assert count and total and float(count[1]) == before + 1 and float(total[1]) >= 0
    resigned = re.search(r"^qc_gateway_receipts_resigned_total (\S+)$", metrics, re.M)
    assert resigned and float(resigned[1]) == health["receipts_resigned"] == 0
    assert gw.gateway.committer.linger_s == gw.gateway.settings.commit_linger_ms / 1000 > 0
    lingered = re.search(r"^qc_gateway_commit_groups_lingered_total (\S+)$", metrics, re.M)
    assert lingered and float(lingered[1]) == health["commit_groups_lingered"] >= 0


def test_the_thin_query_route_is_still_described_and_leaves_other_methods_to_fastapi(
    gw: InProcessGateway,
) -> None:
    spec = gw.client.get("/openapi.json").json()
    post = spec["paths"]["/v1/query"]["post"]
    assert "SignedRequest" in str(post["requestBody"]) and "200" in post["responses"]
    resp = gw.client.get("/v1/query")  # not the fast path's: FastAPI answers as before
    assert resp.status_code == 405 and resp.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    bad = gw.client.post("/v1/query", content=b"{", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "MALFORMED_REQUEST"


#: A started receipt log and the groups it has committed so far.
LingeringLog = tuple[GroupCommitter, list[GroupCommit]]


@pytest.fixture
def lingering(tmp_path: Path) -> Iterator[Callable[[float], LingeringLog]]:
    """Makes started receipt logs that may hold a group open ``linger_s``, recording their
    groups; stops them and the database when the test ends."""
    engine = create_gateway_engine(f"sqlite:///{tmp_path / 'gw.db'}")
    made: list[GroupCommitter] = []

    def make(linger_s: float) -> LingeringLog:
        log, groups = _recording_log(engine, linger_s=linger_s)
        made.append(log)
        log.start()
        return log, groups

    yield make
    for log in made:
        log.stop()
    engine.dispose()


def test_receipts_arriving_close_behind_each_other_are_committed_together(
    lingering: Callable[[float], LingeringLog],
) -> None:
    """Under load the writer holds a group open for the receipts that follow, rather than
    paying a transaction, an fsync and a wake-up of the event loop for each one."""
    # A second's linger: the four that follow the first arrive within 40 ms of each other.
    log, groups = lingering(1.0)
    g = grant(3)
    held = [reserve(log, f"r-{i}", g) for i in range(5)]

    async def one_then_four() -> list[int]:
        # The first arrives alone (no gap known yet): committed at once, no lingering.
        first = (await log.commit(held[0], draft(held[0].request_id, g))).log_index
        tasks = []
        for h in held[1:]:  # then four, 10 ms apart: far closer than the linger
            tasks.append(asyncio.create_task(log.commit(h, draft(h.request_id, g))))
            await asyncio.sleep(0.01)
        return [first] + [s.log_index for s in await asyncio.gather(*tasks)]

    assert asyncio.run(one_then_four()) == [0, 1, 2, 3, 4]
    assert [(x.size, x.lingered) for x in groups] == [(1, False), (4, True)]
    assert (log.groups, log.lingered) == (2, 1)


def test_receipts_arriving_further_apart_than_the_linger_are_committed_at_once(
    lingering: Callable[[float], LingeringLog],
) -> None:
    """At a low rate nothing is gained by waiting: no receipt waits for company."""
    log, groups = lingering(0.05)
    g = grant(3)

    async def far_apart() -> list[int]:
        placed = []
        for i in range(4):
            h = reserve(log, f"r-{i}", g)
            placed.append((await log.commit(h, draft(h.request_id, g))).log_index)
            await asyncio.sleep(0.2)  # four times the linger between arrivals
        return placed

    assert asyncio.run(far_apart()) == [0, 1, 2, 3]
    assert [(x.size, x.lingered) for x in groups] == [(1, False)] * 4
    assert log.lingered == 0


def test_stopping_the_writer_commits_a_group_it_holds_open_without_waiting_out_the_linger(
    lingering: Callable[[float], LingeringLog],
) -> None:
    log, groups = lingering(60.0)
    g = grant(3)
    held = [reserve(log, f"r-{i}", g) for i in range(2)]
    writer = log._thread
    assert writer is not None

    async def stopped_while_lingering() -> int:
        await log.commit(held[0], draft(held[0].request_id, g))
        task = asyncio.create_task(log.commit(held[1], draft(held[1].request_id, g)))
        await asyncio.sleep(0.05)  # taken, and held open for a minute
        await asyncio.to_thread(log.stop, 20.0)
        return (await task).log_index

    assert asyncio.run(stopped_while_lingering()) == 1
    assert not writer.is_alive()
    assert [(x.size, x.lingered) for x in groups] == [(1, False), (1, True)]
