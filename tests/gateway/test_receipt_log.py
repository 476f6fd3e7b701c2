"""The receipt log on SQLite, driven without HTTP: what its one transaction decides."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from quancheng.protocol import refusals as r
from quancheng_gateway.db import create_gateway_engine, init_schema
from quancheng_gateway.receipt_log import GroupCommitter, _Pending
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
