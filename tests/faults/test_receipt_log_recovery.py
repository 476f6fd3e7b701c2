"""The receipt log across database failures, step by step, on a real PostgreSQL server.

The load scenario (``test_postgres_restart``) shows the whole gateway going on; here the
:class:`GroupCommitter` is driven one group at a time, so each case is reached on purpose:
an outage, a COMMIT whose acknowledgement was lost (the rows are in the database all the
same), a failure that is not an outage, and one bad receipt in a group of good ones. In
every case the next group continues from what the database holds: no gap, no position used
twice, no request answered twice — and nothing in memory to repair.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from quancheng.protocol import refusals as r
from quancheng_gateway.db import create_gateway_engine, init_schema
from quancheng_gateway.models import GrantResourceServed, LogHead, ReceiptRow
from quancheng_gateway.receipt_log import GroupCommitter, LogFailed, log_head
from quancheng_gateway.storage import is_unavailable
from tests.utils.ports import free_port
from tests.utils.postgres import PostgresServer
from tests.utils.receipts import commit, committer, draft, grant, reserve

GRANT = grant(10)
RCPT = ReceiptRow.__table__  # type: ignore[attr-defined]
HEAD = LogHead.__table__  # type: ignore[attr-defined]
SERVED = GrantResourceServed.__table__  # type: ignore[attr-defined]


@pytest.fixture
def log(pg: PostgresServer) -> Iterator[GroupCommitter]:
    engine = create_gateway_engine(pg.create_database())
    init_schema(engine)
    log = committer(engine)
    try:
        yield log
    finally:
        log.stop()
        engine.dispose()


def _row(index: int, request_id: str, receipt_id: str | None = None) -> dict[str, Any]:
    return {
        "log_index": index,
        "receipt_id": receipt_id or str(uuid.uuid4()),
        "request_id": request_id,
        "grant_id": GRANT,
        "resource": "vehicle.registration",
        "consumer": "bank.test",
        "served_at_ms": 0,
        "signed_receipt": "{}",
    }


def _stored(log: GroupCommitter) -> list[tuple[int, str]]:
    with log.engine.connect() as conn:
        rows = conn.execute(select(RCPT.c.log_index, RCPT.c.request_id).order_by("log_index"))
        return [(int(i), str(rid)) for i, rid in rows]


def test_an_outage_refuses_the_group_typed_and_the_next_one_goes_on(
    log: GroupCommitter, pg: PostgresServer
) -> None:
    commit(log, reserve(log, "r-0", GRANT))
    held = reserve(log, "r-1", GRANT)
    pg.stop("fast")
    try:
        with pytest.raises(r.StorageUnavailable):
            commit(log, held)
        assert log.last_error is not None
        with pytest.raises(r.StorageUnavailable):  # still down: the early checks say so too
            reserve(log, "r-2", GRANT, max_uses=9)
    finally:
        pg.start()
    again = commit(log, reserve(log, "r-1", GRANT))  # r-1 was never stored: answered now
    assert again.log_index == 1
    assert log.last_error is None
    assert _stored(log) == [(0, "r-0"), (1, "r-1")]


def test_a_group_whose_commit_did_land_is_never_answered_twice(
    log: GroupCommitter, pg: PostgresServer
) -> None:
    commit(log, reserve(log, "r-0", GRANT))
    held = reserve(log, "r-1", GRANT)
    resent = reserve(log, "r-2", GRANT)  # passed the early checks before the commit landed
    pg.stop("fast")
    try:
        with pytest.raises(r.StorageUnavailable):
            commit(log, held)
    finally:
        pg.start()
    # The COMMIT whose acknowledgement was lost: r-1 and r-2 are in the database all the same.
    engine = create_engine(log.engine.url)
    with engine.begin() as conn:
        conn.execute(insert(RCPT), [_row(1, "r-1"), _row(2, "r-2")])
        conn.execute(update(HEAD).values(next_index=3))
        conn.execute(update(SERVED).values(served=3))
    engine.dispose()
    with pytest.raises(r.ReplayedRequest):  # refused early, before any data is read
        reserve(log, "r-1", GRANT)
    with pytest.raises(r.ReplayedRequest):  # and by the log itself, in its transaction
        commit(log, resent)
    assert commit(log, reserve(log, "r-3", GRANT)).log_index == 3
    assert [i for i, _ in _stored(log)] == [0, 1, 2, 3]


def test_a_failure_that_is_not_an_outage_refuses_its_group_and_leaves_no_gap(
    log: GroupCommitter,
) -> None:
    held = reserve(log, "r-0", GRANT)
    clash = draft("r-0", GRANT)
    engine = create_engine(log.engine.url)
    with engine.begin() as conn:  # a receipt id already taken: the insert breaks a constraint
        conn.execute(insert(RCPT).values(**_row(0, "someone-else", clash.receipt_id)))
        conn.execute(update(HEAD).values(next_index=1))
    engine.dispose()
    with pytest.raises(LogFailed):
        asyncio.run(log.commit(held, clash))
    assert commit(log, reserve(log, "r-0", GRANT)).log_index == 1
    assert _stored(log) == [(0, "someone-else"), (1, "r-0")]


def test_one_receipt_that_cannot_be_sealed_does_not_sink_its_group(
    log: GroupCommitter,
) -> None:
    async def both() -> list[Any]:
        good = reserve(log, "r-good", GRANT)
        bad = reserve(log, "r-bad", GRANT)
        broken = draft("r-bad", "not-a-grant-id")  # the signed receipt refuses it
        return await asyncio.gather(
            log.commit(good, draft("r-good", GRANT)), log.commit(bad, broken),
            return_exceptions=True,
        )  # fmt: skip

    good, bad = asyncio.run(both())
    assert isinstance(bad, LogFailed)
    assert good.log_index == 0
    assert _stored(log) == [(0, "r-good")]
    with log.engine.connect() as conn:
        assert log_head(conn) == 1


def test_errors_that_mean_the_database_is_unavailable(pg: PostgresServer) -> None:
    closed = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/postgres")
    with pytest.raises(Exception) as down:
        closed.connect()
    assert is_unavailable(down.value)
    engine = create_gateway_engine(pg.create_database())
    init_schema(engine)
    with engine.begin() as conn:
        conn.execute(insert(RCPT).values(**_row(0, "dup")))
    with pytest.raises(IntegrityError) as conflict, engine.begin() as conn:
        conn.execute(insert(RCPT).values(**_row(1, "dup")))
    assert not is_unavailable(conflict.value)
    engine.dispose()


def test_the_sdk_raises_storage_unavailable_for_its_code() -> None:
    body = r.StorageUnavailable("down", error="OperationalError").to_body()
    refusal = r.refusal_from_body(503, body)
    assert type(refusal) is r.StorageUnavailable
    assert (refusal.code, refusal.status, refusal.details) == (
        "STORAGE_UNAVAILABLE",
        503,
        {"error": "OperationalError"},
    )
