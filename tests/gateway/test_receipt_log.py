"""The receipt log on SQLite, driven without HTTP: what its one transaction decides."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from quancheng.protocol import refusals as r
from quancheng_gateway.db import create_gateway_engine, init_schema
from quancheng_gateway.receipt_log import GroupCommitter, _Pending, init_log
from tests.utils.receipts import commit, committer, draft, grant, reserve

G = grant(7)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[GroupCommitter]:
    engine = create_gateway_engine(f"sqlite:///{tmp_path / 'gw.db'}")
    init_schema(engine)
    log = committer(engine, max_backlog=3)
    try:
        yield log
    finally:
        log.stop()
        engine.dispose()


def test_a_use_just_stored_is_not_counted_twice_before_its_answer_resumes(
    log: GroupCommitter,
) -> None:
    first = reserve(log, "r-a", G, max_uses=2)
    loop = asyncio.new_event_loop()
    try:
        # The writer stores r-a; the coroutine waiting for it has not resumed yet.
        log._write([_Pending(first, draft("r-a", G), loop, loop.create_future())])
        second = reserve(log, "r-b", G, max_uses=2)  # the second use of two: allowed
        assert (second.request_id, log.inflight) == ("r-b", 1)
        with pytest.raises(r.GrantExhausted):
            reserve(log, "r-c", G, max_uses=2)
    finally:
        loop.close()


def test_the_backlog_bound_is_judged_receipt_by_receipt_in_the_transaction(
    log: GroupCommitter,
) -> None:
    held = [reserve(log, f"r-{i}", G) for i in range(4)]  # early checks cannot see it coming

    async def together() -> list[object]:
        return await asyncio.gather(
            *(log.commit(h, draft(h.request_id, G)) for h in held), return_exceptions=True
        )

    outcomes = asyncio.run(together())
    refused = [o for o in outcomes if isinstance(o, r.Refusal)]
    assert len(refused) == 1 and isinstance(refused[0], r.ChainUnavailable)
    assert refused[0].details == {"unanchored_receipts": 3, "bound": 3}
    assert (log.head, log.inflight) == (3, 0)


def test_a_request_id_is_stored_once_even_within_one_group(log: GroupCommitter) -> None:
    stored = commit(log, reserve(log, "r-1", G))
    assert stored.receipt.log_index == 0
    with pytest.raises(r.ReplayedRequest):
        reserve(log, "r-1", G)


def test_a_database_from_before_the_anchored_floor_column_is_upgraded(tmp_path: Path) -> None:
    # An earlier build's log_head had no anchored_upto: added at start (0), then brought up
    # to the anchored batches, or the writer would see every receipt as unanchored.
    engine = create_gateway_engine(f"sqlite:///{tmp_path / 'gw.db'}")
    try:
        init_schema(engine)
        init_log(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE log_head SET next_index = 40"))
            for seq, status in enumerate(["done", "anchored", "created"]):
                conn.execute(
                    text(
                        "INSERT INTO batches (seq, first_index, size, root, prev_root, status,"
                        " created_at_ms, signature) VALUES (:s, :f, 10, '0x', '0x', :st, 0, '')"
                    ),
                    {"s": seq, "f": seq * 10, "st": status},
                )
            conn.execute(text("ALTER TABLE log_head DROP COLUMN anchored_upto"))
        init_schema(engine)
        init_log(engine)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT next_index, anchored_upto FROM log_head")).one()
        assert tuple(row) == (40, 20)
    finally:
        engine.dispose()
