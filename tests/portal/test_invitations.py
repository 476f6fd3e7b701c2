"""A bank reaches an owner it knows only by ID number: invitations through the portal.

Against the portal tests' world (chain, gateway) and a production portal of this module's own
that asks consumers for client certificates (mutual TLS, channel-bound documents): the bank
invites by ID number, the owner accepts (signed with the key bound on chain), the bank learns
the pseudonym only then, requests the grant, the owner approves, the bank queries. And the
attacks: strangers, suspended members, replays, other consumers, channels, an ID number
nobody enrolled — answered exactly like an enrolled one.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from quancheng.chain.types import Role
from quancheng.client import ConsumerClient
from quancheng.crypto import SM2PrivateKey
from quancheng.invitation_errors import InvitationDeclined, InvitationRefused
from quancheng.invitations import InvitationState, InvitationStatus
from quancheng.protocol import AcceptanceDocument, GrantMode, Purpose, ScopeItem, signing_bytes
from quancheng.protocol.invitations import (
    InvitationDocument,
    InvitationSubject,
    new_salt,
    subject_commitment,
)
from quancheng.protocol.reader_token import READER_HEADER, encode_reader_header
from quancheng.tls import TlsConfig
from quancheng_appkit.devca import DevCa
from quancheng_portal.db import make_engine
from quancheng_portal.models import InvitationRow
from quancheng_portal.process import PortalProcess
from tests.portal.browser import click_and_confirm
from tests.portal.production import PortalClient, ProdPortal, b64, refused
from tests.portal.support import VR, VR_FIELDS, World, portal_settings
from tests.utils.chain_factories import Member, admit, suspend
from tests.utils.ports import free_port
from tests.utils.sdk_factories import institution_of

TODAY = datetime.now(UTC).date()
TERMS: dict[str, Any] = {
    "scope": {VR: VR_FIELDS}, "purpose": 1, "mode": "RAW",
    "data_from": (TODAY - timedelta(days=3650)).isoformat(), "data_to": TODAY.isoformat(),
    "valid_for": 3600, "max_uses": 3, "message": "您好，理赔需要核对您名下的车辆登记信息。",
}  # fmt: skip


@pytest.fixture(scope="module")
def mtls(world: World) -> Iterator[ProdPortal]:
    """A production portal (HTTPS) that asks consumers for a certificate of the consortium CA."""
    ca = DevCa.ensure(world.work / "devca")
    db = world.work / "portal-invitations.db"
    settings = portal_settings(
        world.sc, world.work, None, environment="production", port=free_port(),
        database_url=f"sqlite:///{db}", tls_cert_file=ca.server_cert_file,
        tls_key_file=ca.server_key_file, tls_client_ca_file=ca.ca_file,
    )  # fmt: skip
    process = PortalProcess(settings, log_file=world.work / "portal-invitations.log",
                            tls=ca.anonymous())  # fmt: skip
    process.start()
    portal = ProdPortal(
        world, process, settings, make_engine(settings.database_url), ca.anonymous()
    )
    try:
        yield portal
    finally:
        portal.stop()


def member_tls(world: World, member: Member) -> TlsConfig:
    """The member's client certificate of the consortium's (development) CA."""
    return DevCa.ensure(world.work / "devca").client(member.code)


def bank(world: World, member: Member | None = None) -> ConsumerClient:
    member = member or world.sc.consumer
    return ConsumerClient(
        institution_of(member), world.sc.manifest_path, world.sc.rpc_url, evidence=False,
        tls=member_tls(world, member),
    )  # fmt: skip


def owner(mtls: ProdPortal, resident_id: str) -> PortalClient:
    """A resident with a fresh key bound through a fresh code (replacing any earlier key)."""
    client = mtls.client()
    assert client.enroll(mtls.issue(resident_id)).status_code == 200
    resp = client.bind(SM2PrivateKey.generate(), replace=True)
    assert resp.status_code == 200, resp.text
    return client


def accept(client: PortalClient, invitation_id: str) -> httpx.Response:
    """The owner signs the acceptance of exactly the invitation the portal shows."""
    shown = client.http.get(f"/api/invitations/{invitation_id}/document").json()
    signed = base64.b64decode(shown["document"])
    acceptance = AcceptanceDocument(
        invitation_id=invitation_id, invitation_digest=shown["digest"],
        consumer=InvitationDocument.model_validate_json(signed).consumer,
        owner_pseudonym=shown["owner_pseudonym"], accepted_at=int(time.time()),
    )  # fmt: skip
    document = signing_bytes(acceptance)
    assert client.key is not None
    signature = b64(client.key.sign(document))
    body = {"document": b64(document), "signature": signature}
    return client.post(f"/api/invitations/{invitation_id}/accept", body)


def submission(
    member: Member, resident_id: str, *, channel: str | None,
    scope_fields: tuple[str, ...] = VR_FIELDS, salt: str | None = None,
) -> bytes:  # fmt: skip
    """A raw signed ``POST /v1/invitations`` body (what the SDK would send)."""
    now_ms = int(time.time() * 1000)
    salt = salt or new_salt()
    doc = InvitationDocument(
        invitation_id="0x" + secrets.token_hex(32), consumer=member.code,
        subject=InvitationSubject(id_kind="resident_id",
                                  commitment=subject_commitment("resident_id", resident_id, salt)),
        purpose=Purpose(1), scope=(ScopeItem(resource=VR, fields=scope_fields),),
        mode=GrantMode.RAW,
        data_from=TERMS["data_from"], data_to=TERMS["data_to"], valid_for_s=3600, max_uses=1,
        message="", issued_at_ms=now_ms, expires_at_ms=now_ms + 86_400_000, channel=channel,
    )  # fmt: skip
    body = {
        "invitation": doc.model_dump(mode="json"),
        "signature": b64(member.sm2.sign(signing_bytes(doc))),
        "subject": {"id_number": resident_id, "salt": salt},
    }
    return httpx.Request("POST", "http://x", json=body).read()


def post(mtls: ProdPortal, body: bytes, tls: TlsConfig | None) -> httpx.Response:
    verify = (tls or mtls.tls).ssl_context()
    return httpx.post(mtls.url + "/v1/invitations", content=body, verify=verify, timeout=30,
                      headers={"content-type": "application/json"})  # fmt: skip


def database_bytes(db: Path) -> bytes:
    """The SQLite file and its write-ahead log, as a copy of the disk would hold them."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


# ------------------------------------------------------------------------------ the flow


def test_a_bank_reaches_an_owner_by_id_number_and_queries_under_the_grant(
    world: World, mtls: ProdPortal
) -> None:
    resident_id = world.sc.subjects[16]
    person = owner(mtls, resident_id)
    seen: list[InvitationState] = []
    with bank(world) as client:
        invitation = client.invite_owner("resident_id", resident_id, portal_url=mtls.url, **TERMS)
        assert client.invitation_state(invitation).status is InvitationStatus.PENDING
        assert resident_id not in repr(invitation)

        listed = person.http.get("/api/invitations").json()
        [shown] = [i for i in listed if i["invitation_id"] == invitation.invitation_id]
        assert shown["consumer_name"]["label"] == "测试银行"
        assert shown["message"] == TERMS["message"] and shown["status"] == "pending"
        assert accept(person, invitation.invitation_id).status_code == 200

        pseudonym = client.wait_for_invitation(invitation, timeout=10, on_progress=seen.append)
        assert pseudonym == mtls.pseudonym_of(resident_id)
        assert seen[-1].status is InvitationStatus.ACCEPTED and seen[-1].acceptance is not None

        handle = client.request_grant_by_invitation(invitation, pseudonym)
        page = person.http.get("/requests").text
        assert f'data-invitation-id="{invitation.invitation_id}"' in page and "已接受的" in page

        document = base64.b64decode(
            person.http.get(f"/api/grants/0x{handle.grant_id.hex()}/document").json()["document"]
        )
        assert person.key is not None
        resp = person.post(f"/api/grants/0x{handle.grant_id.hex()}/approve",
                           {"signature": b64(person.key.sign(document))})  # fmt: skip
        assert resp.status_code == 200, resp.text
        client.wait_for_grant(handle.grant_id, timeout=10)
        answer = client.query(handle.grant_id, VR, list(VR_FIELDS))
        assert answer.data and answer.receipt_id  # verified by the SDK against the chain
    person.close()
    db = Path(mtls.settings.database_url.removeprefix("sqlite:///"))
    assert resident_id.encode() not in database_bytes(db)


def test_an_unknown_id_number_is_answered_exactly_like_a_known_one(
    world: World, mtls: ProdPortal
) -> None:
    enrolled_id, stranger_id = world.sc.subjects[17], mtls.resident()
    owner(mtls, enrolled_id).close()
    tls = member_tls(world, world.sc.consumer)
    post(mtls, submission(world.sc.consumer, mtls.resident(), channel=tls.channel), tls)  # warm
    answers: list[dict[str, Any]] = []
    timings: dict[str, list[float]] = {enrolled_id: [], stranger_id: []}
    for _ in range(3):
        for rid in (enrolled_id, stranger_id):
            body = submission(world.sc.consumer, rid, channel=tls.channel)
            started = time.perf_counter()
            resp = post(mtls, body, tls)
            timings[rid].append(time.perf_counter() - started)
            assert resp.status_code == 202, resp.text
            answers.append(resp.json())
    known, unknown = answers[-2:]
    assert set(known) == set(unknown) == {"invitation_id", "status", "expires_at_ms", "authority"}
    assert (known["status"], known["authority"]) == (unknown["status"], unknown["authority"])
    median = {rid: sorted(t)[1] * 1000 for rid, t in timings.items()}
    print(f"202 (median of 3, new TLS connection each): enrolled owner {median[enrolled_id]:.1f} "
          f"ms, an ID number nobody enrolled {median[stranger_id]:.1f} ms")  # fmt: skip
    url = mtls.url + "/v1/invitations/"
    states = [
        _status(world, world.sc.consumer, url + a["invitation_id"]).json() for a in answers[-2:]
    ]
    assert states[0]["status"] == states[1]["status"] == "pending"
    assert states[0] == {**states[1], "invitation_id": states[0]["invitation_id"],
                         "expires_at_ms": states[0]["expires_at_ms"]}  # fmt: skip


def test_a_declined_invitation_tells_the_bank_only_that(world: World, mtls: ProdPortal) -> None:
    resident_id = world.sc.subjects[18]
    person = owner(mtls, resident_id)
    with bank(world) as client:
        invitation = client.invite_owner("resident_id", resident_id, portal_url=mtls.url, **TERMS)
        assert (
            person.post(f"/api/invitations/{invitation.invitation_id}/decline").status_code == 200
        )
        refused(accept(person, invitation.invitation_id), 409, "INVITATION_NOT_PENDING")
        with pytest.raises(InvitationDeclined):
            client.wait_for_invitation(invitation, timeout=5)
        assert client.invitation_state(invitation).owner_pseudonym is None
    person.close()


# ------------------------------------------------------------------------------ attacks


def test_strangers_and_suspended_members_cannot_invite(world: World, mtls: ProdPortal) -> None:
    rid = mtls.resident()
    stranger = Member(
        "bank.stranger", Role.CONSUMER, world.sc.consumer.account, SM2PrivateKey.generate()
    )
    tls = member_tls(world, stranger)
    refused(
        post(mtls, submission(stranger, rid, channel=tls.channel), tls), 401, "CONSUMER_UNKNOWN"
    )
    impostor = Member(
        world.sc.consumer.code, Role.CONSUMER, world.sc.consumer.account, SM2PrivateKey.generate()
    )
    tls = member_tls(world, world.sc.consumer)
    refused(post(mtls, submission(impostor, rid, channel=tls.channel), tls), 401,
            "INVITATION_SIGNATURE_INVALID")  # fmt: skip
    suspended = admit(world.sc.net, Role.CONSUMER, name="暂停的银行")
    suspend(world.sc.net, suspended)
    tls = member_tls(world, suspended)
    refused(
        post(mtls, submission(suspended, rid, channel=tls.channel), tls), 403, "CONSUMER_NOT_ACTIVE"
    )
    with bank(world, suspended) as client, pytest.raises(InvitationRefused) as caught:
        client.invite_owner("resident_id", rid, portal_url=mtls.url, **TERMS)
    assert (caught.value.status, caught.value.refusal) == (403, "CONSUMER_NOT_ACTIVE")


def test_an_invitation_is_taken_once_on_its_own_channel(world: World, mtls: ProdPortal) -> None:
    consumer = world.sc.consumer
    tls = member_tls(world, consumer)
    body = submission(consumer, mtls.resident(), channel=tls.channel)
    refused(post(mtls, body, None), 401, "CHANNEL_REQUIRED")
    other = admit(world.sc.net, Role.CONSUMER, name="另一家银行")
    refused(post(mtls, body, member_tls(world, other)), 403, "CHANNEL_MISMATCH")
    assert post(mtls, body, tls).status_code == 202
    refused(post(mtls, body, tls), 409, "INVITATION_REPLAYED")


def test_another_consumer_polling_an_invitation_gets_404(world: World, mtls: ProdPortal) -> None:
    consumer = world.sc.consumer
    tls = member_tls(world, consumer)
    accepted = post(mtls, submission(consumer, mtls.resident(), channel=tls.channel), tls).json()
    url = mtls.url + "/v1/invitations/" + accepted["invitation_id"]
    assert _status(world, consumer, url).json()["status"] == "pending"
    other = admit(world.sc.net, Role.CONSUMER, name="好奇的银行")
    theirs = refused(_status(world, other, url), 404, "INVITATION_NOT_FOUND")
    nobody = refused(_status(world, other, mtls.url + "/v1/invitations/0x" + "ab" * 32), 404,
                     "INVITATION_NOT_FOUND")  # fmt: skip
    assert set(theirs) == set(nobody)
    refused(httpx.get(url, verify=tls.ssl_context(), timeout=30), 401, "READER_TOKEN_INVALID")


def test_nonsense_is_refused_and_stores_nothing(world: World, mtls: ProdPortal) -> None:
    consumer = world.sc.consumer
    tls = member_tls(world, consumer)
    rid = mtls.resident()
    bad_field = submission(consumer, rid, channel=tls.channel, scope_fields=("owner_salary",))
    error = refused(post(mtls, bad_field, tls), 422, "INVITATION_SCOPE_INVALID")
    assert any(p.startswith("FIELD_UNKNOWN") for p in error["details"]["problems"])
    other_number = submission(consumer, rid, channel=tls.channel).replace(
        rid.encode(), mtls.resident().encode()
    )
    refused(post(mtls, other_number, tls), 422, "SUBJECT_OPENING_INVALID")
    refused(post(mtls, b'{"invitation": 1}', tls), 422, "INVITATION_MALFORMED")
    with Session(mtls.engine) as session:
        for body in (bad_field, other_number):
            invitation_id = json.loads(body)["invitation"]["invitation_id"]
            assert session.get(InvitationRow, invitation_id) is None


def _status(world: World, member: Member, url: str) -> httpx.Response:
    """A status read signed by ``member`` over its own mutual-TLS connection."""
    tls = member_tls(world, member)
    target = url.split("://", 1)[1].split("/", 1)[1]
    header = encode_reader_header(
        member.sm2, member=member.code, audience=world.sc.net.committee[0].code,
        target="/" + target, issued_at_ms=int(time.time() * 1000), channel=tls.channel,
    )  # fmt: skip
    return httpx.get(url, headers={READER_HEADER: header}, verify=tls.ssl_context(), timeout=30)


def test_the_owner_accepts_in_the_browser(world: World, mtls: ProdPortal, https_page: Any) -> None:
    page, resident_id = https_page, mtls.resident()
    page.goto(mtls.url + "/enroll")
    page.get_by_label("开通码").fill(mtls.issue(resident_id))
    page.get_by_role("button", name="核验开通码并登记密钥").click()
    page.wait_for_url("**/key")
    with bank(world) as client:
        invitation = client.invite_owner("resident_id", resident_id, portal_url=mtls.url, **TERMS)
        page.goto(mtls.url + "/requests")
        card = page.locator(f'article.invitation[data-invitation-id="{invitation.invitation_id}"]')
        card.get_by_text(TERMS["message"]).wait_for()
        assert "测试银行" in card.inner_text()
        click_and_confirm(page, card, "接受邀请", "签名并接受", "已接受")
        assert client.wait_for_invitation(invitation, timeout=10) == mtls.pseudonym_of(resident_id)
