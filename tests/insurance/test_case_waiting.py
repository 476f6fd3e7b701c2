"""A waiting case is looked at again without ever showing ``deciding`` before its grant is.

``CaseRunner.advance`` runs on every GET of a case and in the background poller; while the
owner has not approved, a reader must see ``waiting_for_grant`` whenever it looks (with blocks
every few seconds the grant stays PENDING long enough for a GET to meet the poller).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quancheng.chain import GrantStatus
from quancheng.errors import ChainError
from quancheng_appkit.officer.errors import ChainUnavailable, GrantNotUsable
from quancheng_appkit.officer.models import CaseState
from quancheng_appkit.officer.runner import CaseRunner, RecordingClient
from quancheng_appkit.officer.store import CaseStore, make_engine
from quancheng_appkit.store import utc_now
from quancheng_insurance.http.main import SPEC

GRANT_ID = "0x" + "ab" * 32


class ChainDouble:
    """The consumer client's ``grant_status``: answers ``status`` and notes the case's state
    as a concurrent reader would see it during the chain read."""

    def __init__(self, store: CaseStore, status: GrantStatus | Exception) -> None:
        self.store, self.status = store, status
        self.case_id = 0
        self.seen: list[str] = []

    def grant_status(self, grant_id: str) -> GrantStatus:
        assert grant_id == GRANT_ID
        self.seen.append(str(self.store.row(self.case_id).state))
        if isinstance(self.status, Exception):
            raise self.status
        return self.status


def _runner(tmp_path: Path, status: GrantStatus | Exception) -> tuple[CaseRunner, ChainDouble]:
    store = CaseStore(
        make_engine(f"sqlite:///{tmp_path / 'cases.db'}"), cases=SPEC.cases,
        receipts=SPEC.receipts, decisions=SPEC.decisions, titles={"motor_claim": "车险理赔"},
        clock=utc_now, noun=SPEC.noun, collection=SPEC.collection,
    )  # fmt: skip
    chain = ChainDouble(store, status)
    client: Any = chain
    runner = CaseRunner(RecordingClient(client), store, {}, grant_valid_days=1, grant_max_uses=1)
    chain.case_id = store.insert(
        kind="motor_claim", reference="CLM-W-1", application={}, grant_id=GRANT_ID
    )
    return runner, chain


@pytest.mark.parametrize("status", [GrantStatus.PENDING, GrantStatus.PAUSED])
def test_a_case_whose_grant_is_not_active_stays_waiting_while_the_chain_is_read(
    tmp_path: Path, status: GrantStatus
) -> None:
    runner, chain = _runner(tmp_path, status)
    runner.advance(chain.case_id)
    runner.advance(chain.case_id)
    assert chain.seen == ["waiting_for_grant", "waiting_for_grant"]
    assert runner.store.row(chain.case_id).state == CaseState.WAITING_FOR_GRANT


def test_a_case_whose_grant_ended_fails_naming_the_grant_status(tmp_path: Path) -> None:
    runner, chain = _runner(tmp_path, GrantStatus.REJECTED)
    with pytest.raises(GrantNotUsable):
        runner.advance(chain.case_id, raise_errors=True)
    row = runner.store.row(chain.case_id)
    assert (row.state, row.error_code) == (CaseState.FAILED, "GRANT_NOT_USABLE")
    runner.advance(chain.case_id)  # a failed case is not looked at again
    assert chain.seen == ["waiting_for_grant"]


def test_an_unreachable_chain_leaves_the_case_waiting(tmp_path: Path) -> None:
    runner, chain = _runner(tmp_path, ChainError("connection refused"))
    runner.advance(chain.case_id)
    with pytest.raises(ChainUnavailable):
        runner.advance(chain.case_id, raise_errors=True)
    assert runner.store.row(chain.case_id).state == CaseState.WAITING_FOR_GRANT
