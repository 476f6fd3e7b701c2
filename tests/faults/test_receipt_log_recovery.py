"""The receipt log's in-process recovery, branch by branch, on a real PostgreSQL server.

The load scenario (``test_postgres_restart``) shows the whole gateway recovering; here the
:class:`GroupCommitter` is driven step by step, so each branch of :meth:`recover` is
reached on purpose: a probe while the server is still down, a reservation still
outstanding, a failed group whose COMMIT did reach the database, and a failure that is not
an outage (which must stay fail-stop).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.exc import IntegrityError

from quancheng.protocol import refusals as r
from quancheng_gateway.db import create_gateway_engine, init_schema
from quancheng_gateway.models import ReceiptRow
from quancheng_gateway.receipt_log import GroupCommitter, LogFailed
from quancheng_gateway.storage import is_unavailable
from tests.utils.ports import free_port
from tests.utils.postgres import PostgresServer

GRANT = "0x" + "0a" * 32
RCPT = ReceiptRow.__table__  # type: ignore[attr-defined]


@pytest.fixture
def log(pg: PostgresServer) -> Iterator[GroupCommitter]:
    engine = create_gateway_engine(pg.create_database())
    init_schema(engine)
    committer = GroupCommitter(engine, probe_interval_s=0.0)
    committer.start()
    try:
        yield committer
    finally:
        committer.stop()
        engine.dispose()


def _reserve(log: GroupCommitter, request_id: str) -> Any:
    return log.reserve(request_id=request_id, grant_id=GRANT, max_uses=100, uses=0, provider_uses=0)


def _row(index: int, request_id: str) -> dict[str, Any]:
    return {
        "log_index": index,
        "receipt_id": secrets.token_hex(8),
        "request_id": request_id,
        "grant_id": GRANT,
        "resource": "vehicle.registration",
        "consumer": "bank.test",
        "served_at_ms": 0,
        "signed_receipt": "{}",
    }


def _commit(log: GroupCommitter, held: Any) -> None:
    asyncio.run(log.commit(held, _row(held.log_index, held.request_id)))


def test_an_outage_stops_the_log_with_a_typed_refusal_until_the_server_is_back(
    log: GroupCommitter, pg: PostgresServer
) -> None:
    _commit(log, _reserve(log, "r-0"))
    held = _reserve(log, "r-1")
    pg.stop("fast")
    try:
        with pytest.raises(r.StorageUnavailable):
            _commit(log, held)
        assert log.failed and log.recoverable
        assert log.recover() is False  # the probe fails: still down
        with pytest.raises(r.StorageUnavailable):
            _reserve(log, "r-2")
    finally:
        pg.start()
    again = _reserve(log, "r-1")  # recovered on the way: r-1 was never stored
    assert (again.log_index, log.recoveries) == (1, 1)
    assert not log.failed
    _commit(log, again)
    assert (log.committed, log.served[GRANT]) == (2, 2)


def test_recovery_waits_until_every_reservation_has_settled(
    log: GroupCommitter, pg: PostgresServer
) -> None:
    first, second = _reserve(log, "r-a"), _reserve(log, "r-b")
    pg.stop("fast")
    try:
        with pytest.raises(r.StorageUnavailable):
            _commit(log, second)
    finally:
        pg.start()
    assert log.recover() is False  # r-a still holds position 0: the log must not move
    assert log.failed is not None
    with pytest.raises(r.StorageUnavailable):  # the writer fails what queues behind a failure
        _commit(log, first)
    assert log.recover() is True
    assert (log.next_index, log.committed, log.served[GRANT]) == (0, 0, 0)
    assert _reserve(log, "r-a").log_index == 0


def test_a_failed_group_that_did_commit_is_counted_and_its_request_refused_as_replayed(
    log: GroupCommitter, pg: PostgresServer
) -> None:
    _commit(log, _reserve(log, "r-0"))
    held = _reserve(log, "r-1")
    pg.stop("fast")
    try:
        with pytest.raises(r.StorageUnavailable):
            _commit(log, held)
    finally:
        pg.start()
    # The COMMIT whose acknowledgement was lost: the row is in the database all the same.
    engine = create_engine(log.engine.url)
    with engine.begin() as conn:
        conn.execute(insert(RCPT).values(**_row(1, "r-1")))
    engine.dispose()
    assert log.recover() is True
    assert (log.next_index, log.committed, log.served[GRANT]) == (2, 2, 2)
    with pytest.raises(r.ReplayedRequest):
        _reserve(log, "r-1")
    assert _reserve(log, "r-2").log_index == 2  # no hole, no position used twice


def test_a_failure_that_is_not_an_outage_stays_fail_stop(log: GroupCommitter) -> None:
    held = _reserve(log, "r-0")
    engine = create_engine(log.engine.url)
    with engine.begin() as conn:  # another writer took position 0
        conn.execute(insert(RCPT).values(**_row(0, "someone-else")))
    engine.dispose()
    with pytest.raises(LogFailed):
        _commit(log, held)
    assert log.failed and not log.recoverable
    assert log.recover() is False
    with pytest.raises(LogFailed):
        _reserve(log, "r-1")


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
