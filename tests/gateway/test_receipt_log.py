"""The receipt log on SQLite, driven without HTTP: what its one transaction decides."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from quancheng.protocol import Receipt, SignedReceipt
from quancheng.protocol import refusals as r
from quancheng.protocol.documents import unb64
from quancheng_gateway.answering import placed_receipt_json
from quancheng_gateway.db import create_gateway_engine, init_schema
from quancheng_gateway.receipt_log import RESIGN_AFTER_MS, GroupCommitter, _Pending, init_log
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
        signed = draft("r-a", G).sign(log.key, now_ms=log.clock.now_ms())
        log._write([_Pending(first, signed, loop, loop.create_future())])
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
    assert stored.log_index == 0
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


# ------------------------------------------------------------ max_uses per resource

DL = "driver.license"


def test_each_resource_of_a_grant_has_a_budget_of_its_own(log: GroupCommitter) -> None:
    commit(log, reserve(log, "r-vr", G, max_uses=1))
    held = reserve(log, "r-dl", G, max_uses=1, resource=DL)  # vehicle's use is not counted here
    assert commit(log, held).receipt.resource == DL
    with pytest.raises(r.GrantExhausted) as exc:
        reserve(log, "r-vr-2", G, max_uses=1)
    assert exc.value.details == {
        "grant_id": G,
        "resource": "vehicle.registration",
        "max_uses": 1,
        "uses": 1,
    }
    assert str(exc.value) == (
        "the grant's 1 uses of vehicle.registration are spent (max_uses is a budget per resource)"
    )
    with log.engine.connect() as conn:
        rows = conn.execute(text("SELECT grant_id, resource, served FROM grant_resource_served"))
        assert sorted(rows) == [(G, DL, 1), (G, "vehicle.registration", 1)]


def test_uses_in_flight_count_against_their_resource_only(log: GroupCommitter) -> None:
    held = reserve(log, "r-vr", G, max_uses=1)  # in flight, not stored yet
    with pytest.raises(r.GrantExhausted):
        reserve(log, "r-vr-2", G, max_uses=1)
    other = reserve(log, "r-dl", G, max_uses=1, resource=DL)
    log.release(other)
    log.release(held)  # refused on the way: its use is given back
    assert commit(log, reserve(log, "r-vr-3", G, max_uses=1)).log_index == 0


def test_uses_recorded_on_chain_beyond_the_log_count_too(log: GroupCommitter) -> None:
    # Uses an earlier database of this provider recorded (usesOf) are not in this log.
    with pytest.raises(r.GrantExhausted):
        reserve(log, "r-1", G, max_uses=2, uses=2)
    held = reserve(log, "r-2", G, max_uses=2, uses=1)
    commit(log, held)
    with pytest.raises(r.GrantExhausted):  # served 1, but the chain has 2 recorded by now
        reserve(log, "r-3", G, max_uses=2, uses=2)


def test_a_database_from_before_uses_per_resource_is_upgraded(tmp_path: Path) -> None:
    # An earlier build counted served uses per grant and kept the view's uses per grant: the
    # served counts are recounted per (grant, resource) from the receipts, the old columns go
    # and the view is followed again from the start (only the events carry each resource's uses).
    engine = create_gateway_engine(f"sqlite:///{tmp_path / 'gw.db'}")
    try:
        init_schema(engine)
        init_log(engine)
        with engine.begin() as conn:
            for i, res in enumerate(["vehicle.registration", DL, DL]):
                conn.execute(
                    text(
                        "INSERT INTO receipts (log_index, receipt_id, request_id, grant_id,"
                        " resource, consumer, served_at_ms, signed_receipt)"
                        " VALUES (:i, :i, :i, :g, :res, 'bank.test', 0, '{}')"
                    ),
                    {"i": i, "g": G, "res": res},
                )
            conn.execute(text("UPDATE log_head SET next_index = 3"))
            conn.execute(text("DROP TABLE grant_resource_served"))
            conn.execute(text("DROP TABLE view_grant_uses"))
            conn.execute(
                text("CREATE TABLE grant_served (grant_id TEXT PRIMARY KEY, served BIGINT)")
            )
            conn.execute(text("INSERT INTO grant_served VALUES (:g, 3)"), {"g": G})
            conn.execute(text("ALTER TABLE view_grants ADD COLUMN uses BIGINT NOT NULL"))
            conn.execute(text("ALTER TABLE view_grants ADD COLUMN provider_uses BIGINT NOT NULL"))
            conn.execute(text("INSERT INTO view_state VALUES ('chain', 1234)"))
        init_schema(engine)
        init_log(engine)
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            columns = {c["name"] for c in inspect(conn).get_columns("view_grants")}
            served = conn.execute(
                text("SELECT grant_id, resource, served FROM grant_resource_served")
            )
            assert sorted(served) == [(G, DL, 2), (G, "vehicle.registration", 1)]
            assert conn.execute(text("SELECT count(*) FROM view_state")).scalar() == 0
        assert "grant_served" not in tables and "view_grant_uses" in tables
        assert not columns & {"uses", "provider_uses"}
    finally:
        engine.dispose()


# ------------------------------------------------------------ signed before the write turn


def _stored_receipts(log: GroupCommitter) -> list[SignedReceipt]:
    with log.engine.connect() as conn:
        rows = conn.execute(text("SELECT signed_receipt FROM receipts ORDER BY log_index"))
        return [SignedReceipt.model_validate_json(row[0]) for row in rows]


def test_a_receipt_is_signed_before_the_write_turn_and_only_placed_under_it(
    log: GroupCommitter,
) -> None:
    """The position is not signed (receipt/4), so no SM2 signing waits in the turn the worker
    processes of one database share; what is stored is the signed receipt at its position."""
    turn, signing_in_turn = log._turn, []
    inside = False

    @contextmanager
    def watched() -> Iterator[None]:
        nonlocal inside
        with turn():
            inside = True
            try:
                yield
            finally:
                inside = False

    key = log.key

    class Watched:
        def sign(self, message: bytes) -> bytes:
            signing_in_turn.append(inside)
            return key.sign(message)

    log._turn = watched  # type: ignore[method-assign]
    log.key = Watched()  # type: ignore[assignment]
    got = [commit(log, reserve(log, f"r-{i}", G)) for i in range(3)]
    assert signing_in_turn == [False, False, False]
    stored = _stored_receipts(log)
    assert stored == got and [s.log_index for s in stored] == [0, 1, 2]
    public = key.public_key()
    for s in stored:  # the signature covers the receipt, and the receipt has no position
        public.verify(unb64(s.signature), s.receipt.canonical())
        assert "log_index" not in json.loads(s.receipt.canonical())


def test_a_receipt_that_waited_for_its_position_is_signed_again_when_placed(
    log: GroupCommitter,
) -> None:
    """served_at is never more than RESIGN_AFTER_MS before the placement, so it goes back
    along the log by no more than that (the audit allows 2 s)."""
    now = log.clock.now_ms()
    stale = reserve(log, "r-stale", G)
    fresh = reserve(log, "r-fresh", G)
    loop = asyncio.new_event_loop()
    try:
        waited = draft("r-stale", G).sign(log.key, now_ms=now - RESIGN_AFTER_MS - 1000)
        recent = draft("r-fresh", G).sign(log.key, now_ms=now - RESIGN_AFTER_MS // 2)
        log._write(
            [_Pending(p, d, loop, loop.create_future())
             for p, d in ((stale, waited), (fresh, recent))]
        )  # fmt: skip
    finally:
        loop.close()
    first, second = _stored_receipts(log)
    assert log.resigned == 1
    assert first.receipt.served_at_ms >= now and first.signature != waited.signature
    assert first.receipt.model_dump(exclude={"served_at_ms"}) == waited.receipt.model_dump(
        exclude={"served_at_ms"}
    )
    log.key.public_key().verify(unb64(first.signature), first.receipt.canonical())
    assert (second.receipt, second.signature) == (recent.receipt, recent.signature)


def test_the_stored_signed_receipt_is_its_canonical_json(log: GroupCommitter) -> None:
    """The row's text is built without a model under the turn; it is byte for byte the
    canonical JSON of the signed receipt (the Merkle leaf's entry), at any position."""
    signed = draft("r-x", G).sign(log.key, now_ms=log.clock.now_ms())
    for index in (0, 1, 9, 10, 12_345_678, 2**53 - 1):
        built = placed_receipt_json(index, signed.canonical, signed.signature).encode()
        assert built == signed.at(index).canonical()
        assert Receipt.model_validate(json.loads(built)["receipt"]) == signed.receipt
