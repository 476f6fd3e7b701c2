"""Receipts judged by block: the ``view_block`` each receipt carries, signed by the gateway.

The honest trail's receipts (a real gateway, its real views) raise none of the view rules and
give each provider's view-lag figures. Receipts forged with the provider's real key then lie
about the view: one names a view that had applied the revocation (a breach no clock tolerance
excuses), one a view mined after it served, one an old view to serve after a revocation.
Each forged receipt adds exactly its finding to what the same audit finds without it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from quancheng_audit import AuditConfig, AuditReport, ReceiptLog
from quancheng_audit.findings import Finding
from tests.audit.tamper import Key, copy_log, fresh_fields, keys, on_receipt, run, signed
from tests.audit.trail import Trail


def _revocation(trail: Trail) -> tuple[str, int, int]:
    """(grant id, block, time) of the trail's revocation."""
    grant = trail.grants["revoked"].grant_id
    event = next(
        e for e in trail.chain.events if e.name == "GrantRevoked" and e.hex("grantId") == grant
    )
    return grant, event.block, event.time


def _served_after_revocation(trail: Trail, log: ReceiptLog, delay_ms: int) -> int:
    """A serve time ``delay_ms`` past the revocation's second, after every receipt of the log."""
    _, _, revoked_at = _revocation(trail)
    last = max(e["receipt"]["served_at_ms"] for e in log.entries)
    return max((revoked_at + 1) * 1000 + delay_ms, last + 1)


def _late_receipt(trail: Trail, log: ReceiptLog, *, view_block: int, served: int) -> dict[str, Any]:
    """A receipt under the revoked grant, appended, signed with the provider's real key."""
    grant, _, _ = _revocation(trail)
    base = next(e["receipt"] for e in log.entries if e["receipt"]["grant_id"] == grant)
    fields = fresh_fields(base, log_index=len(log.entries), view_block=view_block)
    entry = signed({**fields, "served_at_ms": served}, trail.sc.provider.sm2)
    log.entries.append(entry)
    return entry


def _added(trail: Trail, log: ReceiptLog, config: AuditConfig) -> tuple[set[Key], AuditReport]:
    """What the tampered log adds to the findings of the untouched one, same config."""
    clean = keys(run(trail, copy_log(trail), config))
    report = run(trail, log, config)
    assert clean - keys(report) == set()
    return keys(report) - clean, report


def _one(report: AuditReport, code: str) -> Finding:
    (f,) = [f for f in report.findings if f.code == code]
    return f


def test_an_honest_trail_has_no_view_finding_and_reports_its_lag(trail: Trail) -> None:
    report = run(trail, copy_log(trail))
    assert report.findings == []
    (source,) = report.sources
    assert source.view_lag_max_s is not None and source.view_lag_p99_s is not None
    assert 0 <= source.view_lag_p99_s <= source.view_lag_max_s <= 60.0
    # The default bound is the gateways' outage bound (QC_GW_MAX_BACKLOG_AGE_S).
    assert report.stats["view_lag_bound_s"] == AuditConfig().view_lag_bound_s == 300.0
    views = [e["receipt"]["view_block"] for e in trail.log().entries]
    assert views == sorted(views) and views[0] > 0  # the real gateway's views, in order


def test_served_with_a_view_that_had_the_revocation_is_a_breach_by_block(trail: Trail) -> None:
    """Within any clock tolerance of the revocation, yet the view had applied it."""
    log = copy_log(trail)
    _, block, revoked_at = _revocation(trail)
    served = _served_after_revocation(trail, log, 500)
    late = _late_receipt(trail, log, view_block=block, served=served)
    # a tolerance that makes the serve ambiguous by clock (the revocation is within it)
    wide = trail.config.clock_tolerance_s + (served - revoked_at * 1000) / 1000 + 2
    config = AuditConfig(clock_tolerance_s=wide, now_ms=served + 60_000, view_lag_bound_s=wide)
    added, report = _added(trail, log, config)
    assert added == {on_receipt("RECEIPT_GRANT_NOT_ACTIVE_AT_VIEW", log, late)}
    f = _one(report, "RECEIPT_GRANT_NOT_ACTIVE_AT_VIEW")
    assert (f.found, f.expected) == ("REVOKED", f"ACTIVE after block {block}")
    assert f"since block {block}" in f.message
    assert report.stats["receipts_near_status_change"] >= 1  # the clock alone could not tell


def test_the_same_receipt_with_a_view_before_the_revocation_is_no_breach(trail: Trail) -> None:
    log = copy_log(trail)
    _, block, revoked_at = _revocation(trail)
    served = _served_after_revocation(trail, log, 500)
    _late_receipt(trail, log, view_block=block - 1, served=served)
    wide = trail.config.clock_tolerance_s + (served - revoked_at * 1000) / 1000 + 2
    config = AuditConfig(clock_tolerance_s=wide, now_ms=served + 60_000, view_lag_bound_s=wide)
    added, _ = _added(trail, log, config)
    assert added == set()


def test_a_view_of_a_block_not_yet_mined_is_ahead(trail: Trail) -> None:
    """Two receipts signed with the provider's key, dated before the head was mined beyond
    any tolerance: one names an early view, its twin the head's. Only the twin is ahead."""
    log = copy_log(trail)
    tol_ms = int(trail.config.clock_tolerance_s * 1000)
    served = trail.chain.head_time * 1000 - tol_ms - 2000
    early = trail.chain.events[0]
    assert early.time * 1000 <= served + tol_ms, "the trail's blocks span more than 2 s"
    assert trail.old_key is not None  # the key the provider was admitted with
    made = []
    for view in (early.block, trail.chain.to_block):
        base = {**log.entries[0]["receipt"], "served_at_ms": served, "view_block": view}
        made.append(signed(fresh_fields(base, log_index=len(log.entries)), trail.old_key))
        log.entries.append(made[-1])
    honest, ahead = made
    # the early view's lag is not what this test is about
    added, report = _added(trail, log, replace(trail.config, view_lag_bound_s=10.0**9))
    # whatever else the clock rules say of the early view, they say of its twin too
    assert _codes_on(report, ahead) == _codes_on(report, honest) | {"RECEIPT_VIEW_AHEAD"}
    assert "RECEIPT_VIEW_AHEAD" not in _codes_on(report, honest)
    assert {code for code, _ in added} >= {"RECEIPT_VIEW_AHEAD"}
    f = _one(report, "RECEIPT_VIEW_AHEAD")
    assert (f.subject.receipt_id, f.found) == (ahead["receipt"]["receipt_id"], trail.chain.to_block)


def _codes_on(report: AuditReport, entry: dict[str, Any]) -> set[str]:
    rid = entry["receipt"]["receipt_id"]
    return {f.code for f in report.findings if f.subject.receipt_id == rid}


def test_an_old_view_claimed_to_serve_after_a_revocation_is_stale(trail: Trail) -> None:
    """The gateway lies low: it names the view just before the revocation. By clock the
    serve is ambiguous and by block the grant was ACTIVE; the view lag gives it away."""
    log = copy_log(trail)
    _, block, revoked_at = _revocation(trail)
    served = _served_after_revocation(trail, log, 3000)
    stale = _late_receipt(trail, log, view_block=block - 1, served=served)
    lag_s = (served - (revoked_at + 1) * 1000) / 1000  # the revocation's block is the next
    wide = trail.config.clock_tolerance_s + (served - revoked_at * 1000) / 1000 + 2
    config = AuditConfig(clock_tolerance_s=wide, now_ms=served + 60_000, view_lag_bound_s=lag_s - 1)
    added, report = _added(trail, log, config)
    assert added == {on_receipt("RECEIPT_VIEW_STALE", log, stale)}
    (f,) = [f for f in report.findings if f.code == "RECEIPT_VIEW_STALE" and f.subject.receipt_id
            == stale["receipt"]["receipt_id"]]  # fmt: skip
    assert f.found == lag_s and f"block {block}" in f.message
    assert "view_lag_bound_s" in f.message
    # the lag figures count it
    max_s = report.sources[0].view_lag_max_s
    assert max_s is not None and max_s >= lag_s
    # a bound above its lag lets it pass: the bound is what limits the lie
    assert _added(trail, log, replace(config, view_lag_bound_s=lag_s + 1))[0] == set()
