"""Grant status "as of" a receipt's millisecond when block times are whole seconds.

A change stamped second S happened somewhere in [S, S+1): a receipt served inside that
second may precede or follow it. These cases pin the rule the auditor judges by, without a
chain (the demo and the tamper suite exercise it end to end).
"""

from __future__ import annotations

import pytest

from quancheng.chain.types import GrantStatus
from quancheng_audit.evidence import ChainEvent, ChainGrant
from quancheng_audit.history import GrantHistory

REQUESTED, ACTIVATED, REVOKED, PAUSED, RESUMED = 100, 200, 300, 400, 500


def _history(*changes: tuple[int, GrantStatus]) -> GrantHistory:
    request = ChainEvent(
        block=1,
        time=REQUESTED,
        tx="0x" + "00" * 32,
        log_index=0,
        contract="GrantRegistry",
        name="GrantRequested",
        args={},
    )
    return GrantHistory(
        grant_id="0x" + "11" * 32,
        request=request,
        terms=None,
        changes=[(at, (i + 1, 0), status) for i, (at, status) in enumerate(changes)],
    )


REVOKED_GRANT = _history(
    (REQUESTED, GrantStatus.PENDING),
    (ACTIVATED, GrantStatus.ACTIVE),
    (REVOKED, GrantStatus.REVOKED),
)


@pytest.mark.parametrize(
    ("t_ms", "servable", "status"),
    [
        (REQUESTED * 1000 + 500, False, "PENDING"),
        (ACTIVATED * 1000 - 1, False, "PENDING"),  # the second before activation
        (ACTIVATED * 1000, True, "ACTIVE"),
        (ACTIVATED * 1000 + 999, True, "ACTIVE"),
        (REVOKED * 1000 - 1, True, "ACTIVE"),
        # served in the revocation's own second: may precede it, so not a breach
        (REVOKED * 1000, True, "ACTIVE"),
        (REVOKED * 1000 + 999, True, "ACTIVE"),
        # one millisecond into the next second the revocation certainly came first
        (REVOKED * 1000 + 1000, False, "REVOKED"),
        (REVOKED * 1000 + 60_000, False, "REVOKED"),
    ],
)
def test_a_change_is_ambiguous_only_within_its_own_second(
    t_ms: int, servable: bool, status: str
) -> None:
    assert REVOKED_GRANT.servable_at(t_ms) == (servable, status)


def test_activation_in_the_same_second_as_the_serve_counts() -> None:
    # Activated stamped 200: a receipt at 200.000 s could come after it within that second.
    assert REVOKED_GRANT.statuses_in_second(ACTIVATED * 1000) == [
        GrantStatus.PENDING,
        GrantStatus.ACTIVE,
    ]


def test_pause_and_resume_in_one_second_leave_every_status_of_that_second() -> None:
    grant = _history(
        (REQUESTED, GrantStatus.PENDING),
        (ACTIVATED, GrantStatus.ACTIVE),
        (PAUSED, GrantStatus.PAUSED),
        (PAUSED, GrantStatus.ACTIVE),  # resumed in the same second
        (RESUMED, GrantStatus.REVOKED),
    )
    assert grant.statuses_in_second(PAUSED * 1000 + 10) == [
        GrantStatus.ACTIVE,
        GrantStatus.PAUSED,
        GrantStatus.ACTIVE,
    ]
    assert grant.servable_at(PAUSED * 1000 + 10) == (True, "ACTIVE")
    assert grant.status_at(RESUMED * 1000 + 1000) is GrantStatus.REVOKED
    assert grant.servable_at(RESUMED * 1000 + 1000) == (False, "REVOKED")


def test_a_paused_grant_is_not_servable_a_second_after_the_pause() -> None:
    grant = _history(
        (REQUESTED, GrantStatus.PENDING),
        (ACTIVATED, GrantStatus.ACTIVE),
        (PAUSED, GrantStatus.PAUSED),
    )
    assert grant.servable_at(PAUSED * 1000 + 1500) == (False, "PAUSED")


def _terms(not_before: int, not_after: int) -> ChainGrant:
    return ChainGrant(
        grant_id="0x" + "11" * 32, owner_pseudonym="0x" + "22" * 32,
        consumer_id="0x" + "33" * 32, resource_ids=[], purpose=2, data_from=0, data_to=0,
        not_before=not_before, not_after=not_after, max_uses=10, mode=0,
        document_digest="0x" + "44" * 32, owner_signature="0x",
    )  # fmt: skip


def test_a_grant_approved_and_revoked_within_one_lagging_block_second_is_ambiguous() -> None:
    # Seen in the demo on a loaded machine: the node stamped request, approval and revocation
    # all at second S (its clock lagging), the owner's notBefore is S+1 (the wall clock), and
    # the gateway served at S+1.4 — before the revocation in truth.
    s = 1_796_460_440
    grant = _history((s, GrantStatus.PENDING), (s, GrantStatus.ACTIVE), (s, GrantStatus.REVOKED))
    grant.terms = _terms(not_before=s + 1, not_after=s + 3600)
    served = (s + 1) * 1000 + 419
    assert grant.servable_at(served) == (False, "REVOKED")
    assert grant.servable_near(served, 30_000)  # within the clock tolerance: not a breach
    assert not grant.servable_near(served, 0)  # with clocks taken as exact: a breach


def test_the_tolerance_does_not_excuse_a_serve_far_from_any_active_moment() -> None:
    grant = _history(
        (REQUESTED, GrantStatus.PENDING),
        (ACTIVATED, GrantStatus.ACTIVE),
        (REVOKED, GrantStatus.REVOKED),
    )
    grant.terms = _terms(not_before=ACTIVATED, not_after=REVOKED + 3600)
    assert not grant.servable_near(REVOKED * 1000 + 31_000, 30_000)
    assert grant.servable_near(REVOKED * 1000 + 29_000, 30_000)
    # ACTIVE, but the validity window ended long before, whatever the tolerance
    grant.terms = _terms(not_before=ACTIVATED, not_after=ACTIVATED + 1)
    assert not grant.servable_near(ACTIVATED * 1000 + 40_000, 30_000)
