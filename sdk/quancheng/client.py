"""The consumer client banks and insurers use: request grants, query gateways, verify.

Example:
    >>> me = Institution.load("bank.jinan", sm2_key="sm2.pem", chain_key_file="chain.key")
    >>> with ConsumerClient(me, "manifest.json", "http://127.0.0.1:8545") as client:
    ...     handle = client.request_grant(
    ...         pseudonym, None, {"tax.payments": ["amount", "period"]},
    ...         Purpose.SME_CREDIT, GrantMode.RAW, "2024-01-01", "2024-12-31",
    ...         valid_for=timedelta(days=30), max_uses=3,
    ...     )
    ...     client.wait_for_grant(handle.grant_id, timeout=600)
    ...     answer = client.query(handle.grant_id, "tax.payments", ["amount", "period"])
    ...     answer.data["amount"], answer.receipt_id
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from quancheng._util import as_bytes32, connect
from quancheng.catalogue import CatalogueEntry
from quancheng.chain import ContractSet, GrantStatus, Manifest
from quancheng.chain.records import GrantRecord, InstitutionRecord
from quancheng.client_errors import AnchorWaitTimeout, GrantWaitTimeout
from quancheng.consumer import ConsumerCore, ProofTarget, decide_wait
from quancheng.crypto import SM2PublicKey
from quancheng.evidence import EvidenceOption, EvidenceStore, deployment_id, open_evidence
from quancheng.gateway_client import GatewayClient
from quancheng.grants import GrantRequestHandle, RequestedGrant
from quancheng.http_bounds import CatalogueEndpoints
from quancheng.identity import Institution
from quancheng.invitations import Invitation, InvitationState, PortalInvitations
from quancheng.log_reader import LogReader
from quancheng.protocol import GrantMode, Purpose, ScopeItem
from quancheng.protocol.refusals import ReceiptNotAnchored
from quancheng.tls import TlsConfig
from quancheng.verified import ReceiptInclusion, VerifiedAnswer

__all__ = ["ConsumerClient"]

_ACTIVE = frozenset({GrantStatus.ACTIVE})


class ConsumerClient:
    """A consumer institution's client: grants on chain, verified queries to gateways.

    Every answer it returns has been verified against the chain (see :meth:`query`); anything
    else raises. One client can be shared by threads; close it (or use ``with``) to release
    its HTTP connections.

    Args:
        institution: The consumer's identity (code, SM2 key, chain account).
        manifest: The deployment manifest, or its path.
        rpc_url: The chain node's JSON-RPC URL.
        gateway: The HTTP client for gateways. One is made if omitted: it sends requests
            only to the on-chain catalogue's endpoints, over ``tls``.
        catalogue_ttl: Seconds a catalogue entry (endpoint, provider) is cached.
        clock: Wall-clock seconds, for document times and waits (injectable for tests).
        sleep: How to wait between polls (injectable for tests).
        evidence: Where to keep the consumer's side of the evidence — every receipt received,
            with its signed request and the answer, synced to disk before :meth:`query` returns.
            By default (None) it is kept, as a bank's compliance expects, in
            ``$QC_EVIDENCE_DIR/<code>.sqlite3`` (``~/.quancheng/evidence`` when unset); give an
            :class:`~quancheng.evidence.EvidenceStore` or a file to choose, or ``False`` to
            keep nothing (throwaway tools and tests only: the auditor then has the
            gateways' word alone).

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
        gateway: GatewayClient | None = None,
        catalogue_ttl: float = 60.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
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
        self._gateway = gateway or GatewayClient(
            tls=tls, endpoints=CatalogueEndpoints(self._core.contracts, clock=clock)
        )
        self._clock, self._sleep = clock, sleep
        self._tls = tls
        self._invitations: PortalInvitations | None = None

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

    def check_membership(self) -> InstitutionRecord:
        """Check the chain knows this institution as an ACTIVE CONSUMER with these keys.

        Raises:
            MembershipError: It does not.
        """
        return self._core.check_membership()

    # --------------------------------------------------------------------------- grants

    def request_grant(
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
        """Ask an owner for a grant: build the grant document, sign it, record it on chain.

        The terms sent to the contract are derived from the document itself (resources
        packed with ``code32``, the data period in CST seconds, the SM3 digest of the
        canonical bytes), so the two cannot disagree.

        Args:
            owner_pseudonym: The owner's pseudonym (32 bytes or ``0x`` hex).
            owner_key: The owner's SM2 key as the owner gave it; checked against the key
                attested on chain (``None``: use the attested key).
            scope: ``{resource: [fields]}`` or scope items.
            purpose: Why the data is needed: a scenario (``Purpose.MOTOR_CLAIM``: 依场景授权), a
                domain (``Purpose.CREDIT_DOMAIN``: 分领域授权, every credit scenario) or
                ``Purpose.COMPREHENSIVE`` (综合授权, every scenario). A domain or comprehensive
                grant is a standing one: typically DERIVED and valid for a year.
            mode: RAW fields or DERIVED indicators.
            data_from: First day of the data period (ISO date, CST).
            data_to: Last day of the data period.
            valid_for: How long the grant is valid from ``not_before``.
            not_before: Start of validity (default: now).
            not_after: End of validity (instead of ``valid_for``).
            owner_kind: ``"person"`` or ``"business"`` when the bank knows which the owner is:
                a resource about the other kind is then refused before anything is sent.
            max_uses: How many queries the grant allows **of each resource** in ``scope``
                (每项数据最多使用 N 次): a budget per resource, which the resource's provider
                enforces; a grant of two resources with ``max_uses=3`` answers up to three
                queries of each.

        Returns:
            The handle of the PENDING grant.

        Raises:
            ArgumentError: A malformed argument.
            OwnerKeyMismatch: The pseudonym has no attested key, or another one.
            RevertError: The contract refused (e.g. ``GrantRegistryPurposeNotAllowed``).
        """
        return self._core.request_grant(
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

    def catalogue_entry(self, resource: str) -> CatalogueEntry:
        """A resource as the on-chain catalogue describes it now (provider, gateway endpoint,
        fields, allowed purposes, sensitivity); cached briefly.

        Raises:
            ResourceNotInCatalogue: No such resource in the catalogue, or no gateway for it.
        """
        return self._core.view.catalogue_entry(resource)

    def grant_status(self, grant_id: bytes | str) -> GrantStatus:
        """The grant's status now."""
        return self._core.grant_status(grant_id)

    def grant(self, grant_id: bytes | str) -> GrantRecord:
        """The grant as recorded on chain."""
        return self._core.grant(grant_id)

    def grant_document(self, grant_id: bytes | str) -> RequestedGrant:
        """The grant's signed document, read back from its ``GrantRequested`` event."""
        return self._core.grant_document(grant_id)

    def wait_for_grant(
        self,
        grant_id: bytes | str,
        *,
        until: Iterable[GrantStatus] = _ACTIVE,
        timeout: float = 300.0,
        poll_interval: float = 1.0,
        on_progress: Callable[[GrantStatus, float], None] | None = None,
    ) -> GrantStatus:
        """Poll the chain until the grant reaches one of ``until``.

        Args:
            grant_id: The grant.
            until: The statuses to wait for (default: ACTIVE).
            timeout: Seconds to wait at most.
            poll_interval: Seconds between reads of the chain.
            on_progress: Called after each read with the status and the seconds waited
                so far (e.g. to show "waiting for the owner… 40 s" in a bank's app).

        Returns:
            The status reached.

        Raises:
            GrantEndedWhileWaiting: It reached a final status not in ``until`` (REJECTED, ...).
            GrantWaitTimeout: ``timeout`` seconds passed first.
        """
        gid, awaited = as_bytes32(grant_id, "grant id"), frozenset(until)
        deadline = self._clock() + timeout
        while True:
            status = self._core.grant_status(gid)
            if decide_wait(gid, status, awaited):
                return status
            if on_progress is not None:
                on_progress(status, timeout - (deadline - self._clock()))
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise GrantWaitTimeout(gid, status, timeout)
            self._sleep(min(poll_interval, remaining))

    # ---------------------------------------------------------------------- invitations

    def invite_owner(
        self,
        id_kind: str,
        id_number: str,
        scope: Mapping[str, Iterable[str]] | Iterable[ScopeItem],
        purpose: Purpose | int,
        mode: GrantMode | str,
        data_from: date | str,
        data_to: date | str,
        *,
        valid_for: timedelta | float,
        max_uses: int = 1,
        message: str = "",
        portal_url: str,
        respond_within: timedelta | float = timedelta(days=7),
    ) -> Invitation:
        """Invite an owner known by ID number to consent to a grant, through the identity
        authority's portal (docs/portal.md, "How a bank reaches an owner").

        The invitation is checked as :meth:`request_grant` checks a request, signed with this
        consumer's SM2 key and sent over mutual TLS. It carries only a salted commitment to the
        ID number; the number itself travels beside it to the portal, which turns it into the
        owner's pseudonym and keeps neither. The portal answers alike whether or not the owner
        exists or is enrolled: an invitation nobody accepts simply expires.

        Args:
            id_kind: ``"resident_id"`` (a person) or ``"uscc"`` (a business).
            id_number: The resident ID number or unified social credit code.
            scope, purpose, mode, data_from, data_to, max_uses: The terms of the grant that
                will be requested once the owner accepts (as :meth:`request_grant`).
            valid_for: How long that grant will be valid from its request.
            message: A short note shown to the owner (at most 200 characters, one paragraph).
            portal_url: The portal's ``https://`` URL (``http://`` only on loopback).
            respond_within: How long the owner may take to accept (at most 30 days).

        Returns:
            The invitation, to follow with :meth:`wait_for_invitation`.

        Raises:
            ArgumentError: A malformed argument or ID number (nothing is sent).
            GrantTermsOutOfBounds, GrantScopeError, ResourceNotInCatalogue: As
                :meth:`request_grant` (nothing is sent).
            InvitationRefused: The portal refused it (``refusal`` names why).
            PortalUnavailable: The portal could not be reached.
        """
        return self._portal().invite(
            portal_url, id_kind, id_number, scope, purpose, mode, data_from, data_to,
            valid_for=valid_for, max_uses=max_uses, message=message,
            respond_within=respond_within,
        )  # fmt: skip

    def invitation_state(self, invitation: Invitation) -> InvitationState:
        """The invitation's status now (an acceptance verified against the chain).

        Raises:
            AcceptanceInvalid, InvitationRefused, PortalUnavailable: See
                :meth:`wait_for_invitation`.
        """
        return self._portal().state(invitation)

    def wait_for_invitation(
        self,
        invitation: Invitation,
        *,
        timeout: float = 600.0,
        poll_interval: float = 2.0,
        on_progress: Callable[[InvitationState], None] | None = None,
    ) -> bytes:
        """Poll the portal until the owner answers the invitation.

        Args:
            invitation: What :meth:`invite_owner` returned.
            timeout: Seconds to wait.
            poll_interval: Seconds between polls.
            on_progress: Called with each state read (to show progress).

        Returns:
            The owner's pseudonym, once the owner's acceptance — their signature over this
            invitation's digest and that pseudonym — verified with their key bound on chain.

        Raises:
            InvitationDeclined: The owner declined.
            InvitationExpired: Nobody accepted it in time.
            InvitationWaitTimeout: Still pending after ``timeout`` seconds.
            AcceptanceInvalid: The portal's acceptance does not verify.
        """
        return self._portal().wait(
            invitation, timeout=timeout, poll_interval=poll_interval, on_progress=on_progress
        )

    def request_grant_by_invitation(
        self, invitation: Invitation, owner_pseudonym: bytes | str | None = None, **wait: Any
    ) -> GrantRequestHandle:
        """Request the grant an accepted invitation named, with exactly its terms.

        Args:
            invitation: The accepted invitation.
            owner_pseudonym: The pseudonym :meth:`wait_for_invitation` returned (waited for,
                with ``wait``'s arguments, when omitted).

        Raises:
            As :meth:`wait_for_invitation` and :meth:`request_grant`.
        """
        pseudonym = owner_pseudonym or self.wait_for_invitation(invitation, **wait)
        doc = invitation.document
        return self.request_grant(
            pseudonym, None, doc.scope, doc.purpose, doc.mode, doc.data_from, doc.data_to,
            valid_for=doc.valid_for_s, max_uses=doc.max_uses, owner_kind=invitation.owner_kind,
        )  # fmt: skip

    def _portal(self) -> PortalInvitations:
        if self._invitations is None:
            self._invitations = PortalInvitations(
                self._core, tls=self._tls, clock=self._clock, sleep=self._sleep
            )
        return self._invitations

    # -------------------------------------------------------------------------- queries

    def query(
        self,
        grant_id: bytes | str,
        resource: str,
        fields: Sequence[str],
        *,
        params: Mapping[str, str | int] | None = None,
        purpose: Purpose | int | None = None,
        seal: bool = False,
    ) -> VerifiedAnswer:
        """Query a resource's gateway under a grant and verify the answer.

        The request is signed once; connection failures are retried with the same bytes. The
        answer is returned only if its receipt's signature verifies with the provider's key
        from the chain and binds this request and its data (every requested field, no
        other) — and, with an evidence store, once its receipt is on
        disk.

        Args:
            grant_id: The grant.
            resource: The catalogue resource, e.g. ``"vehicle.registration"``.
            fields: The fields (or, in DERIVED mode, indicators) wanted.
            params: Query parameters the resource defines.
            purpose: The query's scenario purpose, which the grant's purpose must cover; it
                goes into the receipt. Required under a domain or comprehensive grant;
                default: the purpose of a scenario grant.
            seal: Ask for the data sealed to this consumer's SM2 key (SM2 + SM4-GCM) even
                where the catalogue does not require it; resources of sensitivity 3 and 4
                are always answered sealed, and an answer in the clear is refused.

        Raises:
            ScenarioPurposeRequired: ``purpose`` is a domain or comprehensive code, or is omitted
                under a grant that is not a scenario grant; nothing is sent.
            Refusal: The gateway refused; the subclass is named by the code (``GrantRevoked``...).
            AnswerVerificationError: The answer does not verify (the subclass names the check).
            GatewayUnavailable: The gateway could not be reached.
            EvidenceStoreError: The answer verified but its receipt could not be kept; the data
                is not returned.
        """
        prepared = self._core.prepare_query(
            grant_id, resource, fields, params=params, purpose=purpose, seal=seal
        )
        body = self._gateway.post_query(prepared.entry.endpoint, prepared.body)
        answer = self._core.verify_answer_body(prepared, body)
        if self._evidence is not None:
            self._evidence.record(answer)
        return answer

    def receipt_proof(
        self,
        answer_or_receipt_id: VerifiedAnswer | str,
        resource: str | None = None,
        *,
        endpoint: str | None = None,
        provider: str | None = None,
    ) -> ReceiptInclusion:
        """Fetch a receipt's inclusion proof and verify it against the chain's anchor.

        Args:
            answer_or_receipt_id: A verified answer, or a receipt id.
            resource: With a receipt id: the resource it was served from.
            endpoint: With a receipt id: the gateway (instead of ``resource``).
            provider: With ``endpoint``: the provider's code.

        Raises:
            ReceiptNotAnchored: Its batch is not anchored yet (see :meth:`wait_for_anchor`).
            ProofVerificationError: The proof does not verify (the subclass names the check).
        """
        target = self._core.proof_target(
            answer_or_receipt_id, resource, endpoint=endpoint, provider=provider
        )
        return self._fetch_proof(target)

    def wait_for_anchor(
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
        """:meth:`receipt_proof`, asking again while the batch is not anchored.

        ``on_progress`` is called after each "not anchored yet" with the seconds waited.

        Raises:
            AnchorWaitTimeout: Still not anchored after ``timeout`` seconds.
        """
        target = self._core.proof_target(
            answer_or_receipt_id, resource, endpoint=endpoint, provider=provider
        )
        deadline = self._clock() + timeout
        while True:
            try:
                return self._fetch_proof(target)
            except ReceiptNotAnchored:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    raise AnchorWaitTimeout(target.receipt_id, timeout) from None
                if on_progress is not None:
                    on_progress(timeout - remaining)
            self._sleep(min(poll_interval, remaining))

    def _fetch_proof(self, target: ProofTarget) -> ReceiptInclusion:
        body = self._gateway.get_receipt_proof(
            target.endpoint, target.receipt_id, reader=self._reader, audience=target.provider
        )
        return self._core.verify_proof_body(target, body)

    # ------------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Release the HTTP connections and the evidence file (those this client opened)."""
        if self._owns_gateway:
            self._gateway.close()
        if self._invitations is not None:
            self._invitations.close()
        if self._owns_evidence and self._evidence is not None:
            self._evidence.close()

    def __enter__(self) -> ConsumerClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
