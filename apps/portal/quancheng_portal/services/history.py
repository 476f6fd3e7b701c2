"""An owner's access history: every receipt of a query under one of their grants.

The gateways answer their receipt logs to the identity authority one owner at a time: the
portal signs each read with the authority's SM2 key (a reader token) and names the owner
(``GET {endpoint}/v1/receipts?owner=<pseudonym>``), and the gateway answers only receipts under
that owner's grants. They are read from where this owner's history last stopped, kept if they
are under the owner's grants as the chain lists them, verified
(:mod:`quancheng_portal.services.receipt_check`) and cached in the portal's database. Receipts
whose batch was not anchored yet are checked again on the next refresh.

Each gateway is run by another department, so what one refresh reads of it is bounded
(:class:`HistoryLimits`): pages of bounded size, a bounded number of them, within a deadline,
only at the catalogue's endpoints and never following a redirect
(:mod:`quancheng.http_bounds`). A gateway that fails or breaks a bound is reported as
unreadable in the :class:`RefreshReport`, with the reason; the others are read all the same,
and a long history is read on over the next refreshes from where this one stopped.

The history page refreshes itself when it is opened; an owner's refreshes never overlap: one
asked for while another runs waits for it and takes its report (two tabs, a reload, the
button) instead of reading the gateways again.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from quancheng.chain import ContractSet, GrantStatus
from quancheng.errors import GatewayError, QuanchengError
from quancheng.gateway_client import GatewayClient
from quancheng.grants import RequestedGrant, requested_grants
from quancheng.http_bounds import EndpointPolicy, ReadBounds, ResponseTooSlow, read_bounded
from quancheng.log_reader import LogReader, with_query
from quancheng.protocol import GrantMode, SignedReceipt
from quancheng.protocol.ids import hex32
from quancheng.protocol.refusals import refusal_from_body
from quancheng_portal.models import AccessRow, HistoryCursor
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.labels import (
    STATUS_LABELS,
    Name,
    ms_text,
    purpose_label,
    receipt_tier_label,
)
from quancheng_portal.services.receipt_check import (
    GrantTerms,
    check_inclusion,
    check_signature,
)

__all__ = ["AccessView", "History", "HistoryLimits", "OwnerLogTooLong", "RefreshReport"]

PAGE = 500
#: What makes a gateway's log unreadable for one refresh (the others are read all the same):
#: a transport failure, a bound or a refusal (QuanchengError), or an answer not shaped as a page.
_UNREADABLE = (httpx.HTTPError, ValueError, KeyError, TypeError, QuanchengError)


@dataclass(frozen=True)
class HistoryLimits:
    """What one refresh reads from one gateway, and for how long (the owner's page waits).

    Attributes:
        max_page_bytes: Largest page of the log (``PAGE`` receipts are about 400 KB).
        max_pages: Pages read per refresh; a longer history is read on at the next one.
        timeout_s: Longest wait of each network operation.
        deadline_s: Longest time spent reading one gateway's log in one refresh.
    """

    max_page_bytes: int = 4 * 1024 * 1024
    max_pages: int = 20
    timeout_s: float = 5.0
    deadline_s: float = 20.0


class OwnerLogTooLong(GatewayError):
    """A gateway has more of an owner's log than one refresh reads; reading stopped there.

    Attributes:
        endpoint: The gateway.
        pages: The bound, in pages of ``PAGE`` receipts.
    """

    code = "OWNER_LOG_TOO_LONG"

    def __init__(self, endpoint: str, pages: int) -> None:
        self.endpoint, self.pages = endpoint, pages
        super().__init__(
            f"{endpoint}: more than {pages} pages of {PAGE} receipts in one refresh; "
            "reading stopped there"
        )


class AccessView(BaseModel):
    """One access as the history page shows it."""

    receipt_id: str
    grant_id: str
    consumer: str
    consumer_name: str
    provider_name: str
    resource: str
    resource_title: str
    #: The access's own (scenario) purpose, whatever the tier of its grant.
    purpose_label: str
    #: Under which tier it was served, as the receipt states: 依场景授权 / 分领域授权 / 综合授权.
    tier_label: str
    served_at_text: str
    signature: str
    inclusion: str
    problem: str | None
    anchor_seq: int | None
    anchor_block: int | None
    #: The grant it was served under: the first hex digits of its id (as the grants page
    #: shows them) and its state now (accesses under a revoked or expired grant stay here).
    grant_short_id: str = ""
    grant_status: str = ""
    grant_status_label: str = ""
    #: The grant's mode: RAW (``items`` are fields) or DERIVED (``items`` are indicators).
    mode: str = ""
    #: What the grant lets the institution read of this resource, by Chinese label where
    #: the provider publishes one (a receipt does not list a query's own selection).
    items: list[Name] = []


@dataclass
class RefreshReport:
    """What one refresh did."""

    new: int = 0
    rechecked: int = 0
    #: Gateways whose log could not be read (entirely) in this refresh.
    unreachable: list[str] = field(default_factory=list)
    #: Why, per gateway: the error's code and message.
    problems: dict[str, str] = field(default_factory=dict)
    #: The providers of the unreadable gateways (codes), for the page to name.
    unreachable_providers: list[str] = field(default_factory=list)


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
        self._http, self._gateways, self._clock = http, gateways, clock
        self._reader = reader
        self.limits = limits or HistoryLimits()
        self._endpoints = endpoints
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
            except _UNREADABLE as exc:
                report.unreachable.append(endpoint)
                report.unreachable_providers.append(provider)
                report.problems[endpoint] = _reason(exc)
                failed.add(endpoint)
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
        return [self._view(row, grants.get(row.grant_id), states.get(row.grant_id))
                for row in rows]  # fmt: skip

    # ---------------------------------------------------------------------- internals

    def _pages(
        self, owner: str, endpoint: str, provider: str, start: int
    ) -> Iterator[tuple[int, list[SignedReceipt]]]:
        """Pages of this owner's receipts: (where the next page starts, receipts).

        Raises:
            OwnerLogTooLong: More than ``max_pages`` pages (those read are kept).
            ResponseTooLarge, ResponseTooSlow, RedirectRefused, EndpointNotAllowed: A page
                broke a bound or the endpoint is not the catalogue's.
            Refusal: The gateway refused (its typed error).
            ValueError: A page is not one.
        """
        base = endpoint.rstrip("/") + "/v1/receipts"
        started = time.monotonic()
        for _ in range(self.limits.max_pages):
            url = with_query(base, {"owner": owner, "from_index": start, "limit": PAGE})
            body = self._read_page(url, provider, started)
            receipts = [SignedReceipt.model_validate(r) for r in body["receipts"]]
            following = int(body["next_index"])
            if len(receipts) > PAGE or (len(receipts) == PAGE and following <= start):
                raise ValueError(f"{url}: not a page of the log (it would never end)")
            start = max(start, following)
            yield start, receipts
            if len(receipts) < PAGE or start >= int(body["total"]):
                return
        raise OwnerLogTooLong(endpoint, self.limits.max_pages)

    def _read_page(self, url: str, provider: str, started: float) -> Any:
        limits = self.limits
        remaining = limits.deadline_s - (time.monotonic() - started)
        if remaining <= 0:
            raise ResponseTooSlow(url, limits.deadline_s)
        resp = read_bounded(
            self._http, "GET", url, endpoints=self._endpoints,
            bounds=ReadBounds(max_bytes=limits.max_page_bytes, deadline_s=remaining),
            headers=self._reader.headers(url, audience=provider),
            timeout=min(limits.timeout_s, remaining),
        )  # fmt: skip
        if resp.status_code != 200:
            try:
                parsed = resp.json()
            except ValueError:
                parsed = None
            raise refusal_from_body(resp.status_code, parsed)
        return resp.json()

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
        for following, receipts in self._pages(owner, endpoint, provider, start):
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
            purpose=int(r.purpose), log_index=r.log_index, served_at_ms=r.served_at_ms,
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

    def _view(
        self, row: AccessRow, grant: RequestedGrant | None, status: GrantStatus | None
    ) -> AccessView:
        info = self.directory.resource(row.resource)
        doc = grant.document if grant else None
        scope = doc.scope if doc else ()
        fields = next((i.fields for i in scope if i.resource == row.resource), ())
        mode = doc.mode if doc else GrantMode.RAW
        return AccessView(
            receipt_id=row.receipt_id, grant_id=row.grant_id, consumer=row.consumer,
            consumer_name=self.directory.institution_name(row.consumer),
            provider_name=info.provider_name or row.provider, resource=row.resource,
            resource_title=info.title, purpose_label=purpose_label(row.purpose),
            tier_label=receipt_tier_label(json.loads(row.signed_receipt)["receipt"].get("tier")),
            served_at_text=ms_text(row.served_at_ms), signature=row.signature,
            inclusion=row.inclusion, problem=row.problem, anchor_seq=row.anchor_seq,
            anchor_block=row.anchor_block, grant_short_id=row.grant_id[2:10],
            grant_status=status.name if status else "",
            grant_status_label=STATUS_LABELS[status] if status else "",
            mode=mode.value if doc else "",
            items=self.directory.item_names(row.resource, fields, mode),
        )  # fmt: skip


def _reason(exc: BaseException) -> str:
    code = getattr(exc, "code", None) or type(exc).__name__
    return f"{code}: {str(exc).splitlines()[0] if str(exc) else ''}"
