"""The asyncio twin of :class:`~quancheng.client.ConsumerClient`.

Gateway HTTP runs on ``httpx.AsyncClient``; chain reads and writes (web3 is synchronous) and
verification run in worker threads, so the event loop never blocks on the node.

Example:
    >>> async with AsyncConsumerClient(me, "manifest.json", rpc_url) as client:
    ...     answer = await client.query(grant_id, "tax.payments", ["amount"])
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from quancheng._util import as_bytes32, connect
from quancheng.catalogue import CatalogueEntry
from quancheng.chain import ContractSet, GrantStatus, Manifest
from quancheng.chain.records import GrantRecord, InstitutionRecord
from quancheng.client_errors import AnchorWaitTimeout, GrantWaitTimeout
from quancheng.consumer import ConsumerCore, ProofTarget, decide_wait
from quancheng.crypto import SM2PublicKey
from quancheng.evidence import EvidenceOption, EvidenceStore, deployment_id, open_evidence
from quancheng.gateway_client import AsyncGatewayClient
from quancheng.grants import GrantRequestHandle, RequestedGrant
from quancheng.http_bounds import CatalogueEndpoints
from quancheng.identity import Institution
from quancheng.log_reader import LogReader
from quancheng.protocol import GrantMode, Purpose, ScopeItem
from quancheng.protocol.refusals import ReceiptNotAnchored
from quancheng.tls import TlsConfig
from quancheng.verified import ReceiptInclusion, VerifiedAnswer

__all__ = ["AsyncConsumerClient"]

_T = TypeVar("_T")
_ACTIVE = frozenset({GrantStatus.ACTIVE})


class AsyncConsumerClient:
    """:class:`~quancheng.client.ConsumerClient` with coroutine methods; use ``async with``.

    Args:
        institution: The consumer's identity.
        manifest: The deployment manifest, or its path.
        rpc_url: The chain node's JSON-RPC URL.
        gateway: The async HTTP client for gateways. One is made if omitted: it sends
            requests only to the on-chain catalogue's endpoints, over ``tls``.
        catalogue_ttl: Seconds a catalogue entry is cached.
        clock: Wall-clock seconds (injectable for tests).
        sleep: How to wait between polls (injectable for tests).
        evidence: Where receipts are kept before :meth:`query` returns (see
            :class:`~quancheng.client.ConsumerClient`: by default
            ``$QC_EVIDENCE_DIR/<code>.sqlite3``; ``False`` keeps nothing).

        tls: The consortium's CA bundle and this consumer's TLS client certificate. Every
            query then names the certificate's channel: gateways answer it only over a
            connection with this certificate, so a captured request is of no use to anyone
            else. Without it, only a development gateway on loopback answers.

    Raises:
        EvidenceStoreError: The evidence store cannot be opened.
    """

    def __init__(
        self,
        institution: Institution,
        manifest: Manifest | Path | str,
        rpc_url: str,
        *,
        gateway: AsyncGatewayClient | None = None,
        catalogue_ttl: float = 60.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        evidence: EvidenceOption = None,
        tls: TlsConfig | None = None,
    ) -> None:
        self._core = ConsumerCore(
            institution,
            connect(rpc_url, manifest),
            catalogue_ttl=catalogue_ttl,
            clock=clock,
            channel=tls.channel if tls is not None else None,
        )
        self._evidence, self._owns_evidence = open_evidence(
            evidence, institution.code, deployment_id(self._core.contracts)
        )
        # Gateways answer a receipt's proof to its consumer only, signed with its SM2 key.
        self._reader = LogReader.for_institution(
            institution, clock=clock, channel=self._core.channel
        )
        self._owns_gateway = gateway is None
        # Requests go only to the catalogue's endpoints, over TLS when configured.
        self._gateway = gateway or AsyncGatewayClient(
            tls=tls, endpoints=CatalogueEndpoints(self._core.contracts, clock=clock)
        )
        self._clock, self._sleep = clock, sleep

    @property
    def institution(self) -> Institution:
        """The consumer's identity."""
        return self._core.institution

    @property
    def contracts(self) -> ContractSet:
        """The deployment this client talks to."""
        return self._core.contracts

    @property
    def evidence(self) -> EvidenceStore | None:
        """The store keeping every receipt this client received (None if kept nowhere)."""
        return self._evidence

    async def _run(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        return await asyncio.to_thread(partial(fn, *args, **kwargs))

    async def check_membership(self) -> InstitutionRecord:
        """See :meth:`ConsumerClient.check_membership`."""
        return await self._run(self._core.check_membership)

    # --------------------------------------------------------------------------- grants

    async def request_grant(
        self,
        owner_pseudonym: bytes | str,
        owner_key: SM2PublicKey | bytes | str | None,
        scope: Mapping[str, Iterable[str]] | Iterable[ScopeItem],
        purpose: Purpose | int,
        mode: GrantMode | str,
        data_from: date | str,
        data_to: date | str,
        *,
        valid_for: timedelta | float | None = None,
        not_before: datetime | int | None = None,
        not_after: datetime | int | None = None,
        max_uses: int = 1,
        owner_kind: str | None = None,
    ) -> GrantRequestHandle:
        """See :meth:`ConsumerClient.request_grant`."""
        return await self._run(
            self._core.request_grant,
            owner_pseudonym,
            owner_key,
            scope,
            purpose,
            mode,
            data_from,
            data_to,
            valid_for=valid_for,
            not_before=not_before,
            not_after=not_after,
            max_uses=max_uses,
            owner_kind=owner_kind,
        )

    async def grant_status(self, grant_id: bytes | str) -> GrantStatus:
        """The grant's status now."""
        return await self._run(self._core.grant_status, grant_id)

    async def grant(self, grant_id: bytes | str) -> GrantRecord:
        """The grant as recorded on chain."""
        return await self._run(self._core.grant, grant_id)

    async def catalogue_entry(self, resource: str) -> CatalogueEntry:
        """See :meth:`ConsumerClient.catalogue_entry`."""
        return await self._run(self._core.view.catalogue_entry, resource)

    async def grant_document(self, grant_id: bytes | str) -> RequestedGrant:
        """The grant's signed document, read back from its ``GrantRequested`` event."""
        return await self._run(self._core.grant_document, grant_id)

    async def wait_for_grant(
        self,
        grant_id: bytes | str,
        *,
        until: Iterable[GrantStatus] = _ACTIVE,
        timeout: float = 300.0,
        poll_interval: float = 1.0,
        on_progress: Callable[[GrantStatus, float], None] | None = None,
    ) -> GrantStatus:
        """See :meth:`ConsumerClient.wait_for_grant`."""
        gid, awaited = as_bytes32(grant_id, "grant id"), frozenset(until)
        deadline = self._clock() + timeout
        while True:
            status = await self._run(self._core.grant_status, gid)
            if decide_wait(gid, status, awaited):
                return status
            if on_progress is not None:
                on_progress(status, timeout - (deadline - self._clock()))
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise GrantWaitTimeout(gid, status, timeout)
            await self._sleep(min(poll_interval, remaining))

    # -------------------------------------------------------------------------- queries

    async def query(
        self,
        grant_id: bytes | str,
        resource: str,
        fields: Sequence[str],
        *,
        params: Mapping[str, str | int] | None = None,
        purpose: Purpose | int | None = None,
        seal: bool = False,
    ) -> VerifiedAnswer:
        """See :meth:`ConsumerClient.query`."""
        prepared = await self._run(
            self._core.prepare_query,
            grant_id,
            resource,
            fields,
            params=params,
            purpose=purpose,
            seal=seal,
        )
        body = await self._gateway.post_query(prepared.entry.endpoint, prepared.body)
        answer = await self._run(self._core.verify_answer_body, prepared, body)
        if self._evidence is not None:
            await self._run(self._evidence.record, answer)
        return answer

    async def receipt_proof(
        self,
        answer_or_receipt_id: VerifiedAnswer | str,
        resource: str | None = None,
        *,
        endpoint: str | None = None,
        provider: str | None = None,
    ) -> ReceiptInclusion:
        """See :meth:`ConsumerClient.receipt_proof`."""
        target = await self._run(
            self._core.proof_target,
            answer_or_receipt_id,
            resource,
            endpoint=endpoint,
            provider=provider,
        )
        return await self._fetch_proof(target)

    async def wait_for_anchor(
        self,
        answer_or_receipt_id: VerifiedAnswer | str,
        resource: str | None = None,
        *,
        endpoint: str | None = None,
        provider: str | None = None,
        timeout: float = 120.0,
        poll_interval: float = 2.0,
        on_progress: Callable[[float], None] | None = None,
    ) -> ReceiptInclusion:
        """See :meth:`ConsumerClient.wait_for_anchor`."""
        target = await self._run(
            self._core.proof_target,
            answer_or_receipt_id,
            resource,
            endpoint=endpoint,
            provider=provider,
        )
        deadline = self._clock() + timeout
        while True:
            try:
                return await self._fetch_proof(target)
            except ReceiptNotAnchored:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    raise AnchorWaitTimeout(target.receipt_id, timeout) from None
                if on_progress is not None:
                    on_progress(timeout - remaining)
            await self._sleep(min(poll_interval, remaining))

    async def _fetch_proof(self, target: ProofTarget) -> ReceiptInclusion:
        body = await self._gateway.get_receipt_proof(
            target.endpoint, target.receipt_id, reader=self._reader, audience=target.provider
        )
        return await self._run(self._core.verify_proof_body, target, body)

    # ------------------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        """Release the HTTP connections and the evidence file (those this client opened)."""
        if self._owns_gateway:
            await self._gateway.aclose()
        if self._owns_evidence and self._evidence is not None:
            self._evidence.close()

    async def __aenter__(self) -> AsyncConsumerClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
