"""An owner's access history: every receipt of a query under one of their grants.

The gateways answer their receipt logs to the identity authority one owner at a time: the
portal signs each read with the authority's SM2 key (a reader token) and names the owner
(``GET {endpoint}/v1/receipts?owner=<pseudonym>``), and the gateway answers only receipts under
that owner's grants. They are read from where this owner's history last stopped, kept if they
are under the owner's grants as the chain lists them, verified
(:mod:`quancheng_portal.services.receipt_check`) and cached in the portal's database. Receipts
whose batch was not anchored yet are checked again on the next refresh.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from quancheng.chain import ContractSet
from quancheng.errors import QuanchengError
from quancheng.gateway_client import GatewayClient
from quancheng.grants import requested_grants
from quancheng.log_reader import LogReader, with_query
from quancheng.protocol import SignedReceipt
from quancheng.protocol.ids import hex32
from quancheng_portal.models import AccessRow, HistoryCursor
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.labels import ms_text, purpose_label, receipt_tier_label
from quancheng_portal.services.receipt_check import (
    GrantTerms,
    check_inclusion,
    check_signature,
)

__all__ = ["AccessView", "History", "RefreshReport"]

PAGE = 500


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


@dataclass
class RefreshReport:
    """What one refresh did."""

    new: int = 0
    rechecked: int = 0
    unreachable: list[str] = field(default_factory=list)


class History:
    """Gathers, verifies and caches owners' access receipts."""

    def __init__(
        self, contracts: ContractSet, directory: Directory, engine: Engine, http: httpx.Client,
        gateways: GatewayClient, reader: LogReader, *, clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.contracts, self.directory, self.engine = contracts, directory, engine
        self._http, self._gateways, self._clock = http, gateways, clock
        self._reader = reader

    def refresh(self, pseudonym: bytes) -> RefreshReport:
        """Read new receipts of this owner's grants and re-check those not yet anchored."""
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
        for endpoint, provider in sorted(endpoints.items()):
            try:
                fresh |= self._read_log(owner, endpoint, provider, terms)
            except (httpx.HTTPError, ValueError, ValidationError):
                report.unreachable.append(endpoint)
        report.new = len(fresh)
        report.rechecked = self._recheck(owner, skip=fresh)
        return report

    def accesses(self, pseudonym: bytes) -> list[AccessView]:
        """The owner's cached accesses, newest first."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(AccessRow)
                .where(AccessRow.owner_pseudonym == hex32(pseudonym))
                .order_by(col(AccessRow.served_at_ms).desc())
            ).all()
        return [self._view(row) for row in rows]

    # ---------------------------------------------------------------------- internals

    def _pages(
        self, owner: str, endpoint: str, provider: str, start: int
    ) -> Iterator[tuple[int, list[SignedReceipt]]]:
        """Pages of this owner's receipts: (where the next page starts, receipts)."""
        base = endpoint.rstrip("/") + "/v1/receipts"
        while True:
            url = with_query(base, {"owner": owner, "from_index": start, "limit": PAGE})
            resp = self._http.get(url, headers=self._reader.headers(url, audience=provider))
            resp.raise_for_status()
            body = resp.json()
            receipts = [SignedReceipt.model_validate(r) for r in body["receipts"]]
            start = max(start, int(body["next_index"]))
            yield start, receipts
            if len(receipts) < PAGE or start >= int(body["total"]):
                return

    def _read_log(
        self, owner: str, endpoint: str, provider: str, terms: dict[str, GrantTerms]
    ) -> set[str]:
        """Store this owner's new receipts from one gateway's log; their ids."""
        with Session(self.engine) as session:
            cursor = session.get(HistoryCursor, (owner, endpoint)) or HistoryCursor(
                owner_pseudonym=owner, endpoint=endpoint
            )
            start = cursor.next_index
        new: set[str] = set()
        for following, receipts in self._pages(owner, endpoint, provider, start):
            rows = [self._row(owner, endpoint, s, terms[s.receipt.grant_id])
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
        self, owner: str, endpoint: str, signed: SignedReceipt, terms: GrantTerms
    ) -> AccessRow:
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
            self._apply_inclusion(row, signed)
        return row

    def _apply_inclusion(self, row: AccessRow, signed: SignedReceipt) -> None:
        try:
            check = check_inclusion(
                self.contracts, self._gateways, row.endpoint, signed, row.provider,
                reader=self._reader, owner=row.owner_pseudonym,
            )  # fmt: skip
        except QuanchengError as exc:  # anything unforeseen: shown, not fatal to the page
            row.inclusion, row.problem = "unknown", str(exc)
            return
        row.inclusion, row.problem = check.status, check.problem
        row.anchor_seq, row.anchor_block = check.anchor_seq, check.anchor_block
        row.checked_at = int(self._clock())

    def _recheck(self, owner: str, *, skip: set[str]) -> int:
        with Session(self.engine) as session:
            rows = session.exec(
                select(AccessRow).where(
                    AccessRow.owner_pseudonym == owner,
                    AccessRow.signature == "ok",
                    col(AccessRow.inclusion).in_(("pending", "unknown")),
                )
            ).all()
            rows = [row for row in rows if row.receipt_id not in skip]
            for row in rows:
                self._apply_inclusion(row, SignedReceipt.model_validate_json(row.signed_receipt))
                session.add(row)
            session.commit()
        return len(rows)

    def _view(self, row: AccessRow) -> AccessView:
        info = self.directory.resource(row.resource)
        return AccessView(
            receipt_id=row.receipt_id, grant_id=row.grant_id, consumer=row.consumer,
            consumer_name=self.directory.institution_name(row.consumer),
            provider_name=info.provider_name or row.provider, resource=row.resource,
            resource_title=info.title, purpose_label=purpose_label(row.purpose),
            tier_label=receipt_tier_label(json.loads(row.signed_receipt)["receipt"].get("tier")),
            served_at_text=ms_text(row.served_at_ms), signature=row.signature,
            inclusion=row.inclusion, problem=row.problem, anchor_seq=row.anchor_seq,
            anchor_block=row.anchor_block,
        )  # fmt: skip
