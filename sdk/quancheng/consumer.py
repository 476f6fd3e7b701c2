"""What the sync and async consumer clients share: building and signing grant documents and
queries, and verifying what gateways send back against the chain.

Everything here is synchronous and does no gateway HTTP: :class:`~quancheng.client.ConsumerClient`
calls it directly, :class:`~quancheng.client_async.AsyncConsumerClient` in a worker thread.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from quancheng._util import ArgumentError, as_bytes32, as_date, as_unix, describe
from quancheng.catalogue import CatalogueEntry, ChainView
from quancheng.chain import (
    ContractSet,
    GrantStatus,
    RevertError,
    Role,
    code32,
    new_grant_id,
)
from quancheng.chain.records import AnchorRecord, GrantRecord, InstitutionRecord
from quancheng.chain.writes import request_grant as send_grant_request
from quancheng.client_errors import GrantEndedWhileWaiting, ScenarioPurposeRequired
from quancheng.crypto import SM2PublicKey
from quancheng.errors import QuanchengError
from quancheng.grants import (
    GrantRequestHandle,
    RequestedGrant,
    ScopeSpec,
    normalize_scope,
    protocol_mode,
    requested_grant,
    terms_from_document,
)
from quancheng.identity import Institution
from quancheng.protocol import (
    GrantDocument,
    GrantMode,
    GrantTier,
    Purpose,
    QueryRequest,
    ScopeItem,
    SignedReceipt,
    SignedRequest,
    signing_bytes,
    tier_of,
)
from quancheng.protocol.documents import SEALED_FROM_SENSITIVITY, b64
from quancheng.protocol.ids import hex32
from quancheng.scope_check import Terms, count_problems, scope_problems, terms_problems
from quancheng.verified import ReceiptInclusion, VerifiedAnswer
from quancheng.verify import (
    parse_answer,
    parse_receipt_proof,
    verify_answer,
    verify_inclusion,
)
from quancheng.verify_errors import AnchorMismatch, ReceiptFieldMismatch

__all__ = [
    "FINAL_STATUSES",
    "ConsumerCore",
    "PreparedQuery",
    "ProofTarget",
    "decide_wait",
    "query_purpose",
]

#: Statuses a grant never leaves.
FINAL_STATUSES = frozenset(
    {GrantStatus.REJECTED, GrantStatus.REVOKED, GrantStatus.EXPIRED, GrantStatus.EXHAUSTED}
)


@dataclass(frozen=True)
class PreparedQuery:
    """A signed query ready to send, with what is needed to verify its answer."""

    signed: SignedRequest
    body: bytes
    entry: CatalogueEntry
    mode: GrantMode
    #: The grant's purpose code: the answer's receipt must state its tier.
    grant_purpose: int


@dataclass(frozen=True)
class ProofTarget:
    """Where a receipt's proof is fetched and whose key verifies it."""

    receipt_id: str
    endpoint: str
    provider: str
    provider_id: bytes
    receipt: SignedReceipt | None


def query_purpose(grant_id: bytes, grant_purpose: int, purpose: Purpose | int | None) -> Purpose:
    """The scenario a query names: ``purpose``, or the grant's own when it is a scenario grant.

    Whether the grant covers it is the gateway's to judge (403 ``PURPOSE_NOT_GRANTED``).

    Raises:
        ScenarioPurposeRequired: ``purpose`` is no scenario, or is omitted under a domain or
            comprehensive grant.
        ArgumentError: ``purpose`` is no code of the catalogue.
    """
    if isinstance(purpose, bool) or not isinstance(purpose, int | None):
        raise ArgumentError("purpose", "give a purpose code (Purpose.SME_CREDIT, 5) or None")
    if purpose is None:
        if tier_of(grant_purpose) is not GrantTier.SCENARIO:
            raise ScenarioPurposeRequired(grant_id, grant_purpose, None)
        purpose = grant_purpose
    if tier_of(purpose) is not GrantTier.SCENARIO:
        raise ScenarioPurposeRequired(grant_id, grant_purpose, int(purpose))
    try:
        return Purpose(int(purpose))
    except ValueError:
        raise ArgumentError("purpose", f"{purpose} is not in the purpose catalogue") from None


def decide_wait(grant_id: bytes, status: GrantStatus, until: frozenset[GrantStatus]) -> bool:
    """True when ``status`` is awaited; raises when it is final and not awaited.

    Raises:
        GrantEndedWhileWaiting: The grant reached a final status outside ``until``.
    """
    if status in until:
        return True
    if status in FINAL_STATUSES:
        raise GrantEndedWhileWaiting(grant_id, status)
    return False


class ConsumerCore:
    """Chain reads, caches, signing and verification for one consumer institution.

    Args:
        institution: The consumer.
        contracts: The deployment.
        catalogue_ttl: Seconds a catalogue entry is trusted before it is read again.
        clock: Wall-clock seconds: documents' times and the catalogue's TTL (injectable).
    """

    def __init__(
        self,
        institution: Institution,
        contracts: ContractSet,
        *,
        catalogue_ttl: float = 60.0,
        clock: Callable[[], float] = time.time,
        channel: str | None = None,
    ) -> None:
        self.institution, self.contracts, self.clock = institution, contracts, clock
        self.view = ChainView(contracts, catalogue_ttl=catalogue_ttl, clock=clock)
        #: The channel of this consumer's TLS client certificate, named in every query.
        self.channel = channel

    # ---------------------------------------------------------------------- chain reads

    def check_membership(self, role: Role = Role.CONSUMER) -> InstitutionRecord:
        """See :meth:`ChainView.check_membership` (for this institution)."""
        return self.view.check_membership(self.institution, role)

    def grant(self, grant_id: bytes | str) -> GrantRecord:
        """The grant as stored on chain (uncached)."""
        return self.contracts.grant(as_bytes32(grant_id, "grant id"))

    def grant_status(self, grant_id: bytes | str) -> GrantStatus:
        """The grant's status now (EXPIRED derived by the contract)."""
        return self.contracts.grant_status(as_bytes32(grant_id, "grant id"))

    def grant_document(self, grant_id: bytes | str) -> RequestedGrant:
        """The grant's signed document, from its ``GrantRequested`` event."""
        return requested_grant(self.contracts, as_bytes32(grant_id, "grant id"))

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
        """Build, check, sign and send a grant request (see ``ConsumerClient.request_grant``).

        Before anything is signed or sent, the terms are checked against
        :data:`quancheng.limits.LIMITS` and the scope against the catalogue: every name must be
        listed for its resource, and where the provider publishes a schema matching the
        catalogue's digest, a RAW grant may name only raw fields, a DERIVED grant only
        indicators, and every resource must be about the same kind of subject
        (``owner_kind``, ``"person"`` or ``"business"``, when the caller says which).

        Raises:
            ArgumentError: A malformed argument.
            GrantTermsOutOfBounds: The subclass naming the term out of bounds.
            ResourceNotInCatalogue: A resource the catalogue does not list.
            GrantScopeError: ``FieldNotInCatalogue``, ``FieldModeMismatch`` or
                ``ResourceSubjectMismatch``, naming the resource and the name.
        """
        pseudonym = as_bytes32(owner_pseudonym, "owner pseudonym")
        if owner_kind not in (None, "person", "business"):
            raise ArgumentError("owner_kind", "give 'person', 'business' or None")
        if isinstance(max_uses, bool) or not isinstance(max_uses, int):
            raise ArgumentError("max_uses", "give an integer")
        pairs, scope = _scope_pairs(scope)
        _raise_first(count_problems(pairs))
        try:
            grant_mode = GrantMode(mode)
        except ValueError:
            raise ArgumentError("mode", f"{mode!r} is neither RAW nor DERIVED") from None
        now = int(self.clock())
        start = now if not_before is None else as_unix(not_before, "not_before")
        end = self._validity_end(start, valid_for, not_after)
        period = as_date(data_from, "data_from"), as_date(data_to, "data_to")
        _raise_first(terms_problems(Terms(max_uses, start, end, *period, requested_at=now)))
        facts = {resource: self.view.resource_facts(resource) for resource, _ in pairs}
        _raise_first(scope_problems(pairs, grant_mode.value, facts, owner_kind))
        key = self.view.attested_owner_key(pseudonym, owner_key)
        try:
            document = GrantDocument(
                grant_id=hex32(new_grant_id()),
                owner_pseudonym=hex32(pseudonym),
                owner_key="0x" + key.to_bytes().hex(),
                consumer=self.institution.code,
                purpose=Purpose(int(purpose)),
                scope=normalize_scope(scope),
                mode=grant_mode,
                data_from=period[0],
                data_to=period[1],
                not_before=start,
                not_after=end,
                max_uses=max_uses,
                requested_at=now,
            )
        except (ValidationError, ValueError) as exc:
            raise ArgumentError("grant request", describe(exc)) from None
        document_bytes = signing_bytes(document)
        signature = bytes(self.institution.sm2_key.sign(document_bytes))
        terms = terms_from_document(document)
        receipt = send_grant_request(
            self.contracts, self.institution.account, terms, document_bytes, signature
        )
        return GrantRequestHandle(
            grant_id=terms.grant_id,
            document=document,
            document_bytes=document_bytes,
            consumer_signature=signature,
            tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
            block_number=int(receipt["blockNumber"]),
        )

    @staticmethod
    def _validity_end(
        start: int, valid_for: timedelta | float | None, not_after: datetime | int | None
    ) -> int:
        if (valid_for is None) == (not_after is None):
            raise ArgumentError("validity", "give exactly one of valid_for or not_after")
        if not_after is not None:
            return as_unix(not_after, "not_after")
        seconds = valid_for.total_seconds() if isinstance(valid_for, timedelta) else valid_for
        return start + int(seconds or 0)

    # -------------------------------------------------------------------------- queries

    def prepare_query(
        self,
        grant_id: bytes | str,
        resource: str,
        fields: Sequence[str],
        *,
        params: Mapping[str, str | int] | None = None,
        purpose: Purpose | int | None = None,
        seal: bool = False,
    ) -> PreparedQuery:
        """Look up the gateway, build the request and sign it (once: retries reuse it).

        The request names :attr:`channel` (it is answered only over this consumer's TLS
        client certificate) and, with ``seal``, asks for the data sealed to the consumer's
        key even where the catalogue does not require it.

        Raises:
            ScenarioPurposeRequired: ``purpose`` is a domain or comprehensive code, or is
                omitted under a grant that is not a scenario grant.
        """
        if isinstance(fields, str):
            raise ArgumentError("fields", "give a sequence of field names, not one string")
        gid = as_bytes32(grant_id, "grant id")
        entry = self.view.catalogue_entry(resource)
        record = self.view.grant_terms(gid)
        purpose = query_purpose(gid, record.purpose, purpose)
        try:
            request = QueryRequest(
                request_id=str(uuid.uuid4()),
                grant_id=hex32(gid),
                consumer=self.institution.code,
                resource=resource,
                fields=tuple(fields),
                purpose=purpose,
                params=dict(params or {}),
                issued_at_ms=int(self.clock() * 1000),
                # Over plain HTTP (a development gateway on loopback) no certificate is shown.
                channel=self.channel if entry.endpoint.startswith("https://") else None,
                seal=seal,
            )
        except (ValidationError, ValueError) as exc:
            raise ArgumentError("query", describe(exc)) from None
        signature = self.institution.sm2_key.sign(signing_bytes(request))
        signed = SignedRequest(request=request, signature=b64(signature))
        return PreparedQuery(
            signed, signing_bytes(signed), entry, protocol_mode(record.mode), record.purpose
        )

    def verify_answer_body(self, prepared: PreparedQuery, body: bytes) -> VerifiedAnswer:
        """Parse and verify a 200 body; refreshes the provider key once if it rotated.

        Raises:
            AnswerVerificationError: The subclass naming the failed check.
        """
        answer = parse_answer(body)
        entry = prepared.entry

        opened: list[dict[str, Any]] = []

        def check(key: SM2PublicKey) -> None:
            opened.append(
                verify_answer(
                    answer,
                    request=prepared.signed.request,
                    provider=entry.provider,
                    provider_key=key,
                    mode=prepared.mode,
                    grant_purpose=prepared.grant_purpose,
                    consumer_key=self.institution.sm2_key,
                    sealing_required=entry.sensitivity >= SEALED_FROM_SENSITIVITY,
                )
            )

        self.view.with_key_refresh(entry.provider_id, check)
        return VerifiedAnswer(prepared.signed, answer, entry.endpoint, opened[-1])

    # --------------------------------------------------------------------------- proofs

    def proof_target(
        self,
        answer_or_receipt_id: VerifiedAnswer | str,
        resource: str | None = None,
        *,
        endpoint: str | None = None,
        provider: str | None = None,
    ) -> ProofTarget:
        """Where to fetch a receipt's proof: from an answer, a resource, or endpoint + provider.

        Raises:
            ArgumentError: A receipt id without a resource, or without endpoint and provider.
        """
        if isinstance(answer_or_receipt_id, VerifiedAnswer):
            answer = answer_or_receipt_id
            return ProofTarget(
                answer.receipt_id,
                answer.endpoint,
                answer.provider,
                bytes(code32(answer.provider)),
                answer.receipt,
            )
        if resource is not None:
            entry = self.view.catalogue_entry(resource)
            endpoint, provider = endpoint or entry.endpoint, entry.provider
        if endpoint is None or provider is None:
            raise ArgumentError("receipt proof", "give the resource, or endpoint and provider")
        return ProofTarget(answer_or_receipt_id, endpoint, provider, bytes(code32(provider)), None)

    def verify_proof_body(self, target: ProofTarget, body: bytes) -> ReceiptInclusion:
        """Parse a proof body and verify it against the chain's anchor.

        Raises:
            ReceiptVerificationError: Not the expected receipt, or its signature is invalid.
            ProofVerificationError: The subclass naming the failed proof check.
        """
        proof = parse_receipt_proof(body)
        got = proof.receipt.receipt.receipt_id
        if got != target.receipt_id:
            raise ReceiptFieldMismatch("receipt_id", target.receipt_id, got)
        try:
            onchain: AnchorRecord = self.contracts.anchor(target.provider_id, proof.batch.seq)
        except RevertError:
            raise AnchorMismatch("seq", "no such anchor", proof.batch.seq) from None
        result: list[ReceiptInclusion] = []

        def check(key: SM2PublicKey) -> None:
            result.append(
                verify_inclusion(
                    proof,
                    provider=target.provider,
                    provider_key=key,
                    onchain=onchain,
                    receipt=target.receipt,
                )
            )

        self.view.with_key_refresh(target.provider_id, check)
        return result[-1]


def _scope_pairs(
    scope: Mapping[str, Iterable[str]] | Iterable[ScopeItem],
) -> tuple[list[tuple[str, tuple[str, ...]]], ScopeSpec]:
    """``(resource, fields)`` pairs of a scope, and the scope read once (it may be an iterator)."""
    if isinstance(scope, Mapping):
        if any(isinstance(f, str) for f in scope.values()):
            raise ArgumentError("scope", "give each resource a list of field names, not a string")
        fixed = {resource: tuple(fields) for resource, fields in scope.items()}
        return list(fixed.items()), fixed
    items = tuple(scope)
    return [(item.resource, tuple(item.fields)) for item in items], items


def _raise_first(problems: Sequence[QuanchengError]) -> None:
    if problems:
        raise problems[0]
