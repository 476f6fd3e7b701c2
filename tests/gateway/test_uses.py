"""Planning a batch's recordUsesBatch: each resource's budget under its grant, apart."""

from __future__ import annotations

from quancheng.chain.types import code32
from quancheng_gateway.uses import GrantState, plan_uses
from tests.utils.receipts import grant

G, H = grant(1), grant(2)
VR, DL = "vehicle.registration", "driver.license"


def test_the_plan_records_each_resource_against_its_own_budget() -> None:
    recorded = {(G, VR): 1, (G, DL): 0, (H, VR): 0}
    plan = plan_uses(
        [(G, DL, 2), (G, VR, 2), (H, VR, 1)],
        lambda g, res: GrantState(True, recorded[(g, res)], 2),
    )
    # G/VR has room for one more; G/DL's two uses are not taken from VR's budget, nor VR's
    # from DL's.
    assert plan.counts == [2, 1, 1]
    assert plan.resource_ids == [code32(DL), code32(VR), code32(VR)]
    assert plan.grant_ids == [bytes.fromhex(g[2:]) for g in (G, G, H)]
    assert plan.notes == [f"{G}/{VR}: 1 of 2 uses not recorded (max 2 of the resource reached)"]


def test_uses_of_a_grant_no_longer_active_are_noted_not_recorded() -> None:
    plan = plan_uses([(G, VR, 3)], lambda g, res: GrantState(False, 0, 5))
    assert plan.empty
    assert plan.notes == [f"{G}/{VR}: 3 uses not recorded (grant not active)"]
