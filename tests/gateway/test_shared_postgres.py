"""Several gateway replicas of one department on one PostgreSQL database.

A deployment runs a department's gateway more than once behind a load balancer, all on the
department's PostgreSQL. This file runs two real gateways (the same code, the same settings,
one database) and records what the current design gives:

* safe: a request id is never answered twice (the database's unique constraint, checked
  before answering); a receipt written by one replica is served, with its proof, by the
  other; a standby started after the active replica stopped continues the same log and the
  same anchoring sequence (active/passive failover); a standby's chain follower does not
  apply the active replica's events to the shared view a second time;
* not yet (``xfail(strict=True)``, each with the line of code that decides it): two replicas
  writing at once. Log positions, in-flight request ids and use counts live in each process,
  and every replica runs an anchorer.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select

from quancheng import merkle
from quancheng.chain.types import code32
from quancheng.protocol import SignedReceipt
from quancheng.protocol import refusals as r
from quancheng_gateway.db import create_gateway_engine, init_schema
from quancheng_gateway.models import Batch, BatchStatus, ReceiptRow
from quancheng_gateway.receipt_log import GroupCommitter, LogFailed
from tests.gateway.conftest import FUNDER_INDEX, InProcessGateway, in_process_gateway, wait_until
from tests.gateway.support import assert_refusal_body
from tests.utils.postgres import PostgresServer, postgres_server
from tests.utils.scenario import Scenario, active_grant, build_scenario, signed_request

VR, FIELDS = "vehicle.registration", ("plate_no", "status")
#: Batches close on size only (the age bound is never reached in a test), so each is known.
BATCHING = {"batch_size": 3, "batch_max_age_s": 600.0}


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def db_url(pg: PostgresServer) -> str:
    """A fresh database on the shared server: the department's, for this test only."""
    name = f"gw_{secrets.token_hex(4)}"
    dsn = f"host=127.0.0.1 port={pg.port} user=postgres dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def sc(chain_node: Any, tmp_path: Any) -> Scenario:
    """A deployment of its own: the provider's anchoring sequence starts at 0 in this test."""
    return build_scenario(chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], tmp_path)


@contextmanager
def replicas(sc: Scenario, url: str, count: int = 2, **kw: Any) -> Iterator[list[InProcessGateway]]:
    """``count`` gateways of the same department on database ``url``, started in turn."""
    gens, started = [], []
    try:
        for _ in range(count):
            gen = in_process_gateway(sc, database_url=url, **{**BATCHING, **kw})
            gens.append(gen)
            started.append(next(gen))
            started[-1].sync()
        yield started
    finally:
        for gen in reversed(gens):
            gen.close()


def _ask(gw: InProcessGateway, sc: Scenario, doc: Any) -> Any:
    return gw.query(signed_request(sc.consumer, doc, VR, FIELDS))


def _log(gw: InProcessGateway) -> list[tuple[int, str]]:
    with gw.gateway.engine.connect() as conn:
        stmt = select(ReceiptRow.log_index, ReceiptRow.request_id).order_by(ReceiptRow.log_index)  # type: ignore[arg-type]
        return [(int(i), str(rid)) for i, rid in conn.execute(stmt)]


def _assert_anchored_once(gw: InProcessGateway, sc: Scenario) -> None:
    """Every batch of the shared log is on chain exactly once, with its root, in sequence."""
    with gw.gateway.engine.connect() as conn:
        batches = conn.execute(select(Batch).order_by(Batch.seq)).all()  # type: ignore[arg-type]
    contracts, provider = sc.net.contracts, code32(sc.provider.code)
    assert contracts.next_seq(provider) == len(batches)
    prev = "0x" + "00" * 32
    for b in batches:
        assert "0x" + contracts.anchor(provider, b.seq).root.hex() == b.root
        assert b.prev_root == prev
        prev = b.root


# ---------------------------------------------------------------------------------- safe


def test_a_request_answered_by_one_replica_is_refused_as_replayed_by_the_other(
    sc: Scenario, db_url: str
) -> None:
    doc = active_grant(sc, sc.subjects[0], {VR: FIELDS}, max_uses=10)
    with replicas(sc, db_url) as (a, b):
        signed = signed_request(sc.consumer, doc, VR, FIELDS)
        assert a.query(signed).status_code == 200
        assert_refusal_body(b.query(signed), 409, "REPLAYED_REQUEST", FIELDS)
        assert_refusal_body(a.query(signed), 409, "REPLAYED_REQUEST", FIELDS)
        assert _log(b) == [(0, signed.request.request_id)]


def test_a_request_raced_to_both_replicas_is_answered_at_most_once(
    sc: Scenario, db_url: str
) -> None:
    doc = active_grant(sc, sc.subjects[1], {VR: FIELDS}, max_uses=100)
    with replicas(sc, db_url) as pair:
        for _ in range(8):
            codes = _race(pair, signed_request(sc.consumer, doc, VR, FIELDS))
            assert codes.count(200) <= 1, codes
        ids = [rid for _, rid in _log(pair[0])]
        assert len(ids) == len(set(ids))  # one receipt per request id, whoever won


def _race(pair: list[InProcessGateway], signed: Any) -> list[int]:
    """Send the same signed request to every replica at once; their HTTP statuses."""
    codes: list[int] = []
    start = threading.Barrier(len(pair))

    def send(gw: InProcessGateway) -> None:
        start.wait()
        codes.append(gw.query(signed).status_code)

    threads = [threading.Thread(target=send, args=(gw,)) for gw in pair]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def test_the_database_stores_a_request_id_once_and_the_losing_writer_stops_its_log(
    db_url: str,
) -> None:
    engine = create_gateway_engine(db_url)
    init_schema(engine)
    a, b = GroupCommitter(engine), GroupCommitter(engine)
    a.start(), b.start()
    try:
        kw = {"request_id": "req-1", "grant_id": "0x01", "max_uses": 9, "uses": 0}
        held = [c.reserve(**kw, provider_uses=0) for c in (a, b)]  # both pass (see xfail)
        rows = [_row(res.log_index, f"rcpt-{i}", "req-1") for i, res in enumerate(held)]
        assert asyncio.run(a.commit(held[0], rows[0])) is None
        with pytest.raises(LogFailed):
            asyncio.run(b.commit(held[1], rows[1]))
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(ReceiptRow.__table__))  # type: ignore[attr-defined]
            assert count.scalar() == 1
        assert b.failed is not None  # the loser refuses every query until restarted
    finally:
        a.stop(), b.stop()
        engine.dispose()


def _row(index: int, receipt_id: str, request_id: str) -> dict[str, Any]:
    return {
        "log_index": index,
        "receipt_id": receipt_id,
        "request_id": request_id,
        "grant_id": "0x01",
        "resource": VR,
        "consumer": "bank.test",
        "served_at_ms": 0,
        "signed_receipt": "{}",
    }


def test_a_standby_started_after_the_active_replica_stops_continues_one_log(
    sc: Scenario, db_url: str
) -> None:
    doc = active_grant(sc, sc.subjects[2], {VR: FIELDS}, max_uses=20)
    with replicas(sc, db_url, count=1) as (active,):
        answered = [_ask(active, sc, doc) for _ in range(5)]
        assert [a.status_code for a in answered] == [200] * 5
        wait_until(lambda: active.gateway.anchorer.anchored_upto == 3, 20, "first batch")
    with replicas(sc, db_url, count=1) as (standby,):
        assert [_ask(standby, sc, doc).status_code for _ in range(4)] == [200] * 4
        assert [i for i, _ in _log(standby)] == list(range(9))
        wait_until(lambda: standby.gateway.anchorer.anchored_upto == 9, 20, "three batches")
        _assert_anchored_once(standby, sc)
        first = answered[0].json()["answer"]["receipt"]["receipt"]["receipt_id"]
        proof = standby.client.get(f"/v1/receipts/{first}/proof").json()
        leaf = merkle.leaf_hash(SignedReceipt.model_validate(proof["receipt"]).canonical())
        root = sc.net.contracts.anchor(code32(sc.provider.code), proof["batch"]["seq"]).root
        siblings = [bytes.fromhex(p[2:]) for p in proof["proof"]]
        assert merkle.verify_inclusion(leaf, proof["leaf_index"], 3, siblings, root)


# ------------------------------------------------------------------------------ not yet


@pytest.mark.xfail(
    strict=True,
    reason="receipt_log.GroupCommitter reads max(log_index) once at start and then numbers "
    "receipts in memory: the second replica reuses position 0, its insert violates the "
    "receipts primary key and its log stops (500 INTERNAL_ERROR from then on)",
)
def test_two_replicas_answering_in_turn_keep_one_gap_free_log(sc: Scenario, db_url: str) -> None:
    doc = active_grant(sc, sc.subjects[3], {VR: FIELDS}, max_uses=10)
    with replicas(sc, db_url) as (a, b):
        codes = [_ask(gw, sc, doc).status_code for gw in (a, b, a, b)]
        assert codes == [200] * 4
        assert [i for i, _ in _log(a)] == [0, 1, 2, 3]


@pytest.mark.xfail(
    strict=True,
    reason="GroupCommitter._inflight is a per-process set: a request id in flight at one "
    "replica passes the replay check at the other; only the unique constraint stops it, at "
    "commit, as a storage failure (see the test above)",
)
def test_a_request_id_in_flight_at_one_replica_is_refused_at_the_other(db_url: str) -> None:
    engine = create_gateway_engine(db_url)
    init_schema(engine)
    try:
        a, b = GroupCommitter(engine), GroupCommitter(engine)
        kw = {"request_id": "req-2", "grant_id": "0x02", "max_uses": 9, "uses": 0}
        a.reserve(**kw, provider_uses=0)
        with pytest.raises(r.ReplayedRequest):
            b.reserve(**kw, provider_uses=0)
    finally:
        engine.dispose()


@pytest.mark.xfail(
    strict=True,
    reason="GroupCommitter.served counts a grant's answered uses per process: with "
    "max_uses=1 each replica serves one, two in all",
)
def test_the_use_limit_of_a_grant_holds_across_replicas(db_url: str) -> None:
    engine = create_gateway_engine(db_url)
    init_schema(engine)
    try:
        a, b = GroupCommitter(engine), GroupCommitter(engine)
        a.reserve(request_id="r-a", grant_id="0x03", max_uses=1, uses=0, provider_uses=0)
        with pytest.raises(r.GrantExhausted):
            b.reserve(request_id="r-b", grant_id="0x03", max_uses=1, uses=0, provider_uses=0)
    finally:
        engine.dispose()


def test_a_standby_following_the_chain_does_not_let_a_grant_be_over_served(
    sc: Scenario, db_url: str
) -> None:
    # Every replica's follower sees the same UsesRecorded event; ChainView.apply reads the
    # shared processed_block under a row lock and skips blocks already applied, so the
    # provider's recorded uses are counted once (they were doubled before).
    doc = active_grant(sc, sc.subjects[4], {VR: FIELDS}, max_uses=3)
    with replicas(sc, db_url, batch_size=2) as (active, standby):
        standby.gateway.anchorer.stop()  # only its view is shared here (anchorers: below)
        assert [_ask(active, sc, doc).status_code for _ in range(2)] == [200, 200]
        wait_until(lambda: _batch_done(active), 20, "uses of the first batch recorded")
        uses_block = _batch_done(active)
        for gw in (active, standby):
            assert gw.gateway.follower.wait_for_block(uses_block, 10)
        assert _ask(active, sc, doc).status_code == 200  # the third and last use
        assert_refusal_body(_ask(active, sc, doc), 403, "GRANT_EXHAUSTED", FIELDS)


def _batch_done(gw: InProcessGateway) -> int | None:
    with gw.gateway.engine.connect() as conn:
        row = conn.execute(select(Batch).where(Batch.seq == 0)).first()  # type: ignore[arg-type]
    if row is None or row.status != BatchStatus.DONE or row.uses_block is None:
        return None
    return int(row.uses_block)


@pytest.mark.xfail(
    strict=True,
    reason="GrantRegistry.recordUsesBatch carries no batch sequence and every replica runs "
    "an anchorer: when one replica has read a batch before the other recorded its uses "
    "(anchorer.step reads the lowest open batch, then records), the uses go on chain twice",
)
def test_the_uses_of_a_batch_are_recorded_on_chain_once_with_two_anchorers(
    sc: Scenario, db_url: str
) -> None:
    doc = active_grant(sc, sc.subjects[5], {VR: FIELDS}, max_uses=10)
    with replicas(sc, db_url, batch_size=2) as (a, b):
        first, second = a.gateway.anchorer, b.gateway.anchorer
        first.stop(), second.stop()  # driven step by step below: one exact interleaving
        assert [_ask(a, sc, doc).status_code for _ in range(2)] == [200, 200]
        assert first.step() and first.step()  # batch 0 closed, then anchored
        with a.gateway.engine.connect() as conn:
            read_by_first = conn.execute(select(Batch).where(Batch.seq == 0)).first()  # type: ignore[arg-type]
        assert read_by_first is not None and read_by_first.status == BatchStatus.ANCHORED
        assert second.step()  # the other replica records the batch's uses, marks it done
        first._record_uses(read_by_first)  # ... while this one goes on with what it read
        grant = sc.net.contracts.grant(bytes.fromhex(doc.grant_id[2:]))
        assert grant.uses == 2
