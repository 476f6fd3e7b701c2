"""Reading the receipt log, receipts, batches, proofs and metrics without the right to.

The log says who queried whom, when and why: a gateway answers it to ACTIVE auditors (all of
it), to a consumer (its own receipts), to the identity authority (one named owner's) and to
nobody else — 401 without a valid reader token, 403 for a member without the right. Each
attack also leaves the gateway's state as it was (``refused``).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from quancheng.chain import Role
from quancheng.crypto import SM2PrivateKey
from quancheng.log_reader import LogReader
from quancheng.protocol import GrantDocument
from quancheng.protocol.reader_token import READER_HEADER, encode_reader_header
from tests.attacks.support import FIELDS, VR, fresh_subject, refused
from tests.gateway.conftest import InProcessGateway
from tests.utils.chain_factories import Member, admit, pass_proposal
from tests.utils.readers import OPERATOR
from tests.utils.scenario import Scenario, active_grant, signed_request

UNKNOWN_RECEIPT = "00000000-0000-4000-8000-000000000000"


def _serve(sc: Scenario, gw: InProcessGateway, doc: GrantDocument, consumer: Member) -> str:
    """One answered query of ``consumer`` under ``doc``; its receipt id."""
    gw.sync()
    resp = gw.query(signed_request(consumer, doc, VR, FIELDS))
    assert resp.status_code == 200, resp.text
    return str(resp.json()["receipt"]["receipt"]["receipt_id"])


@pytest.fixture(scope="module")
def served(
    sc: Scenario, gw: InProcessGateway, grant: GrantDocument, other_consumer: Member
) -> dict[str, Any]:
    """A receipt of each consumer, under grants of two different owners."""
    other_grant = active_grant(
        sc, fresh_subject(sc), {VR: FIELDS}, consumer=other_consumer, max_uses=10
    )
    mine = _serve(sc, gw, grant, sc.consumer)
    theirs = _serve(sc, gw, other_grant, other_consumer)
    owners = {doc.grant_id: doc.owner_pseudonym for doc in (grant, other_grant)}
    return {"mine": mine, "theirs": theirs, "grant": grant, "other_grant": other_grant,
            "owners": owners}  # fmt: skip


def _routes(receipt_id: str) -> list[str]:
    return [
        "/v1/receipts",
        f"/v1/receipts/{receipt_id}",
        f"/v1/receipts/{receipt_id}/proof",
        "/v1/batches/0",
    ]


def _header(gw: InProcessGateway, member: Member, path: str, **overrides: Any) -> dict[str, str]:
    values: dict[str, Any] = {
        "member": member.code,
        "audience": gw.gateway.provider,
        "target": path,
        "issued_at_ms": gw.clock.now_ms(),
    }
    values.update(overrides)
    key = values.pop("key", member.sm2)
    return {READER_HEADER: encode_reader_header(key, **values)}


def test_every_log_route_and_the_metrics_refuse_an_unauthenticated_request(
    gw: InProcessGateway, served: dict[str, Any]
) -> None:
    for path in [*_routes(served["mine"]), "/metrics"]:
        refused(gw, lambda p=path: gw.client.get(p), 401, "UNAUTHENTICATED")  # type: ignore[misc]
    refused(gw, lambda: gw.client.get("/metrics", headers={"Authorization": "Bearer x" * 8}),
            401, "UNAUTHENTICATED")  # fmt: skip
    plain = gw.client.get("/healthz")
    assert plain.json() == {"ok": True}, plain.text  # nothing about the log or its readers


def test_a_consumer_reading_another_consumers_receipt_is_refused(
    gw: InProcessGateway, served: dict[str, Any], other_consumer: Member
) -> None:
    for path in (f"/v1/receipts/{served['mine']}", f"/v1/receipts/{served['mine']}/proof"):
        refused(gw, lambda p=path: gw.read(p, as_=other_consumer), 403, "READER_NOT_ENTITLED")  # type: ignore[misc]
    page = gw.read("/v1/receipts", as_=other_consumer, limit=1000).json()
    ids = {r["receipt"]["receipt_id"] for r in page["receipts"]}
    assert served["theirs"] in ids and served["mine"] not in ids
    assert {r["receipt"]["consumer"] for r in page["receipts"]} == {other_consumer.code}


def test_a_provider_a_committee_member_or_a_non_member_reading_the_log_is_refused(
    sc: Scenario, gw: InProcessGateway, served: dict[str, Any]
) -> None:
    not_authority = sc.net.committee[1]  # committee member 0 is the identity authority
    for member in (sc.provider, not_authority):
        for path in _routes(served["mine"]):
            refused(gw, lambda p=path, m=member: gw.read(p, as_=m), 403, "READER_NOT_ENTITLED")  # type: ignore[misc]
    stranger = Member("bank.nobody", Role.CONSUMER, sc.consumer.account, SM2PrivateKey.generate())
    refused(gw, lambda: gw.read("/v1/receipts", as_=stranger), 401, "BAD_READER_TOKEN")


def test_a_forged_or_misdirected_reader_token_is_refused(
    sc: Scenario, gw: InProcessGateway, served: dict[str, Any]
) -> None:
    auditor, path = sc.auditor, f"/v1/receipts/{served['mine']}"
    forged = _header(gw, auditor, path, key=SM2PrivateKey.generate())
    other_path = _header(gw, auditor, f"/v1/receipts/{served['theirs']}")
    other_gateway = _header(gw, auditor, path, audience="jinan.tax")
    value = _header(gw, auditor, path)[READER_HEADER]
    body, signature = value.split(".")
    token = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    token["member"] = sc.consumer.code  # re-addressed after signing
    swapped = base64.urlsafe_b64encode(json.dumps(token, separators=(",", ":")).encode())
    cases = [forged, other_path, other_gateway, {READER_HEADER: "not-a-token"},
             {READER_HEADER: swapped.decode().rstrip("=") + "." + signature}]  # fmt: skip
    for headers in cases:
        refused(gw, lambda h=headers: gw.client.get(path, headers=h), 401, "BAD_READER_TOKEN")  # type: ignore[misc]


def test_an_expired_or_future_reader_token_is_refused(
    sc: Scenario, gw: InProcessGateway, served: dict[str, Any]
) -> None:
    skew_ms = int(gw.gateway.settings.clock_skew_s * 1000)
    for shift in (-skew_ms - 5_000, skew_ms + 5_000):
        headers = _header(gw, sc.auditor, "/v1/receipts", issued_at_ms=gw.clock.now_ms() + shift)
        refused(gw, lambda h=headers: gw.client.get("/v1/receipts", headers=h), 401,  # type: ignore[misc]
                "READER_TOKEN_EXPIRED")  # fmt: skip


def test_a_replayed_reader_token_is_refused(
    sc: Scenario, gw: InProcessGateway, served: dict[str, Any]
) -> None:
    path = f"/v1/receipts/{served['mine']}"
    headers = _header(gw, sc.auditor, path)
    assert gw.client.get(path, headers=headers).status_code == 200
    refused(gw, lambda: gw.client.get(path, headers=headers), 401, "READER_TOKEN_REPLAYED")


def test_an_auditor_the_committee_suspended_is_refused(
    sc: Scenario, gw: InProcessGateway, served: dict[str, Any]
) -> None:
    auditor = admit(sc.net, Role.AUDITOR, name="被暂停的审计机构")
    gw.sync()
    assert gw.read("/v1/receipts", as_=auditor).status_code == 200
    pass_proposal(sc.net, sc.net.registry.functions.proposeSuspension(auditor.id))
    refused(gw, lambda: gw.read("/v1/receipts", as_=auditor), 403, "READER_NOT_ENTITLED")


def test_the_auditor_reads_everything_and_a_consumer_its_own(
    sc: Scenario, gw: InProcessGateway, served: dict[str, Any], other_consumer: Member
) -> None:
    log = gw.read("/v1/receipts", limit=1000).json()
    ids = [r["receipt"]["receipt_id"] for r in log["receipts"]]
    assert {served["mine"], served["theirs"]} <= set(ids)
    assert log["total"] == len(ids) == log["next_index"]
    for reader, own in ((sc.consumer, served["mine"]), (other_consumer, served["theirs"])):
        assert gw.read(f"/v1/receipts/{own}", as_=reader).status_code == 200
        assert gw.read(f"/v1/receipts/{own}/proof", as_=reader).status_code in (200, 409)
        assert gw.read("/v1/batches/0", as_=reader).status_code in (200, 404)
    one = gw.read("/v1/receipts", as_=sc.consumer, limit=1).json()  # a filtered page of one
    assert len(one["receipts"]) == 1
    assert one["next_index"] == one["receipts"][0]["log_index"] + 1


def test_the_identity_authority_reads_only_the_owner_it_names(
    sc: Scenario, gw: InProcessGateway, served: dict[str, Any]
) -> None:
    authority = sc.net.committee[0]
    owner = served["owners"][served["grant"].grant_id]
    refused(gw, lambda: gw.read("/v1/receipts", as_=authority), 403, "READER_NOT_ENTITLED")
    page = gw.read("/v1/receipts", as_=authority, owner=owner, limit=1000).json()
    assert {r["receipt"]["grant_id"] for r in page["receipts"]} == {served["grant"].grant_id}
    assert gw.read(f"/v1/receipts/{served['mine']}", as_=authority, owner=owner).status_code == 200
    refused(gw, lambda: gw.read(f"/v1/receipts/{served['theirs']}/proof", as_=authority,
                                owner=owner), 403, "READER_NOT_ENTITLED")  # fmt: skip


def test_metrics_and_health_details_answer_the_operator_and_auditors_only(
    sc: Scenario, gw: InProcessGateway
) -> None:
    assert gw.client.get("/metrics", headers=OPERATOR).status_code == 200
    assert "log_size" in gw.client.get("/healthz", headers=OPERATOR).json()
    assert gw.read("/metrics").status_code == 200  # the auditor
    refused(gw, lambda: gw.read("/metrics", as_=sc.consumer), 403, "READER_NOT_ENTITLED")
    refused(gw, lambda: gw.read("/healthz", as_=sc.consumer), 403, "READER_NOT_ENTITLED")


def test_the_sdk_fetches_a_proof_as_the_receipts_consumer_only(
    sc: Scenario, gw: InProcessGateway, served: dict[str, Any], other_consumer: Member
) -> None:
    from quancheng.gateway_client import GatewayClient
    from quancheng.protocol.refusals import ReaderNotEntitled, Unauthenticated

    gw.drain()
    with GatewayClient(transport=gw.client._transport) as client:  # type: ignore[arg-type]
        args = ("http://testserver", served["mine"])
        clock = lambda: gw.clock.now_ms() / 1000  # noqa: E731
        own = LogReader(sc.consumer.code, sc.consumer.sm2, clock=clock)
        body = client.get_receipt_proof(*args, reader=own, audience=gw.gateway.provider)
        assert json.loads(body)["receipt"]["receipt"]["receipt_id"] == served["mine"]
        with pytest.raises(Unauthenticated):
            client.get_receipt_proof(*args)
        other = LogReader(other_consumer.code, other_consumer.sm2, clock=clock)
        with pytest.raises(ReaderNotEntitled):
            client.get_receipt_proof(*args, reader=other, audience=gw.gateway.provider)
