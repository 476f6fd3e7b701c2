"""Enterprises sign in to 数字保险箱 and act for their business (法定代表人).

An enterprise's pseudonym is the authority's pseudonym of ``("uscc", code)``; its key is
bound with an enrollment code the authority issues after checking the legal representative
against its registration data. Against a production-mode portal with that registration data
(``QC_PORTAL_ENTERPRISES_FILE``) and a real 税务局 gateway (``tax.payment``) on the world's chain.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from quancheng.chain import GrantStatus
from quancheng.chain.types import Role, code32, purposes_mask
from quancheng.committee import schema_digest
from quancheng.crypto import SM2PrivateKey, pseudonym
from quancheng.protocol import GrantDocument, Purpose
from quancheng_datagen import populate
from quancheng_datagen.businesses import Business, business_factory
from quancheng_finance.departments.jinan_tax import payment
from quancheng_gateway.process import GatewayProcess
from quancheng_portal.core.enterprises import BUILTIN_ENTERPRISES
from quancheng_portal.process import settings_env
from tests.portal.layout import check_layout
from tests.portal.production import (
    PortalClient,
    ProdPortal,
    b64,
    key_hex,
    refused,
    start_prod_portal,
)
from tests.portal.support import World, request_pending, status_of, wait_until
from tests.utils.chain_factories import admit
from tests.utils.ports import free_port
from tests.utils.scenario import gateway_settings, signed_request

TAX = "tax.payment"
TAX_FIELDS = ("period_end", "period_start", "tax_amount_fen")
_SEED, _PEOPLE, _FIRMS = 11, 60, 3


@dataclass
class TaxWorld:
    """The world's chain with a 税务局 gateway, and a portal that knows the enterprises."""

    world: World
    portal: ProdPortal
    gateway: GatewayProcess
    firms: list[Business]

    def pseudonym_of(self, firm: Business) -> bytes:
        return bytes(pseudonym(self.world.sc.pseudonym_key, "uscc", firm.uscc))

    def enrol(self, firm: Business) -> tuple[PortalClient, SM2PrivateKey]:
        """The firm's legal representative enters a fresh code and binds a fresh key."""
        client = self.portal.client()
        code = self.portal.codes().issue(self.pseudonym_of(firm)).display
        assert client.enroll(code).status_code == 200
        key = SM2PrivateKey.generate()
        resp = client.bind(key)
        assert resp.status_code == 200, resp.text
        client.post("/api/session/logout")
        return client, key


@pytest.fixture(scope="module")
def tax(world: World) -> Iterator[TaxWorld]:
    sc = world.sc
    work = world.work / "tax"
    work.mkdir(exist_ok=True)
    data_url = f"sqlite:///{work / 'tax-data.db'}"
    engine = create_engine(data_url)
    populate(engine, "tax", seed=_SEED, people=_PEOPLE, businesses=_FIRMS)
    engine.dispose()
    provider = admit(sc.net, Role.PROVIDER, code="jinan.tax", name="国家税务总局济南市税务局")
    gateway = GatewayProcess(
        gateway_settings(
            sc, database_url=f"sqlite:///{work / 'gateway.db'}", port=free_port(),
            department="quancheng_finance.departments:tax", data_url=data_url,
            sm2_key_pem=provider.sm2.to_pem().decode(),
            chain_private_key=provider.account.key.hex(),
        ),
        log_file=work / "gateway.log",
    )  # fmt: skip
    spec = payment.spec
    sc.net.send(
        sc.net.committee[0],
        sc.net.catalogue.functions.register(
            code32(TAX), provider.id, [code32(n) for n in sorted({*spec.fields, *spec.indicators})],
            schema_digest(TAX, spec.fields, spec.indicators), int(payment.sensitivity),
            purposes_mask(*(int(p) for p in payment.purposes)), "http://127.0.0.1/pending",
        ),
    )  # fmt: skip
    gateway.start()
    sc.net.send(provider, sc.net.catalogue.functions.setEndpoint(code32(TAX), gateway.url))
    factory = business_factory(_SEED, _PEOPLE)
    firms = [factory(i) for i in range(_FIRMS)]
    registry = work / "enterprises.json"
    registry.write_text(
        json.dumps(
            [{"uscc": f.uscc, "name": f.name, "legal_rep": f.legal_rep.name,
              "legal_rep_id": f.legal_rep.id_number} for f in firms],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )  # fmt: skip
    portal = start_prod_portal(world, "portal-enterprises", enterprises_file=registry)
    try:
        yield TaxWorld(world, portal, gateway, firms)
    finally:
        portal.stop()
        gateway.stop()


def _tax_query(tax: TaxWorld, doc: GrantDocument) -> httpx.Response:
    signed = signed_request(tax.world.sc.consumer, doc, TAX, TAX_FIELDS)
    return httpx.post(tax.gateway.url + "/v1/query", content=signed.model_dump_json(), timeout=30)


def test_an_enterprise_signs_in_approves_a_tax_grant_and_the_bank_is_answered(
    tax: TaxWorld,
) -> None:
    firm = tax.firms[0]
    client, key = tax.enrol(firm)
    resp = client.post("/api/sign-in", client.signed_in_body(key, uscc=firm.uscc))
    assert resp.status_code == 200, resp.text
    me = resp.json()
    assert me["signed_in"] and me["enterprise"] and me["auth"] == "key"
    assert me["name"] == firm.name and me["legal_rep"] == firm.legal_rep.name
    assert f"法定代表人 {firm.legal_rep.name}" in me["greeting"]

    doc = request_pending(
        tax.world,
        tax.pseudonym_of(firm),
        key_hex(key),
        scope={TAX: TAX_FIELDS},
        purpose=int(Purpose.SME_CREDIT),
    )
    assert _tax_query(tax, doc).status_code != 200  # not approved yet
    pending = client.http.get("/api/grants", params={"state": "pending"}).json()
    assert [g["grant_id"] for g in pending] == [doc.grant_id]
    page = client.http.get("/requests").text
    assert firm.name in page and f"法定代表人 {firm.legal_rep.name}" in page

    approve = {"signature": b64(key.sign(doc.canonical()))}
    approved = client.post(f"/api/grants/{doc.grant_id}/approve", approve)
    assert approved.status_code == 200, approved.text
    assert status_of(tax.world, doc) == GrantStatus.ACTIVE
    wait_until(lambda: _tax_query(tax, doc).status_code == 200, 30, "the bank's query answered")
    answered = _tax_query(tax, doc)
    assert answered.status_code == 200, answered.text

    # Same protections as a person's: logout everywhere ends the enterprise's sessions.
    other = tax.portal.client()
    assert other.sign_in(key, uscc=firm.uscc).status_code == 200
    assert client.post("/api/session/logout-all").json()["sessions_ended"] >= 2
    assert other.session()["signed_in"] is False


def test_a_key_signs_in_only_as_the_owner_it_is_bound_to(tax: TaxWorld) -> None:
    first, second = tax.firms[1], tax.firms[2]
    _, firm_key = tax.enrol(first)
    person_id = tax.portal.resident()
    person = tax.portal.client()
    assert person.enroll(tax.portal.issue(person_id)).status_code == 200
    person_key = SM2PrivateKey.generate()
    assert person.bind(person_key).status_code == 200

    # A person's key cannot act for the enterprise.
    error = refused(tax.portal.client().sign_in(person_key, uscc=first.uscc), 401,
                    "SIGN_IN_WRONG_OWNER")  # fmt: skip
    assert first.uscc in error["message"]
    # The enterprise's key cannot sign in as a person, nor for another enterprise.
    refused(tax.portal.client().sign_in(firm_key), 401, "SIGN_IN_WRONG_OWNER")
    refused(tax.portal.client().sign_in(firm_key, uscc=second.uscc), 401, "SIGN_IN_WRONG_OWNER")
    # The USCC is part of what was signed: one signed as a person cannot be replayed for it.
    replay = tax.portal.client()
    body = replay.signed_in_body(firm_key)
    refused(replay.post("/api/sign-in", {**body, "uscc": first.uscc}), 401,
            "SIGN_IN_SIGNATURE_INVALID")  # fmt: skip
    bad = first.uscc[:17] + ("0" if first.uscc[17] != "0" else "1")
    refused(tax.portal.client().sign_in(firm_key, uscc=bad), 400, "USCC_INVALID")
    # Each still signs in as itself.
    assert tax.portal.client().sign_in(person_key).json()["enterprise"] is False
    assert tax.portal.client().sign_in(firm_key, uscc=first.uscc).json()["enterprise"] is True


def test_an_enterprise_code_binds_only_that_enterprise(tax: TaxWorld) -> None:
    firm, other = tax.firms[0], tax.firms[1]
    client = tax.portal.client()
    assert (
        client.enroll(tax.portal.codes().issue(tax.pseudonym_of(firm)).display).json()["name"]
        == firm.name
    )
    key = SM2PrivateKey.generate()
    assert client.bind(key, replace=True).status_code == 200
    contracts = tax.world.sc.net.contracts
    assert contracts.owner(tax.pseudonym_of(firm)).sm2_public_key == key.public_key().to_bytes()
    assert contracts.owner(tax.pseudonym_of(other)).sm2_public_key != key.public_key().to_bytes()
    # The key now signs in for this enterprise only.
    refused(tax.portal.client().sign_in(key, uscc=other.uscc), 401, "SIGN_IN_WRONG_OWNER")
    assert tax.portal.client().sign_in(key, uscc=firm.uscc).status_code == 200


def test_the_authority_issues_an_enterprise_code_only_to_its_legal_representative(
    tax: TaxWorld,
) -> None:
    firm, other = tax.firms[0], tax.firms[1]
    rep = firm.legal_rep
    ok = _issue(tax, "--uscc", firm.uscc, "--name", rep.name, "--resident-id", rep.id_number)
    assert ok.returncode == 0, ok.stderr
    assert (
        firm.name in ok.stdout and firm.uscc in ok.stdout and f"法定代表人 {rep.name}" in ok.stdout
    )
    if other.legal_rep.id_number != rep.id_number:
        wrong = _issue(tax, "--uscc", other.uscc, "--name", rep.name, "--resident-id",
                       rep.id_number)  # fmt: skip
        assert wrong.returncode == 2 and "不是登记的" in wrong.stderr
        assert "开通码：" not in wrong.stdout


def _issue(tax: TaxWorld, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings_env(tax.portal.settings)}
    return subprocess.run(
        [sys.executable, "-m", "quancheng_portal.enroll", "issue", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_in_chromium_at_390_px_the_legal_representative_signs_in_for_the_enterprise(
    tax: TaxWorld, https_page: Any
) -> None:
    firm = tax.firms[2]
    _, key = tax.enrol(firm)
    page = https_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(tax.portal.url + "/login")
    page.wait_for_selector("html[data-ready='true']")
    assert page.locator("#uscc").is_hidden()
    page.get_by_label("企业（法定代表人代企业登录）").check()
    page.get_by_label("企业的统一社会信用代码").fill(firm.uscc.lower())
    check_layout(page, "390", "login, enterprise chosen")
    page.locator("summary", has_text="用密钥备份登录").click()
    page.get_by_label("粘贴 PEM 备份").fill(key.to_pem().decode())
    page.get_by_role("button", name="导入备份并登录").click()
    page.wait_for_url("**/requests")
    page.wait_for_selector("html[data-ready='true']")
    header = page.locator("header.site").inner_text()
    assert firm.name in header and f"法定代表人 {firm.legal_rep.name}" in header
    check_layout(page, "390", "requests of an enterprise")


def test_in_development_the_demo_list_includes_enterprises(world: World) -> None:
    demo = BUILTIN_ENTERPRISES[0]
    with httpx.Client(base_url=world.portal.url, timeout=30) as http:
        login = http.get("/login").text
        assert demo.name in login and f"法定代表人 {demo.legal_rep}" in login
        csrf = http.get("/api/session").json()["csrf_token"]
        resp = http.post("/api/session", json={"person": demo.key}, headers={"x-csrf-token": csrf})
        assert resp.status_code == 200, resp.text
        me = resp.json()
    assert me["enterprise"] and me["name"] == demo.name and me["masked_id"] == demo.uscc
    assert me["greeting"] == f"{demo.name}（法定代表人 {demo.legal_rep}）"
