"""Use budgets across providers: ``max_uses`` is a budget per resource, each provider alone
enforces its own resources', and no provider's uses eat another resource's budget.

Two real gateways over one deployment on the session's node: the test department (车管所,
``vehicle.registration`` and ``driving.licence``) and a licence office of another provider
(``licence.record``). Once a grant counted uses per grant while each gateway counted its own:
a ``max_uses`` = 1 grant spanning two providers was served once by each, and the audit said
the second answer was beyond the grant. Now each resource has ``max_uses`` of its own, its one
provider counts it (``GrantRegistry.usesOf``), and what the gateways answer is what the chain
records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from quancheng.chain import Role
from quancheng.chain.types import GrantStatus, code32, purposes_mask
from quancheng.crypto import canonical_json, sm3
from quancheng.protocol import GrantDocument
from tests.attacks.licence_department import LICENCE, PROVIDER, LicenceOffice
from tests.attacks.support import DL, FIELDS, FUNDER_INDEX, VR, answered, refused
from tests.gateway.conftest import InProcessGateway, in_process_gateway, wait_until
from tests.utils.chain_factories import Member, admit
from tests.utils.scenario import RESOURCES, Scenario, active_grant, build_scenario, signed_request

LICENCE_FIELDS = ("licence_class", "status")
DL_FIELDS = ("status",)
#: Small batches anchored quickly: the chain's count is checked after anchoring.
BATCHING = {"batch_size": 4, "batch_max_age_s": 0.2}


@dataclass
class TwoProviders:
    sc: Scenario
    office: Member
    #: The test department's gateway (vehicle.registration, driving.licence).
    vmo: InProcessGateway
    #: The licence office's gateway (licence.record).
    dlo: InProcessGateway

    def sync(self) -> None:
        self.vmo.sync(), self.dlo.sync()


@pytest.fixture(scope="module")
def two(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoProviders]:
    work = tmp_path_factory.mktemp("attack-budgets")
    sc = build_scenario(
        chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], work, people=30
    )
    office = admit(sc.net, Role.PROVIDER, code=PROVIDER, name=LicenceOffice.name)
    fields, purposes = RESOURCES[DL]
    sc.net.send(
        sc.net.committee[0],
        sc.net.catalogue.functions.register(
            code32(LICENCE),
            office.id,
            [code32(f) for f in fields],
            sm3(canonical_json({"fields": list(fields)})),
            3,
            purposes_mask(*purposes),
            "http://127.0.0.1/gateway",
        ),
    )
    vmo = in_process_gateway(sc, work / "vmo.db", **BATCHING)
    dlo = in_process_gateway(
        sc,
        work / "dlo.db",
        department="tests.attacks.licence_department:department",
        sm2_key_pem=office.sm2.to_pem().decode(),
        chain_private_key=office.account.key.hex(),
        **BATCHING,
    )
    try:
        yield TwoProviders(sc, office, next(vmo), next(dlo))
    finally:
        dlo.close(), vmo.close()


def _ask(gw: InProcessGateway, sc: Scenario, doc: GrantDocument, resource: str) -> Any:
    fields = {VR: FIELDS, DL: DL_FIELDS, LICENCE: LICENCE_FIELDS}[resource]
    return gw.query(signed_request(sc.consumer, doc, resource, fields))


def _spent(gw: InProcessGateway, sc: Scenario, doc: GrantDocument, resource: str) -> None:
    """The resource's next query: 403 GRANT_EXHAUSTED naming it, nothing written."""
    fields = {VR: FIELDS, DL: DL_FIELDS, LICENCE: LICENCE_FIELDS}[resource]
    signed = signed_request(sc.consumer, doc, resource, fields)
    error = refused(
        gw, lambda: gw.query(signed), 403, "GRANT_EXHAUSTED", request_id=signed.request.request_id
    )
    assert error["details"] == {
        "grant_id": doc.grant_id,
        "resource": resource,
        "max_uses": doc.max_uses,
        "uses": doc.max_uses,
    }
    assert error["message"] == (
        f"the grant's {doc.max_uses} uses of {resource} are spent "
        "(max_uses is a budget per resource)"
    )


def _uses_on_chain(two: TwoProviders, doc: GrantDocument) -> dict[str, int]:
    grant_id = bytes.fromhex(doc.grant_id[2:])
    return {r: two.sc.net.contracts.uses_of(grant_id, code32(r)) for r in (VR, DL, LICENCE)}


def _anchored(two: TwoProviders, doc: GrantDocument, expected: dict[str, int]) -> None:
    """Both logs anchored and their uses recorded: the chain counts what was answered."""
    for gw in (two.vmo, two.dlo):
        gw.drain(30)
    wait_until(lambda: _uses_on_chain(two, doc) == expected, 30, f"usesOf {expected}")


def test_a_one_use_grant_over_two_providers_is_answered_once_per_resource(
    two: TwoProviders,
) -> None:
    sc = two.sc
    doc = active_grant(
        sc, sc.subjects[0], {VR: FIELDS, DL: DL_FIELDS, LICENCE: LICENCE_FIELDS}, max_uses=1
    )
    two.sync()
    for gw, resource in ((two.vmo, VR), (two.dlo, LICENCE), (two.vmo, DL)):
        answered(gw, _ask(gw, sc, doc, resource))
    for gw, resource in ((two.vmo, VR), (two.dlo, LICENCE), (two.vmo, DL)):
        _spent(gw, sc, doc, resource)  # each provider refuses its own resource's second use
    _anchored(two, doc, {VR: 1, DL: 1, LICENCE: 1})
    grant = sc.net.contracts.grant(bytes.fromhex(doc.grant_id[2:]))
    assert (grant.status, grant.uses) == (GrantStatus.EXHAUSTED, 3)  # every resource spent
    two.sync()
    # Now the chain's EXHAUSTED status refuses first: the same refusal, naming the resource.
    for gw, resource in ((two.vmo, VR), (two.dlo, LICENCE), (two.vmo, DL)):
        _spent(gw, sc, doc, resource)


def test_one_gateway_keeps_the_budgets_of_a_grants_resources_apart(two: TwoProviders) -> None:
    sc = two.sc
    doc = active_grant(
        sc, sc.subjects[1], {VR: FIELDS, DL: DL_FIELDS, LICENCE: LICENCE_FIELDS}, max_uses=2
    )
    two.sync()
    for _ in range(2):
        answered(two.vmo, _ask(two.vmo, sc, doc, VR))
    _spent(two.vmo, sc, doc, VR)
    for _ in range(2):  # vehicle.registration's uses took nothing from driving.licence's
        answered(two.vmo, _ask(two.vmo, sc, doc, DL))
    _spent(two.vmo, sc, doc, DL)
    _anchored(two, doc, {VR: 2, DL: 2, LICENCE: 0})
    two.sync()
    grant = sc.net.contracts.grant(bytes.fromhex(doc.grant_id[2:]))
    assert (grant.status, grant.uses) == (GrantStatus.ACTIVE, 4)  # licence.record unspent
    answered(two.dlo, _ask(two.dlo, sc, doc, LICENCE))  # the other provider's budget is whole
    _spent(two.vmo, sc, doc, VR)  # and, with the chain's count in the view, still spent
