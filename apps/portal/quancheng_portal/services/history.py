"""An owner's access history: every receipt of a query under one of their grants.

The gateways answer their receipt logs to the identity authority one owner at a time
(:mod:`.history_pages`, bounded: a gateway run by another department cannot hold the page).
Receipts are read from where this owner's history last stopped, kept if they are under the
owner's grants as the chain lists them, verified (:mod:`.receipt_check`) and cached in the
portal's database. Receipts whose batch was not anchored yet are checked again on the next
refresh.

A gateway that fails or breaks a bound is reported as unreadable in the
:class:`~.history_report.RefreshReport`; the reason goes to the portal's log, the owner is
told which department's records could not be read just now; the others are read all the
same, and a long history is read on over the next refreshes from where this one stopped.

The history page refreshes itself when it is opened; an owner's refreshes never overlap: one
asked for while another runs waits for it and takes its report (two tabs, a reload, the
button) instead of reading the gateways again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from quancheng.chain import ContractSet, GrantStatus
from quancheng.errors import QuanchengError
from quancheng.gateway_client import GatewayClient
from quancheng.grants import requested_grants
from quancheng.http_bounds import EndpointPolicy
from quancheng.log_reader import LogReader
from quancheng.protocol import SignedReceipt
from quancheng.protocol.ids import hex32
from quancheng_portal.models import AccessRow, HistoryCursor
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.history_pages import (
    UNREADABLE,
    HistoryLimits,
    OwnerLogPages,
    OwnerLogTooLong,
)
from quancheng_portal.services.history_report import RefreshReport, reason
from quancheng_portal.services.history_views import AccessView, access_view
from quancheng_portal.services.receipt_check import (
    GrantTerms,
    check_inclusion,
    check_signature,
)

__all__ = ["AccessView", "History", "HistoryLimits", "OwnerLogTooLong", "RefreshReport"]

_log = logging.getLogger("quancheng_portal.history")


@dataclass
class _Flight:
    """An owner's refresh under way: those who ask meanwhile wait for its report."""

    done: threading.Event = field(default_factory=threading.Event)
    report: RefreshReport | None = None


class History:
    """Gathers, verifies and caches owners' access receipts."""

    def __init__(
        self, contracts: ContractSet, directory: Directory, engine: Engine, http: httpx.Client,
        gateways: GatewayClient, reader: LogReader, *, clock: Callable[[], float] = time.time,
        limits: HistoryLimits | None = None, endpoints: EndpointPolicy | None = None,
    ) -> None:  # fmt: skip
        """``endpoints``: where logs may be read (the catalogue's endpoints); ``limits``:
        how much of each per refresh."""
        self.contracts, self.directory, self.engine = contracts, directory, engine
        self._gateways, self._clock, self._reader = gateways, clock, reader
        self._log_pages = OwnerLogPages(http, reader, endpoints)
        self.limits = limits or HistoryLimits()
        self._flights: dict[str, _Flight] = {}
        self._flights_lock = threading.Lock()

    def refresh(self, pseudonym: bytes) -> RefreshReport:
        """Read new receipts of this owner's grants and re-check those not yet anchored.

        While one of this owner's refreshes runs, another call waits for it and returns its
        report, so the gateways are read once (each read bounded by :class:`HistoryLimits`).
        """
        owner = hex32(pseudonym)
        with self._flights_lock:
            flight = self._flights.get(owner)
            leading = flight is None
            if flight is None:
                flight = self._flights[owner] = _Flight()
        if not leading:
            flight.done.wait()
            if flight.report is not None:
                return flight.report
            return self.refresh(pseudonym)  # that one failed: try once more on our own
        try:
            flight.report = self._refresh(pseudonym)
            return flight.report
        finally:
            with self._flights_lock:
                del self._flights[owner]
            flight.done.set()

    def _refresh(self, pseudonym: bytes) -> RefreshReport:
        report = RefreshReport()
        owner = hex32(pseudonym)
        fresh: set[str] = set()
        terms: dict[str, GrantTerms] = {}
        endpoints: dict[str, str] = {}  # endpoint → its provider (the token's audience)
        for request in requested_grants(self.contracts, owner_pseudonym=pseudonym):
            doc = request.document
            resources = frozenset(item.resource for item in doc.scope)
            terms[doc.grant_id] = GrantTerms(doc.consumer, int(doc.purpose), resources)
            for resource in resources:
                info = self.directory.resource(resource)
                if info.endpoint and info.provider:
                    endpoints[info.endpoint] = info.provider
        failed: set[str] = set()  # gateways not asked again in this refresh
        for endpoint, provider in sorted(endpoints.items()):
            try:
                fresh |= self._read_log(owner, endpoint, provider, terms, failed)
            except UNREADABLE as exc:
                report.unreachable.append(endpoint)
                report.unreachable_providers.append(provider)
                report.problems[endpoint] = why = reason(exc)
                failed.add(endpoint)
                _log.warning("access history: the log of %s at %s could not be read: %s",
                             provider, endpoint, why)  # fmt: skip
        report.new = len(fresh)
        report.rechecked = self._recheck(owner, skip=fresh, failed=failed)
        return report

    def accesses(self, pseudonym: bytes) -> list[AccessView]:
        """The owner's cached accesses, newest first, each with the grant it was under."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(AccessRow)
                .where(AccessRow.owner_pseudonym == hex32(pseudonym))
                .order_by(col(AccessRow.served_at_ms).desc())
            ).all()
        if not rows:
            return []
        grants = {
            r.document.grant_id: r
            for r in requested_grants(self.contracts, owner_pseudonym=pseudonym)
        }
        states: dict[str, GrantStatus] = {}
        for gid in {row.grant_id for row in rows} & grants.keys():
            states[gid] = self.contracts.grant_status(grants[gid].grant_id)
        return [access_view(self.directory, row, grants.get(row.grant_id),
                            states.get(row.grant_id)) for row in rows]  # fmt: skip

    # ---------------------------------------------------------------------- internals

    def _read_log(
        self, owner: str, endpoint: str, provider: str, terms: dict[str, GrantTerms],
        failed: set[str],
    ) -> set[str]:  # fmt: skip
        """Store this owner's new receipts from one gateway's log; their ids."""
        with Session(self.engine) as session:
            cursor = session.get(HistoryCursor, (owner, endpoint)) or HistoryCursor(
                owner_pseudonym=owner, endpoint=endpoint
            )
            start = cursor.next_index
        new: set[str] = set()
        pages = self._log_pages.pages(owner, endpoint, provider, start, self.limits)
        for following, receipts in pages:
            rows = [self._row(owner, endpoint, s, terms[s.receipt.grant_id], failed)
                    for s in receipts if s.receipt.grant_id in terms]  # fmt: skip
            with Session(self.engine) as session:
                for row in rows:
                    if session.get(AccessRow, row.receipt_id) is None:
                        session.add(row)
                        new.add(row.receipt_id)
                cursor.next_index = following
                cursor.refreshed_at = int(self._clock())
                session.merge(cursor)
                session.commit()
        return new

    def _row(
        self, owner: str, endpoint: str, signed: SignedReceipt, terms: GrantTerms,
        failed: set[str],
    ) -> AccessRow:  # fmt: skip
        r = signed.receipt
        provider = self.directory.resource(r.resource).provider or r.provider
        sig = check_signature(self.contracts, signed, terms, provider)
        row = AccessRow(
            receipt_id=r.receipt_id, owner_pseudonym=owner, grant_id=r.grant_id,
            endpoint=endpoint, provider=provider, consumer=r.consumer, resource=r.resource,
            purpose=int(r.purpose), log_index=signed.log_index, served_at_ms=r.served_at_ms,
            signed_receipt=signed.canonical().decode("utf-8"), signature=sig.status,
            inclusion="unknown", problem=sig.problem, checked_at=int(self._clock()),
        )  # fmt: skip
        if sig.status == "ok":
            self._apply_inclusion(row, signed, endpoint, failed)
        return row

    def _apply_inclusion(
        self, row: AccessRow, signed: SignedReceipt, endpoint: str, failed: set[str]
    ) -> bool:
        """Check the receipt's inclusion proof at ``endpoint``, unless that gateway already
        failed in this refresh (False: the row is checked again at the next one)."""
        if endpoint in failed:
            return False
        try:
            check = check_inclusion(
                self.contracts, self._gateways, endpoint, signed, row.provider,
                reader=self._reader, owner=row.owner_pseudonym,
            )  # fmt: skip
        except QuanchengError as exc:  # anything unforeseen: shown, not fatal to the page
            row.inclusion, row.problem = "unknown", str(exc)
            return True
        if check.unreachable:
            failed.add(endpoint)
        row.inclusion, row.problem = check.status, check.problem
        row.anchor_seq, row.anchor_block = check.anchor_seq, check.anchor_block
        row.checked_at = int(self._clock())
        return True

    def _recheck(self, owner: str, *, skip: set[str], failed: set[str]) -> int:
        with Session(self.engine) as session:
            rows = session.exec(
                select(AccessRow).where(
                    AccessRow.owner_pseudonym == owner,
                    AccessRow.signature == "ok",
                    col(AccessRow.inclusion).in_(("pending", "unknown")),
                )
            ).all()
            checked = 0
            for row in rows:
                if row.receipt_id in skip:
                    continue
                # Where the catalogue lists the gateway now: it may have moved since.
                endpoint = self.directory.resource(row.resource).endpoint or row.endpoint
                signed = SignedReceipt.model_validate_json(row.signed_receipt)
                if self._apply_inclusion(row, signed, endpoint, failed):
                    checked += 1
                    session.add(row)
            session.commit()
        return checked
