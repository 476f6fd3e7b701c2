"""The anchorer: one transaction per batch (anchor and uses together), stored before it is sent,
so a crash at any point resumes with the very same transaction and never sends a second one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from web3 import Web3
from web3.middleware import Web3Middleware

from quancheng import merkle
from quancheng.chain.types import code32
from quancheng_gateway.anchorer import batch_leaves, close_at
from quancheng_gateway.chaintx import send_raw
from quancheng_gateway.gas import anchor_gas_bound
from quancheng_gateway.models import Batch, BatchStatus
from tests.gateway.conftest import FUNDER_INDEX, InProcessGateway, in_process_gateway
from tests.utils.scenario import Scenario, active_grant, build_scenario, signed_request

VR, FIELDS = "vehicle.registration", ("plate_no", "status")


@pytest.fixture
def sc(chain_node: Any, tmp_path: Path) -> Scenario:
    """A deployment of its own: the provider's anchoring sequence starts at 0 in this test."""
    return build_scenario(chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], tmp_path)


@pytest.fixture
def gw(sc: Scenario, tmp_path: Path) -> Iterator[InProcessGateway]:
    """A gateway whose anchorer is driven step by step (batches of 2, closed on size only)."""
    gen = in_process_gateway(sc, tmp_path / "gateway.db", batch_size=2, batch_max_age_s=600.0)
    gw = next(gen)
    gw.gateway.anchorer.stop()
    gw.sync()
    yield gw
    gen.close()


def _answer(gw: InProcessGateway, sc: Scenario, n: int, max_uses: int = 10) -> bytes:
    doc = active_grant(sc, sc.subjects[0], {VR: FIELDS}, max_uses=max_uses)
    gw.sync()
    for _ in range(n):
        assert gw.query(signed_request(sc.consumer, doc, VR, FIELDS)).status_code == 200
    return bytes.fromhex(doc.grant_id[2:])


def _batch(gw: InProcessGateway, seq: int = 0) -> Any:
    with gw.gateway.engine.connect() as conn:
        return conn.execute(select(Batch).where(Batch.seq == seq)).first()  # type: ignore[arg-type]


def _nonce(gw: InProcessGateway) -> int:
    return int(
        gw.gateway.contracts.w3.eth.get_transaction_count(gw.gateway.anchorer.account.address)
    )


def test_a_batch_and_its_uses_cost_one_transaction(gw: InProcessGateway, sc: Scenario) -> None:
    grant_id = _answer(gw, sc, 2)
    anchorer, contracts = gw.gateway.anchorer, sc.net.contracts
    assert anchorer.step()  # batch 0 closed: nothing sent yet
    nonce = _nonce(gw)
    assert anchorer.step()  # anchored with its uses
    assert _nonce(gw) == nonce + 1
    row = _batch(gw)
    assert (row.status, row.uses_tx, row.uses_block) == (
        BatchStatus.DONE, row.anchor_tx, row.anchor_block,
    )  # fmt: skip
    assert contracts.next_seq(code32(sc.provider.code)) == 1
    assert contracts.uses_of(grant_id, code32(VR)) == 2
    receipt = contracts.w3.eth.get_transaction_receipt(row.anchor_tx)
    assert [e.name for e in sc.net.events(receipt)] == ["BatchAnchored", "GrantUsesRecorded"]
    assert not anchorer.step()  # nothing left to do: no second transaction per batch
    assert _nonce(gw) == nonce + 1


def _rpc_methods(gw: InProcessGateway) -> list[str]:
    """The JSON-RPC methods the anchorer's chain client sends from now on, in order; a call
    of ``anchorWithUses`` (``eth_call``, ``eth_estimateGas``) is named ``method:anchor``."""
    methods: list[str] = []
    signature = gw.gateway.anchorer.contracts.receipts.functions.anchorWithUses.signature
    selector = Web3.keccak(text=signature)[:4].to_0x_hex()

    class Recorder(Web3Middleware):
        def request_processor(self, method: Any, params: Any) -> Any:
            data = params[0].get("data", "") if params and isinstance(params[0], dict) else ""
            methods.append(f"{method}:anchor" if str(data).startswith(selector) else str(method))
            return method, params

    gw.gateway.anchorer.contracts.w3.middleware_onion.add(Recorder, name="recorder")
    return methods


def test_an_anchor_is_checked_by_one_call_and_sent_with_the_gas_bound(
    gw: InProcessGateway, sc: Scenario
) -> None:
    """eth_estimateGas executes a call many times over (a search for the lowest gas that
    succeeds); a gateway anchoring under load spent most of the node's CPU on it."""
    _answer(gw, sc, 2)
    anchorer = gw.gateway.anchorer
    assert anchorer.step()  # batch 0 closed
    methods = _rpc_methods(gw)
    assert anchorer.step()  # anchored
    assert _batch(gw).status == BatchStatus.DONE
    assert methods.count("eth_call:anchor") == 1 and methods.count("eth_sendRawTransaction") == 1
    assert not [m for m in methods if m.startswith("eth_estimateGas")]
    tx = gw.gateway.contracts.w3.eth.get_transaction(_batch(gw).anchor_tx)
    used = gw.gateway.contracts.w3.eth.get_transaction_receipt(_batch(gw).anchor_tx)["gasUsed"]
    assert tx["gas"] == anchor_gas_bound(1)  # one use entry: one grant, one resource
    assert used < tx["gas"]


def test_an_anchor_refused_within_its_gas_bound_is_signed_with_the_nodes_estimate(
    gw: InProcessGateway, sc: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bound gone stale (a contract change the gas figures missed) costs an estimate, not
    the anchoring: the call runs out of the bound's gas, and the node's estimate is used."""
    grant_id = _answer(gw, sc, 2)
    anchorer = gw.gateway.anchorer
    assert anchorer.step()  # batch 0 closed
    monkeypatch.setattr("quancheng_gateway.anchorer.anchor_gas_bound", lambda entries: 60_000)
    methods = _rpc_methods(gw)
    assert anchorer.step()
    row = _batch(gw)
    assert row.status == BatchStatus.DONE
    assert methods.count("eth_call:anchor") == 1  # refused within 60,000 gas
    assert methods.count("eth_estimateGas:anchor") == 1
    assert gw.gateway.contracts.w3.eth.get_transaction(row.anchor_tx)["gas"] > 60_000
    assert sc.net.contracts.uses_of(grant_id, code32(VR)) == 2


def test_a_crash_before_sending_resends_the_stored_transaction(
    gw: InProcessGateway, sc: Scenario
) -> None:
    grant_id = _answer(gw, sc, 2)
    anchorer = gw.gateway.anchorer
    assert anchorer.step()  # batch 0 closed
    stored = anchorer._stored_or_new(_batch(gw))  # stored, then the process dies: never sent
    assert stored is not None and _batch(gw).anchor_tx == stored.tx_hash
    nonce = _nonce(gw)
    assert anchorer.step()  # after the restart: the same bytes, not a new transaction
    row = _batch(gw)
    assert (row.status, row.anchor_tx) == (BatchStatus.DONE, stored.tx_hash)
    assert _nonce(gw) == nonce + 1
    assert sc.net.contracts.uses_of(grant_id, code32(VR)) == 2


def test_a_crash_after_sending_sends_nothing_more(gw: InProcessGateway, sc: Scenario) -> None:
    grant_id = _answer(gw, sc, 2)
    anchorer, w3 = gw.gateway.anchorer, gw.gateway.contracts.w3
    assert anchorer.step()  # batch 0 closed
    stored = anchorer._stored_or_new(_batch(gw))
    assert stored is not None
    mined = send_raw(w3, stored.raw, stored.tx_hash, 20)  # mined, then the process dies
    nonce = _nonce(gw)
    assert anchorer.step()  # after the restart: found mined, the batch is done
    row = _batch(gw)
    assert (row.status, row.anchor_block, row.uses_block) == (
        BatchStatus.DONE, mined.block, mined.block,
    )  # fmt: skip
    assert _nonce(gw) == nonce
    assert sc.net.contracts.uses_of(grant_id, code32(VR)) == 2  # recorded once


def test_uses_past_the_budget_are_noted_and_the_batch_still_anchored(
    gw: InProcessGateway, sc: Scenario
) -> None:
    grant_id = _answer(gw, sc, 2, max_uses=2)
    chain = sc.net.contracts
    # The provider's own chain account spends one use outside the gateway: the view's plan
    # (two uses) would now be refused, the anchor with it; the plan from the chain records one.
    sc.net.send(sc.provider, sc.net.grants.functions.recordUses(grant_id, code32(VR), 1))
    anchorer = gw.gateway.anchorer
    assert anchorer.step() and anchorer.step()
    row = _batch(gw)
    assert row.status == BatchStatus.DONE
    assert row.uses_note == f"0x{grant_id.hex()}/{VR}: 1 of 2 uses not recorded " + (
        "(max 2 of the resource reached)"
    )
    assert chain.uses_of(grant_id, code32(VR)) == 2
    assert chain.next_seq(code32(sc.provider.code)) == 1


def test_batches_close_within_the_block_gas_limit(sc: Scenario, tmp_path: Path) -> None:
    # A batch is signed and stored before its transaction exists, and anchored whole: one over
    # the block gas limit could never be anchored.  Batches close at what fits instead.
    gen = in_process_gateway(sc, tmp_path / "capped.db", batch_size=256, batch_max_age_s=600.0)
    gw = next(gen)
    try:
        anchorer = gw.gateway.anchorer
        anchorer.stop()
        gw.sync()
        chain_limit = int(sc.net.contracts.w3.eth.get_block("latest")["gasLimit"])
        assert not anchorer.step()  # reads the chain's limit; a full batch fits there
        assert (anchorer.gas_limit, anchorer.batch_cap) == (chain_limit, 256)
        assert anchorer.fit_gas_limit(anchor_gas_bound(2)) == 2  # a network that voted it down
        _answer(gw, sc, 5)
        while anchorer.step():
            pass
        with gw.gateway.engine.connect() as conn:
            sizes = [r.size for r in conn.execute(select(Batch).order_by(Batch.seq))]  # type: ignore[arg-type]
        assert sizes == [2, 2]  # the fifth waits for a second receipt (or its age)
        assert gw.gateway.health()["batch_size"] == 2
        assert anchorer.fit_gas_limit(anchor_gas_bound(1) - 1) == 0
        assert anchorer.halted is not None and "gas limit" in anchorer.halted
        assert not anchorer.step()
        assert gw.gateway.health()["anchoring_ok"] is False
    finally:
        gen.close()


def test_batches_close_at_their_receipt_bound_or_by_age_taking_receipts_while_entries_fit(
    sc: Scenario, tmp_path: Path
) -> None:
    # Gas grows with a batch's use entries (one per grant and resource), not its receipts: a
    # batch closes when batch_max_receipts wait (or by age) and takes them all while their
    # entries stay within batch_size, so anchoring keeps up with one transaction per batch.
    gen = in_process_gateway(sc, tmp_path / "catch-up.db", batch_size=2, batch_max_age_s=600.0,
                             batch_max_receipts=6)  # fmt: skip
    gw = next(gen)
    try:
        anchorer, chain = gw.gateway.anchorer, sc.net.contracts
        anchorer.stop()
        gw.sync()
        a, b, c = _answer(gw, sc, 3), _answer(gw, sc, 2), _answer(gw, sc, 3)  # log: AAABBCCC
        d = _answer(gw, sc, 8)
        nonce = _nonce(gw)
        while anchorer.step():
            pass

        def batches() -> list[Any]:
            with gw.gateway.engine.connect() as conn:
                return conn.execute(select(Batch).order_by(Batch.seq)).all()  # type: ignore[arg-type]

        # AAABB (2 entries: C would be a third), CCCDDD (2 entries, 6 receipts: the receipt
        # bound, though a seventh D adds no entry); the last five D are fewer than 6 and none
        # has waited batch_max_age_s (nor are they a quarter of the backlog bound): they wait
        assert [(r.first_index, r.size) for r in batches()] == [(0, 5), (5, 6)]
        # A backlog bound of 20 makes a quarter of it, 5, enough to close before the age
        gw.gateway.committer.max_backlog = 20
        while anchorer.step():
            pass
        rows = batches()
        assert [(r.first_index, r.size) for r in rows] == [(0, 5), (5, 6), (11, 5)]
        assert all(r.status == BatchStatus.DONE for r in rows)
        assert _nonce(gw) == nonce + 3  # one transaction per batch
        assert [chain.uses_of(g, code32(VR)) for g in (a, b, c, d)] == [3, 2, 3, 8]
        for r in rows:  # each root on chain is the Merkle root of exactly its receipts
            leaves = batch_leaves(gw.gateway.engine, r.first_index, r.size)
            assert len(leaves) == r.size
            assert "0x" + chain.anchor(code32(sc.provider.code), r.seq).root.hex() == r.root
            assert merkle.root(leaves).hex() == r.root[2:]
    finally:
        gen.close()


@pytest.mark.parametrize(
    ("batch_cap", "max_receipts", "max_backlog", "closes_at"),
    [
        (256, None, 10_000, 256),  # no catching up: a whole batch, as always
        (256, 4096, 10_000, 2500),  # by age under load, until a quarter of the backlog bound
        (256, 4096, 100_000, 4096),  # or the receipt bound, whichever comes first
        (256, 4096, 1_000, 256),  # a small backlog bound: never under a whole batch
        (2, 6, 10_000, 6),
    ],
)
def test_a_batch_closes_before_its_age_at_the_receipt_bound_within_a_quarter_of_the_backlog(
    batch_cap: int, max_receipts: int | None, max_backlog: int, closes_at: int
) -> None:
    assert close_at(batch_cap, max_receipts, max_backlog) == closes_at
