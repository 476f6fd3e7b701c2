"""The chain view after a failed range: fetched again, never applied twice.

When the database fails while the follower applies a range, the follower does not advance
and fetches the range again. If the failure hid a COMMIT that did happen, the same events
come back: the view must skip the blocks it already holds, and what it applies again must
change nothing (a resource's uses are the total the event carries).
Here the real events of a real range are handed to the view a second time.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from quancheng_gateway.models import Batch, BatchStatus, GrantResourceUses
from tests.gateway.conftest import in_process_gateway, wait_until
from tests.utils.scenario import Scenario, active_grant, signed_request

BATCH = Batch.__table__  # type: ignore[attr-defined]
USES = GrantResourceUses.__table__  # type: ignore[attr-defined]

VR, FIELDS = "vehicle.registration", ("plate_no", "status")


def test_a_range_applied_again_after_an_unknown_commit_changes_nothing(
    sc: Scenario, tmp_path: Path
) -> None:
    doc = active_grant(sc, sc.subjects[0], {VR: FIELDS}, max_uses=10)
    gen = in_process_gateway(sc, tmp_path / "gw.db", batch_size=2, batch_max_age_s=600.0)
    gw = next(gen)
    try:
        gw.sync()
        for _ in range(2):
            assert gw.query(signed_request(sc.consumer, doc, VR, FIELDS)).status_code == 200
        engine, follower = gw.gateway.engine, gw.gateway.follower

        def uses_block() -> int | None:
            with engine.connect() as conn:
                row = conn.execute(select(BATCH).where(BATCH.c.seq == 0)).first()
            if row is None or row.status != BatchStatus.DONE or row.uses_block is None:
                return None
            return int(row.uses_block)

        wait_until(lambda: uses_block() is not None, 30, "uses of batch 0 recorded")
        block = uses_block()
        assert block is not None and follower.wait_for_block(block, 10)

        def uses() -> list[tuple[str, int]]:
            with engine.connect() as conn:
                stmt = select(USES.c.resource, USES.c.uses).where(USES.c.grant_id == doc.grant_id)
                return [(str(res), int(n)) for res, n in conn.execute(stmt)]

        assert uses() == [(VR, 2)]
        follower.stop()  # hand the view the range ourselves, as the follower would on retry
        events = follower._fetch(block, block)
        assert "GrantUsesRecorded" in {e.name for e in events}
        gw.gateway.view.apply(events, block)
        assert uses() == [(VR, 2)]
        with engine.begin() as conn:  # even past the skip: the event sets, it does not add
            for event in events:
                gw.gateway.view._applier.apply(conn, event)
        assert uses() == [(VR, 2)]
        assert gw.gateway.view.processed_block() >= block
    finally:
        gen.close()
