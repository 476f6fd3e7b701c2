"""Several gateway replicas of one department on one PostgreSQL database, answering at once.

A deployment runs a department's gateway more than once behind a load balancer, all on the
department's PostgreSQL. This file runs two real gateways (the same code, the same settings,
one database) and checks that together they behave as one gateway:

* one receipt log: positions are given inside the transaction that stores the receipts,
  under the log head's row lock, so the log is gap-free whoever answers;
* a request id is answered at most once, across replicas and in flight at both at once;
  a resource's use budget under a grant holds across replicas (the served counts per
  (grant, resource) live in the database);
* one anchorer at a time (an advisory lock), a standby taking over when it stops; an anchorer
  acting on a stale read of a batch sends nothing (compare-and-set on the batch row);
* a standby's chain follower does not apply the other replica's events a second time.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from quancheng import merkle
from quancheng.chain.types import code32
from quancheng.protocol import SignedReceipt
from quancheng.protocol import refusals as r
from quancheng_gateway.db import create_gateway_engine, init_schema
from quancheng_gateway.models import Batch, BatchStatus, GrantResourceServed, ReceiptRow
from quancheng_gateway.receipt_log import log_head
from tests.gateway.conftest import FUNDER_INDEX, InProcessGateway, in_process_gateway, wait_until
from tests.gateway.support import assert_refusal_body
from tests.utils.postgres import PostgresServer, postgres_server
from tests.utils.readers import signed_get
from tests.utils.receipts import RESOURCE, commit, committer, grant, reserve
from tests.utils.scenario import Scenario, active_grant, build_scenario, signed_request

VR, FIELDS = "vehicle.registration", ("plate_no", "status")
G1, G3 = grant(1), grant(3)
RCPT = ReceiptRow.__table__  # type: ignore[attr-defined]
SERVED = GrantResourceServed.__table__  # type: ignore[attr-defined]
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


def test_a_request_id_in_flight_at_both_replicas_is_stored_once_and_both_logs_go_on(
    db_url: str,
) -> None:
    engine = create_gateway_engine(db_url)
    init_schema(engine)
    a, b = committer(engine), committer(engine)
    try:
        held = [reserve(c, "req-1", G1) for c in (a, b)]  # neither has stored it yet
        assert commit(a, held[0]).log_index == 0
        with pytest.raises(r.ReplayedRequest):  # decided in b's transaction, not a 500
            commit(b, held[1])
        assert commit(b, reserve(b, "req-2", G1)).log_index == 1
        assert commit(a, reserve(a, "req-3", G1)).log_index == 2
        with engine.connect() as conn:
            rows = conn.execute(select(RCPT.c.log_index, RCPT.c.request_id).order_by("log_index"))
            assert rows.all() == [(0, "req-1"), (1, "req-2"), (2, "req-3")]
            assert log_head(conn) == 3
    finally:
        a.stop(), b.stop()
        engine.dispose()


def test_the_use_limit_of_a_grant_holds_across_replicas(db_url: str) -> None:
    engine = create_gateway_engine(db_url)
    init_schema(engine)
    a, b = committer(engine), committer(engine)
    try:
        held = [reserve(c, f"r-{i}", G3, max_uses=1) for i, c in enumerate((a, b))]
        commit(a, held[0])
        with pytest.raises(r.GrantExhausted):
            commit(b, held[1])
        with pytest.raises(r.GrantExhausted):  # now b knows it before reading any data
            reserve(b, "r-2", G3, max_uses=1)
        with engine.connect() as conn:
            stmt = select(SERVED.c.grant_id, SERVED.c.resource, SERVED.c.served)
            served = conn.execute(stmt).all()
        assert served == [(G3, RESOURCE, 1)]
    finally:
        a.stop(), b.stop()
        engine.dispose()


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
        first = answered[0].json()["receipt"]["receipt"]["receipt_id"]
        proof = signed_get(
            standby.client, sc.auditor, f"/v1/receipts/{first}/proof", audience=sc.provider.code
        ).json()
        leaf = merkle.leaf_hash(SignedReceipt.model_validate(proof["receipt"]).canonical())
        root = sc.net.contracts.anchor(code32(sc.provider.code), proof["batch"]["seq"]).root
        siblings = [bytes.fromhex(p[2:]) for p in proof["proof"]]
        assert merkle.verify_inclusion(leaf, proof["leaf_index"], 3, siblings, root)


# ------------------------------------------------------------------------ at once


def test_two_replicas_answering_in_turn_keep_one_gap_free_log(sc: Scenario, db_url: str) -> None:
    doc = active_grant(sc, sc.subjects[3], {VR: FIELDS}, max_uses=10)
    with replicas(sc, db_url) as (a, b):
        answers = [_ask(gw, sc, doc) for gw in (a, b, a, b)]
        assert [x.status_code for x in answers] == [200] * 4
        indexes = [x.json()["receipt"]["log_index"] for x in answers]
        assert indexes == [0, 1, 2, 3]
        assert [i for i, _ in _log(a)] == [0, 1, 2, 3]


def test_two_replicas_under_concurrent_load_behave_as_one_gateway(
    sc: Scenario, db_url: str
) -> None:
    limited = active_grant(sc, sc.subjects[6], {VR: FIELDS}, max_uses=5)
    open_ = active_grant(sc, sc.subjects[7], {VR: FIELDS}, max_uses=1_000)
    with replicas(sc, db_url) as pair:
        requests = [
            signed_request(sc.consumer, d, VR, FIELDS) for d in [limited] * 12 + [open_] * 49
        ]
        statuses: dict[str, list[tuple[int, Any]]] = {"limited": [], "open": []}

        def send(i: int) -> None:
            resp = pair[i % 2].query(requests[i])
            kind = "limited" if i < 12 else "open"
            statuses[kind].append((resp.status_code, resp.json()))

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(send, range(len(requests))))
        limited_codes = sorted(code for code, _ in statuses["limited"])
        assert limited_codes == [200] * 5 + [403] * 7
        assert {b["error"]["code"] for c, b in statuses["limited"] if c == 403} == {
            "GRANT_EXHAUSTED"
        }
        assert [code for code, _ in statuses["open"]] == [200] * 49
        answered = {
            body["request_id"]: body["receipt"]["log_index"]
            for kind in statuses.values()
            for code, body in kind
            if code == 200
        }
        log = dict((rid, i) for i, rid in _log(pair[0]))
        assert log == answered  # every answer has its receipt, no receipt without an answer
        assert sorted(log.values()) == list(range(54))  # one gap-free log: 18 whole batches
        for gw in pair:
            gw.drain(30)
        _assert_anchored_once(pair[0], sc)
        anchoring = [gw.gateway.anchorer.batches_anchored for gw in pair]
        assert sorted(anchoring)[0] == 0 and sum(anchoring) == 54 // 3


def test_when_the_anchoring_replica_stops_the_standby_anchors_the_rest(
    sc: Scenario, db_url: str
) -> None:
    doc = active_grant(sc, sc.subjects[8], {VR: FIELDS}, max_uses=20)
    with replicas(sc, db_url, count=1) as (anchoring,):
        leader = anchoring.gateway.anchorer  # started first: it holds the lock
        assert leader.leadership.held()
        with replicas(sc, db_url, count=1) as (other,):
            assert not other.gateway.anchorer.leadership.held()
            assert [_ask(other, sc, doc).status_code for _ in range(3)] == [200] * 3
            wait_until(lambda: other.gateway.anchorer.anchored_upto == 3, 20, "seen anchored")
            assert (leader.batches_anchored, other.gateway.anchorer.batches_anchored) == (1, 0)
            leader.stop()  # the anchoring replica goes away: its session's lock is released
            assert [_ask(other, sc, doc).status_code for _ in range(3)] == [200] * 3
            wait_until(lambda: other.gateway.anchorer.batches_anchored == 1, 20, "taken over")
            assert other.gateway.anchorer.leadership.held()
            _assert_anchored_once(other, sc)


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


def test_an_anchorer_acting_on_a_stale_batch_sends_nothing(sc: Scenario, db_url: str) -> None:
    doc = active_grant(sc, sc.subjects[5], {VR: FIELDS}, max_uses=10)
    with replicas(sc, db_url, batch_size=2) as (a, b):
        first, second = a.gateway.anchorer, b.gateway.anchorer
        first.stop(), second.stop()  # driven step by step below: one exact interleaving
        assert first.leadership.held()  # taken again by the first to ask
        assert not second.step()  # a standby only follows
        assert [_ask(a, sc, doc).status_code for _ in range(2)] == [200, 200]
        assert first.step()  # batch 0 closed
        with a.gateway.engine.connect() as conn:
            stale = conn.execute(select(Batch).where(Batch.seq == 0)).first()  # type: ignore[arg-type]
        assert stale is not None and stale.status == BatchStatus.CREATED
        assert first.step()  # anchored with its uses in one transaction: batch done
        w3, account = sc.net.w3, first.account.address
        nonce = w3.eth.get_transaction_count(account)
        second._anchor(stale)  # e.g. a holder that lost its lock mid-step
        grant = sc.net.contracts.grant(bytes.fromhex(doc.grant_id[2:]))
        assert grant.uses == 2
        assert w3.eth.get_transaction_count(account) == nonce  # nothing was sent
        assert _batch_done(a) is not None
