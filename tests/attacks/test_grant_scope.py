"""Grant requests inconsistent with the catalogue, or with absurd terms, at each layer.

* the SDK refuses them before anything is signed or sent (typed error naming the field);
* a bank that writes one on chain directly gets a precise refusal from the real gateway
  (``FIELD_UNKNOWN``, ``MODE_MISMATCH``, ``SUBJECT_KIND_MISMATCH``);
* the portal shows it flagged and refuses to approve it, and renders absurd terms.

A deployment of its own: the catalogue entries here carry the committee's schema digest and
the real gateway's endpoint, so the SDK can read and verify the published schemas.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from quancheng.chain.errors import GrantRegistryTermsOutOfBounds
from quancheng.chain.types import code32, purposes_mask
from quancheng.client import ConsumerClient
from quancheng.committee import schema_digest
from quancheng.limits import LIMITS
from quancheng.protocol import GrantMode, Purpose, signing_bytes
from quancheng.scope_errors import (
    DataPeriodOutOfBounds,
    FieldModeMismatch,
    FieldNotInCatalogue,
    MaxUsesOutOfBounds,
    ResourceSubjectMismatch,
    TooManyFields,
    TooManyResources,
    ValidityOutOfBounds,
)
from quancheng_gateway.process import GatewayProcess
from tests.attacks.scope_department import FLEET, Fleet
from tests.attacks.support import DL, FIELDS, VR, assert_refused
from tests.attacks.worlds import DeptGateway, PortalWorld, build_portal, portal_sign_in
from tests.gateway.department import DrivingLicence, VehicleRegistration
from tests.utils.ports import free_port
from tests.utils.scenario import (
    Scenario,
    active_grant,
    build_scenario,
    gateway_settings,
    grant_document,
    owner_for,
    request_grant,
    signed_request,
)
from tests.utils.sdk_factories import make_consumer_client

FUNDER_INDEX = 17
PLUGIN = "tests.attacks.scope_department:department"


@dataclass
class ScopeWorld:
    dept: DeptGateway
    client: ConsumerClient
    portal: PortalWorld

    @property
    def sc(self) -> Scenario:
        return self.dept.sc


@pytest.fixture(scope="module")
def w(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScopeWorld]:
    work = tmp_path_factory.mktemp("scope")
    sc = build_scenario(chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], work)
    settings = gateway_settings(
        sc, database_url=f"sqlite:///{work / 'gateway.db'}", port=free_port(), department=PLUGIN
    )
    process = GatewayProcess(settings, log_file=work / "gateway.log")
    process.start()
    _catalogue(sc, process.url)
    dept = DeptGateway(sc, process, settings, _http(process.url))
    client = make_consumer_client(sc.net, sc.rpc_url, sc.consumer)
    portal_gen = cast(Generator[PortalWorld, None, None], build_portal(sc, Path(work)))
    try:
        yield ScopeWorld(dept, client, next(portal_gen))
    finally:
        portal_gen.close()
        client.close()
        dept.http.close()
        process.stop()


def _http(url: str) -> Any:
    import httpx

    return httpx.Client(base_url=url, timeout=30)


def _catalogue(sc: Scenario, endpoint: str) -> None:
    """Committee-form schema digests and the real endpoint; one business resource more."""
    cat = sc.net.catalogue.functions
    for spec, update in (
        (VehicleRegistration.spec, True), (DrivingLicence.spec, True), (Fleet.spec, False),
    ):  # fmt: skip
        names = [code32(n) for n in sorted({*spec.fields, *spec.indicators})]
        digest = schema_digest(spec.resource_id, spec.fields, spec.indicators)
        purposes = purposes_mask(1, 4, 6)
        call = (
            cat.update(code32(spec.resource_id), names, digest, 3, purposes, endpoint)
            if update
            else cat.register(
                code32(spec.resource_id), sc.provider.id, names, digest, 3, purposes, endpoint
            )
        )
        sc.net.send(sc.net.committee[0], call)


def _subject(w: ScopeWorld, n: int) -> str:
    return w.sc.subjects[n]


def _ask(w: ScopeWorld, subject: str, scope: dict[str, list[str]], **over: Any) -> Any:
    owner = owner_for(w.sc, subject)
    args: dict[str, Any] = {
        "purpose": Purpose.MOTOR_CLAIM, "mode": GrantMode.RAW, "data_from": "2024-01-01",
        "data_to": "2024-12-31", "valid_for": timedelta(days=30), "max_uses": 5,
    }  # fmt: skip
    args.update(over)
    return w.client.request_grant(owner.pseudonym, owner.sm2_public_key, scope, **args)


# ------------------------------------------------------------------------------ the SDK


@pytest.mark.parametrize(
    ("scope", "mode", "error", "field"),
    [
        ({VR: ["plate_no", "no_such_field"]}, GrantMode.RAW, FieldNotInCatalogue, "no_such_field"),
        ({VR: ["vehicle_count"]}, GrantMode.RAW, FieldModeMismatch, "vehicle_count"),
        ({VR: ["plate_no"]}, GrantMode.DERIVED, FieldModeMismatch, "plate_no"),
    ],
    ids=["unknown-field", "indicator-under-raw", "raw-field-under-derived"],
)
def test_sdk_refuses_a_scope_the_catalogue_refutes_and_sends_nothing(
    w: ScopeWorld, scope: Any, mode: GrantMode, error: type[Exception], field: str
) -> None:
    nonce = w.sc.net.w3.eth.get_transaction_count(w.sc.consumer.account.address)
    with pytest.raises(error) as caught:
        _ask(w, _subject(w, 0), scope, mode=mode)
    assert (caught.value.resource, caught.value.field) == (VR, field)  # type: ignore[attr-defined]
    assert w.sc.net.w3.eth.get_transaction_count(w.sc.consumer.account.address) == nonce


def test_sdk_refuses_a_business_resource_beside_a_persons(w: ScopeWorld) -> None:
    nonce = w.sc.net.w3.eth.get_transaction_count(w.sc.consumer.account.address)
    with pytest.raises(ResourceSubjectMismatch) as caught:
        _ask(w, _subject(w, 0), {VR: ["plate_no"], FLEET: ["fleet_size"]})
    assert (caught.value.resource, caught.value.subject_kind) == (FLEET, "business")
    assert w.sc.net.w3.eth.get_transaction_count(w.sc.consumer.account.address) == nonce


def test_sdk_refuses_a_business_resource_asked_of_a_person(w: ScopeWorld) -> None:
    owner = owner_for(w.sc, _subject(w, 0))
    core = w.client._core  # ConsumerClient does not forward owner_kind yet
    with pytest.raises(ResourceSubjectMismatch) as caught:
        core.request_grant(
            owner.pseudonym, None, {FLEET: ["fleet_size"]}, Purpose.MOTOR_CLAIM, GrantMode.RAW,
            "2024-01-01", "2024-12-31", valid_for=3600, owner_kind="person",
        )  # fmt: skip
    assert caught.value.owner_kind == "person"


@pytest.mark.parametrize(
    ("over", "error"),
    [
        ({"max_uses": LIMITS.max_uses + 1}, MaxUsesOutOfBounds),
        ({"max_uses": 0}, MaxUsesOutOfBounds),
        ({"valid_for": timedelta(days=1097)}, ValidityOutOfBounds),
        ({"data_from": "1949-09-30", "data_to": "1950-01-01"}, DataPeriodOutOfBounds),
        ({"data_from": "1990-01-01", "data_to": "2021-01-01"}, DataPeriodOutOfBounds),
    ],
    ids=["max-uses", "zero-uses", "validity", "data-before-1949-10-01", "data-period-31-years"],
)
def test_sdk_refuses_terms_out_of_bounds(
    w: ScopeWorld, over: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        _ask(w, _subject(w, 0), {VR: ["plate_no"]}, **over)


def test_sdk_refuses_validity_ending_too_far_ahead(w: ScopeWorld) -> None:
    now = int(w.sc.net.w3.eth.get_block("latest")["timestamp"])
    with pytest.raises(ValidityOutOfBounds) as caught:
        _ask(
            w, _subject(w, 0), {VR: ["plate_no"]}, valid_for=None,
            not_before=now + 30 * 86_400, not_after=now + 1_100 * 86_400,
        )  # fmt: skip
    assert caught.value.term == "not_after"


def test_sdk_refuses_too_many_resources_or_fields(w: ScopeWorld) -> None:
    many = {f"res.r{i}": ["a"] for i in range(LIMITS.max_resources + 1)}
    with pytest.raises(TooManyResources):
        _ask(w, _subject(w, 0), many)
    with pytest.raises(TooManyFields) as caught:
        _ask(w, _subject(w, 0), {VR: [f"f{i}" for i in range(65)]})
    assert caught.value.resource == VR


# ------------------------------------------------------------------ the gateway (bypass)


@pytest.mark.parametrize(
    ("resource", "scope", "status", "code"),
    [
        (VR, ("no_such_field", "plate_no"), 404, "FIELD_UNKNOWN"),
        (VR, ("vehicle_count",), 403, "MODE_MISMATCH"),
        (FLEET, ("fleet_size",), 403, "SUBJECT_KIND_MISMATCH"),
    ],
    ids=["unknown-field", "indicator-under-raw", "business-resource-of-a-person"],
)
def test_grant_written_on_chain_past_the_sdk_is_refused_precisely_by_the_gateway(
    w: ScopeWorld, resource: str, scope: tuple[str, ...], status: int, code: str
) -> None:
    doc = active_grant(w.sc, _subject(w, 1 + len(code) % 7), {resource: scope})
    w.dept.sync()
    asked = tuple(f for f in scope if f != "plate_no")
    resp = w.dept.post(signing_bytes(signed_request(w.sc.consumer, doc, resource, asked)))
    error = assert_refused(resp, status, code)
    assert error["details"]["resource"] == resource


# -------------------------------------------------------------------------- the portal


def _pending(w: ScopeWorld, resident_id: str, scope: Any, **kw: Any) -> Any:
    doc = grant_document(w.sc, owner_for(w.sc, resident_id), scope, **kw)
    request_grant(w.sc, doc)
    return doc


def test_portal_flags_an_invalid_request_and_refuses_to_approve_it(w: ScopeWorld) -> None:
    owner = portal_sign_in(w.portal, 0)
    doc = _pending(w, owner.resident_id, {FLEET: ("fleet_size",), VR: ("no_such_field",)})
    views = owner.client.get("/api/grants", params={"state": "pending"}).json()
    view = next(v for v in views if v["grant_id"] == doc.grant_id)
    codes = {p["code"] for p in view["problems"]}
    assert {"FIELD_UNKNOWN", "SUBJECT_KIND_MISMATCH"} <= codes
    signature = owner.key.sign(doc.canonical())
    resp = owner.post(f"/api/grants/{doc.grant_id}/approve", {"signature": _b64(signature)})
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "GRANT_REQUEST_INVALID"
    assert w.sc.net.grants.functions.getGrant(bytes.fromhex(doc.grant_id[2:])).call()
    page = owner.client.get("/requests")
    assert page.status_code == 200 and "不能同意" in page.text


def test_portal_pages_render_absurd_terms(w: ScopeWorld) -> None:
    """The chain refuses terms past their bounds; the largest it allows still render."""
    owner = portal_sign_in(w.portal, 1)
    long_code = "x" * 63
    fields = tuple(sorted(f"f{i:02d}_{long_code[:40]}" for i in range(64)))
    with pytest.raises(GrantRegistryTermsOutOfBounds):
        _pending(w, owner.resident_id, {VR: FIELDS}, max_uses=2**32 - 1)
    with pytest.raises(GrantRegistryTermsOutOfBounds):
        _pending(w, owner.resident_id, {VR: FIELDS}, not_after=253_402_300_799)  # 9999-12-31
    now = int(w.sc.net.now())
    doc = _pending(
        w, owner.resident_id, {VR: fields}, max_uses=100_000, not_after=now + 1_095 * 86_400,
    )  # fmt: skip
    for path in ("/requests", "/grants"):
        page = owner.client.get(path)
        assert page.status_code == 200, page.text[:300]
    views = owner.client.get("/api/grants").json()
    view = next(v for v in views if v["grant_id"] == doc.grant_id)
    assert "FIELD_UNKNOWN" in {p["code"] for p in view["problems"]}
    assert DL  # both resources stay served


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()
