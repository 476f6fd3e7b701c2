"""The same gateway on PostgreSQL: main flow, replay across a restart, anchoring."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from quancheng import merkle
from quancheng.chain.types import code32
from quancheng.protocol import SignedReceipt
from tests.gateway.conftest import FUNDER_INDEX, InProcessGateway, in_process_gateway
from tests.gateway.support import assert_refusal_body, verify_answer
from tests.utils.postgres import PostgresServer, postgres_server
from tests.utils.readers import signed_get
from tests.utils.scenario import Scenario, active_grant, build_scenario, signed_request

VR = "vehicle.registration"
FIELDS = ("plate_no", "status")


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="module")
def pg_scenario(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return build_scenario(
        chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], tmp_path_factory.mktemp("pg")
    )


def _gateway(sc: Scenario, pg: PostgresServer) -> Iterator[InProcessGateway]:
    return in_process_gateway(sc, database_url=pg.url, batch_size=3, batch_max_age_s=0.3)


def test_postgres_main_flow_replay_and_anchoring(pg_scenario: Scenario, pg: PostgresServer) -> None:
    sc = pg_scenario
    doc = active_grant(sc, sc.subjects[0], {VR: FIELDS}, max_uses=20)
    answered = []
    gen = _gateway(sc, pg)
    gw = next(gen)
    gw.sync()
    for _ in range(5):
        signed = signed_request(sc.consumer, doc, VR, FIELDS)
        resp = gw.query(signed)
        assert resp.status_code == 200, resp.text
        answered.append(
            (
                signed,
                verify_answer(
                    resp.content, signed, sc.provider.sm2.public_key(), FIELDS, sc.consumer.sm2
                ),
            )
        )
    gen.close()  # stop the gateway (lifespan ends)

    restarted = _gateway(sc, pg)
    gw = next(restarted)
    gw.sync()
    assert_refusal_body(gw.query(answered[0][0]), 409, "REPLAYED_REQUEST", FIELDS)
    gw.drain()
    for _signed, answer in answered:
        receipt_id = answer.receipt.receipt.receipt_id
        proof = signed_get(
            gw.client, sc.auditor, f"/v1/receipts/{receipt_id}/proof", audience=sc.provider.code
        ).json()
        root = sc.net.contracts.anchor(code32(sc.provider.code), proof["batch"]["seq"]).root
        leaf = merkle.leaf_hash(SignedReceipt.model_validate(proof["receipt"]).canonical())
        assert merkle.verify_inclusion(
            leaf,
            proof["leaf_index"],
            proof["batch"]["size"],
            [bytes.fromhex(p[2:]) for p in proof["proof"]],
            root,
        )
    assert gw.gateway.health()["log_size"] == 5
    restarted.close()
