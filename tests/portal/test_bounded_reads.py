"""The access history with one hostile gateway: its log is reported unreadable, the others
are read and shown all the same.

An owner's grant covers the real gateway's 机动车登记信息 and a resource of a second provider
whose catalogue endpoint is a fake gateway served here over real HTTP
(:mod:`tests.attacks.fake_gateway`): a log that never ends, an answer that never ends, one
that drips, one that redirects; or, over mutual TLS, one that asks for the authority's client
certificate. The history is the portal's own (:meth:`Portal.build`), with a short deadline;
the owner is told in plain Chinese which department's records could not be read, and the
portal's log says where and why.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quancheng.chain import Role, code32, purposes_mask
from quancheng.crypto import canonical_json, sm3
from quancheng_appkit.devca import DevCa
from quancheng_portal.app_state import Portal, gateway_tls
from quancheng_portal.core.config import SettingsError
from quancheng_portal.services.history import HistoryLimits, RefreshReport
from quancheng_portal.services.history_report import unreadable_notice
from tests.attacks.fake_gateway import FakeGatewayThread, hits
from tests.portal.browser import api, b64, sign_in, wallet_of
from tests.portal.support import (
    VR,
    VR_FIELDS,
    World,
    consumer_query,
    gateway_synced,
    request_pending,
)
from tests.utils.chain_factories import Member, admit
from tests.utils.scenario import approve, grant_document, owner_for, request_grant

#: A refresh waits this long for one gateway (the drip would last minutes).
LIMITS = HistoryLimits(max_pages=3, timeout_s=2.0, deadline_s=2.0)
#: The hostile provider's name in the registry, as the owner is told it.
HOSTILE_NAME = "另一部门（测试）"
NOTICE = (
    f"暂时无法读取{HOSTILE_NAME}的记录，下面的访问记录可能不完整。"
    "请稍后再打开本页，或点“刷新访问记录”再试。"
)


@dataclass
class Hostile:
    """The second provider, its resource, and the fake gateways it may point it at."""

    provider: Member
    resource: str
    fake: FakeGatewayThread
    tls_fake: FakeGatewayThread
    ca: DevCa

    def point_at(self, world: World, endpoint: str) -> None:
        fn = world.sc.net.catalogue.functions.setEndpoint(code32(self.resource), endpoint)
        world.sc.net.send(self.provider, fn)


@pytest.fixture(scope="module")
def hostile(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    net = world.sc.net
    ca = DevCa.ensure(tmp_path_factory.mktemp("gateway-ca"), [world.settings.authority_code])
    fake = FakeGatewayThread().start()
    tls_fake = FakeGatewayThread(
        certfile=ca.server_cert_file, keyfile=ca.server_key_file, client_ca=ca.ca_file
    ).start()
    try:
        provider = admit(net, Role.PROVIDER, name=HOSTILE_NAME)
        resource = f"hostile.{secrets.token_hex(3)}"
        net.send(
            net.committee[0],
            net.catalogue.functions.register(
                code32(resource), provider.id, [code32("status")],
                sm3(canonical_json({"fields": ["status"]})), 1, purposes_mask(1),
                f"{fake.url}/endless-log",
            ),
        )  # fmt: skip
        yield Hostile(provider, resource, fake, tls_fake, ca)
    finally:
        fake.stop()
        tls_fake.stop()


_subjects = iter(range(1, 40))


def _served_owner(world: World, hostile: Hostile) -> bytes:
    """A fresh owner whose grant covers both gateways, served once by the real one."""
    sc = world.sc
    owner = owner_for(sc, sc.subjects[-next(_subjects)])
    doc = grant_document(sc, owner, {VR: VR_FIELDS, hostile.resource: ("status",)})
    request_grant(sc, doc)
    approve(sc, doc, owner)
    gateway_synced(world)
    answered = consumer_query(world, doc)
    assert answered.status_code == 200, answered.text
    return owner.pseudonym


def _refresh(world: World, tmp_path: Path, pseudonym: bytes, **settings: Any) -> tuple[
    RefreshReport, list[Any], str | None
]:  # fmt: skip
    """One refresh by a portal of its own (its own database): its report, the accesses it
    shows and what the owner is told of the gateways it could not read."""
    own = world.settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'portal.db'}", **settings}
    )
    portal = Portal.build(own)
    try:
        portal.history.limits = LIMITS
        report = portal.history.refresh(pseudonym)
        notice = unreadable_notice(report, portal.directory)
        return report, portal.history.accesses(pseudonym), notice
    finally:
        portal.close()


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        ("endless-log", "OWNER_LOG_TOO_LONG"),
        ("endless", "RESPONSE_TOO_LARGE"),
        ("drip", "RESPONSE_TOO_SLOW"),
        ("redirect", "REDIRECT_REFUSED"),
    ],
)
def test_history_with_a_hostile_gateway_still_shows_the_others(
    world: World, hostile: Hostile, tmp_path: Path, behaviour: str, code: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    endpoint = f"{hostile.fake.url}/{behaviour}"
    hostile.point_at(world, endpoint)
    pseudonym = _served_owner(world, hostile)
    stolen = hits().get("stolen", 0)

    with caplog.at_level(logging.WARNING, logger="quancheng_portal.history"):
        report, accesses, notice = _refresh(world, tmp_path, pseudonym)

    assert report.unreachable == [endpoint]
    assert report.problems[endpoint].startswith(f"{code}: ")
    assert report.new == 1
    (access,) = accesses
    assert (access.resource, access.signature) == (VR, "ok")
    assert access.inclusion in ("ok", "pending")
    assert hits().get("stolen", 0) == stolen
    # The owner is told which department, in plain Chinese; where and why go to the log.
    assert notice == NOTICE
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "quancheng_portal.history"]
    assert endpoint in logged and f"{code}: " in logged


def test_the_history_page_says_whose_records_could_not_be_read(
    world: World, hostile: Hostile, page: Any
) -> None:
    hostile.point_at(world, f"{hostile.fake.url}/redirect")
    person = world.person(15)
    key_hex = sign_in(page, world, person)
    doc = request_pending(world, person, key_hex,
                          scope={VR: VR_FIELDS, hostile.resource: ("status",)})  # fmt: skip
    signature = {"signature": b64(wallet_of(page).sign(doc.canonical()))}
    status, body = api(page, "POST", f"/api/grants/{doc.grant_id}/approve", signature)
    assert status == 200, body
    gateway_synced(world)
    assert consumer_query(world, doc).status_code == 200

    page.goto(world.portal.url + "/history")
    section = page.locator("#accesses[data-state='current']")
    section.wait_for()

    assert section.locator(".incomplete").inner_text() == NOTICE
    assert section.locator("table.history tbody tr").count() == 1  # the real gateway's access
    shown = page.inner_text("body")
    assert shown.count("暂时无法读取") == 1  # said once, above the list
    assert "http" not in shown and "REDIRECT" not in shown and hostile.resource not in shown
    page.get_by_role("button", name="刷新访问记录").click()  # asked again: still said, once
    status = page.locator("#status", has_text="已刷新")
    status.wait_for()
    assert "部分部门的记录暂时无法读取，见下方说明" in status.inner_text()
    assert page.locator("#accesses .incomplete").inner_text() == NOTICE


def test_the_history_reads_gateways_with_the_authoritys_client_certificate(
    world: World, hostile: Hostile, tmp_path: Path
) -> None:
    endpoint = f"{hostile.tls_fake.url}/endless-log"
    hostile.point_at(world, endpoint)
    pseudonym = _served_owner(world, hostile)
    member = hostile.ca.client(world.settings.authority_code)
    tls = {
        "gateway_tls_ca_file": member.ca_file,
        "gateway_tls_cert_file": member.cert_file,
        "gateway_tls_key_file": member.key_file,
    }
    # With its certificate the portal reads the (endless) log up to its bound...
    report, accesses, _ = _refresh(world, tmp_path / "mtls", pseudonym, **tls)
    assert report.problems[endpoint].startswith("OWNER_LOG_TOO_LONG: ")
    assert report.new == 1 and len(accesses) == 1
    # ...without it, the TLS handshake is refused: unreadable, the rest shown all the same.
    anonymous = {**tls, "gateway_tls_cert_file": None, "gateway_tls_key_file": None}
    report, accesses, notice = _refresh(world, tmp_path / "anonymous", pseudonym, **anonymous)
    assert report.unreachable == [endpoint] and report.new == 1 and len(accesses) == 1
    assert not report.problems[endpoint].startswith("OWNER_LOG_TOO_LONG")
    assert notice == NOTICE


def test_a_client_certificate_without_the_ca_bundle_is_refused(world: World) -> None:
    lone = world.settings.model_copy(update={"gateway_tls_cert_file": Path("client.pem")})
    with pytest.raises(SettingsError, match="QC_PORTAL_GATEWAY_TLS_CA_FILE"):
        gateway_tls(lone)
    assert gateway_tls(world.settings) is None
