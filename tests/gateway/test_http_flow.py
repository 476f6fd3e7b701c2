"""The gateway as it runs: a uvicorn subprocess over real HTTP, restarted and killed."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from quancheng import merkle
from quancheng.chain.types import code32
from quancheng.protocol import AnchorDocument, SignedReceipt, signing_bytes
from quancheng.protocol.documents import unb64
from quancheng_gateway.process import GatewayProcess
from tests.gateway.conftest import FUNDER_INDEX, wait_until
from tests.gateway.support import assert_refusal_body, verify_answer
from tests.utils.chain_factories import Member
from tests.utils.ports import free_port
from tests.utils.readers import signed_get
from tests.utils.scenario import (
    Scenario,
    active_grant,
    build_scenario,
    gateway_settings,
    signed_request,
)

VR = "vehicle.registration"
FIELDS = ("plate_no", "status")


@pytest.fixture(scope="module")
def flow(
    chain_node: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Scenario, GatewayProcess]]:
    work = tmp_path_factory.mktemp("http")
    sc = build_scenario(chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], work)
    settings = gateway_settings(
        sc,
        database_url=f"sqlite:///{work / 'gw.db'}",
        port=free_port(),
        batch_size=4,
        batch_max_age_s=0.5,
    )
    proc = GatewayProcess(settings, log_file=work / "gateway.log")
    proc.start()
    try:
        yield sc, proc
    finally:
        proc.stop()


def _health(proc: GatewayProcess) -> dict[str, Any]:
    health = proc.health()
    assert health is not None
    return health


def _synced(sc: Scenario, proc: GatewayProcess) -> None:
    head = sc.net.w3.eth.block_number
    wait_until(lambda: _health(proc)["view_block"] >= head, 10, f"view at block {head}")


def _anchored(proc: GatewayProcess) -> None:
    wait_until(
        lambda: (h := _health(proc))["unanchored"] == 0 and h["log_size"] > 0, 30, "anchored"
    )


def _get(
    proc: GatewayProcess, sc: Scenario, path: str, *, as_: Member | None = None, **params: Any
) -> httpx.Response:
    """GET a log route over HTTP as the auditor (or ``as_``), with a fresh reader token."""
    reader = as_ or sc.auditor
    with httpx.Client(timeout=10) as client:
        resp: httpx.Response = signed_get(
            client, reader, path, audience=sc.provider.code, base=proc.url, **params
        )
        return resp


def _post(proc: GatewayProcess, signed: Any) -> httpx.Response:
    return httpx.post(proc.url + "/v1/query", content=signed.model_dump_json(), timeout=10)


def test_answers_verify_and_their_batches_are_anchored_and_chained(flow: Any) -> None:
    sc, proc = flow
    key = sc.provider.sm2.public_key()
    docs = [active_grant(sc, s, {VR: FIELDS}, max_uses=50) for s in sc.subjects[:3]]
    _synced(sc, proc)
    receipts: list[SignedReceipt] = []
    for i in range(10):
        signed = signed_request(sc.consumer, docs[i % 3], VR, FIELDS)
        resp = _post(proc, signed)
        assert resp.status_code == 200, resp.text
        answer = verify_answer(resp.content, signed, key, FIELDS, sc.consumer.sm2)
        receipts.append(answer.receipt)
    _anchored(proc)
    for receipt in receipts:
        path = f"/v1/receipts/{receipt.receipt.receipt_id}/proof"
        proof = _get(proc, sc, path, as_=sc.consumer).json()  # the consumer reads its own
        batch = AnchorDocument.model_validate(proof["batch"])
        on_chain = sc.net.contracts.anchor(code32(sc.provider.code), batch.seq)
        assert "0x" + on_chain.root.hex() == batch.root
        assert (on_chain.size, on_chain.first_index) == (batch.size, batch.first_index)
        assert on_chain.block_number == proof["anchor_block"]
        key.verify(unb64(proof["anchor_signature"]), signing_bytes(batch))
        assert on_chain.gateway_signature == unb64(proof["anchor_signature"])
        leaf = merkle.leaf_hash(SignedReceipt.model_validate(proof["receipt"]).canonical())
        assert leaf == merkle.leaf_hash(receipt.canonical())
        assert merkle.verify_inclusion(
            leaf,
            proof["leaf_index"],
            batch.size,
            [bytes.fromhex(p[2:]) for p in proof["proof"]],
            on_chain.root,
        )
    seqs = sc.net.contracts.next_seq(code32(sc.provider.code))
    assert seqs >= 3
    prev, first = b"\x00" * 32, 0
    for seq in range(seqs):
        anchor = sc.net.contracts.anchor(code32(sc.provider.code), seq)
        assert (anchor.prev_root, anchor.first_index) == (prev, first)
        prev, first = anchor.root, first + anchor.size
        batch = _get(proc, sc, f"/v1/batches/{seq}").json()
        assert batch["root"] == "0x" + anchor.root.hex() and batch["status"] == "done"
    assert first == _health(proc)["log_size"]


def test_a_replay_is_refused_across_a_restart(flow: Any) -> None:
    sc, proc = flow
    doc = active_grant(sc, sc.subjects[4], {VR: FIELDS})
    _synced(sc, proc)
    signed = signed_request(sc.consumer, doc, VR, FIELDS)
    assert _post(proc, signed).status_code == 200
    proc.stop()
    proc.start()
    _synced(sc, proc)
    assert_refusal_body(_post(proc, signed), 409, "REPLAYED_REQUEST", FIELDS)
    unknown = _get(proc, sc, "/v1/receipts/00000000-0000-4000-8000-000000000000")
    assert_refusal_body(unknown, 404, "UNKNOWN_RECEIPT")


def test_kill_9_after_answers_loses_no_receipt_and_serves_no_request_twice(
    flow: Any, tmp_path: Path
) -> None:
    sc, proc = flow
    doc = active_grant(sc, sc.subjects[5], {VR: FIELDS}, max_uses=500)
    _synced(sc, proc)
    requests = [signed_request(sc.consumer, doc, VR, FIELDS) for _ in range(60)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda s: _post(proc, s), requests))
    proc.kill()  # right after the answers: batches not closed yet
    answered = [(s, r) for s, r in zip(requests, answers, strict=True) if r.status_code == 200]
    assert len(answered) == len(requests)
    proc.start()
    for _signed, resp in answered:
        receipt_id = resp.json()["receipt"]["receipt"]["receipt_id"]
        assert _get(proc, sc, f"/v1/receipts/{receipt_id}").status_code == 200
    _synced(sc, proc)
    for signed, _resp in answered[:10]:
        assert_refusal_body(_post(proc, signed), 409, "REPLAYED_REQUEST", FIELDS)
    _anchored(proc)
    page = _get(proc, sc, "/v1/receipts", limit=1000).json()
    assert [r["log_index"] for r in page["receipts"]] == list(range(page["total"]))
    ids = [r["receipt"]["receipt_id"] for r in page["receipts"]]
    assert len(set(ids)) == len(ids)
    anchored = sum(
        sc.net.contracts.anchor(code32(sc.provider.code), s).size
        for s in range(sc.net.contracts.next_seq(code32(sc.provider.code)))
    )
    assert anchored == page["total"]
