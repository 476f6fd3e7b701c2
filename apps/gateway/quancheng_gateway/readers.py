"""Who may read the receipt log, and proof of it: reader tokens checked against the chain view.

The log says who queried whom, when and why, so it is answered only to (design, "Parties talk
over TLS"): an ACTIVE **auditor** (everything), an ACTIVE **consumer** (its own receipts) and
the **identity authority**, whose owner portal shows each signed-in owner the receipts of their
grants — one owner at a time: its request names the owner's pseudonym (``?owner=``) and only
receipts under that owner's grants are answered. Naming the owner costs the portal nothing (it
reads one owner's history at a time) and keeps any one request, token or bug to one owner.

A reader authenticates as a consumer does for a query (:mod:`quancheng.protocol.reader_token`):
its SM2 signature, checked with the key the chain view holds for it, over a token naming this
gateway, the exact request, a time within the query clock-skew window and a nonce accepted
once. Nonces are kept in memory, per process and per member, bounded: a request is a GET, and
with several workers a captured token could at worst be replayed once more per worker within
the skew window — for the very same read, by the same reader's right.
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass
from enum import StrEnum

from quancheng.chain import ContractSet
from quancheng.chain.types import InstitutionStatus, Role, code32
from quancheng.crypto import InvalidSignature
from quancheng.protocol import refusals as r
from quancheng.protocol.reader_token import parse_reader_header
from quancheng_gateway.core.clock import Clock
from quancheng_gateway.view import ChainView, MemberInfo

__all__ = ["LogScope", "NonceCache", "Reader", "ReaderGate", "ReaderKind"]

#: Seconds the identity-authority role read from the chain is trusted before asking again.
AUTHORITY_TTL_S = 5.0


class ReaderKind(StrEnum):
    """Why a member may read."""

    AUDITOR = "auditor"
    CONSUMER = "consumer"
    IDENTITY_AUTHORITY = "identity_authority"


@dataclass(frozen=True)
class LogScope:
    """The receipts one request may see (None: any)."""

    consumer: str | None
    owner: str | None

    def allows(self, *, consumer: str, owner: str | None) -> bool:
        """Whether a receipt of ``consumer`` under a grant of ``owner`` is in scope."""
        if self.consumer is not None and consumer != self.consumer:
            return False
        return self.owner is None or owner == self.owner


@dataclass(frozen=True)
class Reader:
    """An authenticated, entitled reader."""

    member: str
    kind: ReaderKind

    def scope(self, owner: str | None) -> LogScope:
        """What this reader sees when it asks with ``?owner=`` (or without).

        Raises:
            ReaderNotEntitled: The identity authority did not name an owner.
        """
        if self.kind is ReaderKind.AUDITOR:
            return LogScope(None, owner)
        if self.kind is ReaderKind.CONSUMER:
            return LogScope(self.member, owner)
        if owner is None:
            raise r.ReaderNotEntitled(
                "the identity authority reads one owner's receipts at a time: name it (?owner=)",
                member=self.member,
            )
        return LogScope(None, owner)


class NonceCache:
    """Nonces seen per member until their token expires; bounded per member."""

    def __init__(self, per_member: int) -> None:
        self.per_member = per_member
        self._seen: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def use(self, member: str, nonce: str, *, expires_ms: int, now_ms: int) -> None:
        """Remember ``nonce`` of ``member``.

        Raises:
            ReaderTokenReplayed: It was used already.
            ReaderRateLimited: The member has too many live tokens.
        """
        with self._lock:
            seen = self._seen.setdefault(member, {})
            if nonce in seen:
                raise r.ReaderTokenReplayed(member=member)
            if len(seen) >= self.per_member:
                for old in [n for n, until in seen.items() if until < now_ms]:
                    del seen[old]
                if len(seen) >= self.per_member:
                    raise r.ReaderRateLimited(member=member, live_tokens=len(seen))
            seen[nonce] = expires_ms


class ReaderGate:
    """Authenticates reader tokens and the operator's metrics token for one gateway."""

    def __init__(
        self,
        *,
        view: ChainView,
        contracts: ContractSet,
        clock: Clock,
        audience: str,
        skew_ms: int,
        nonces_per_member: int,
        metrics_token: str | None,
        allow_unbound: bool = False,
    ) -> None:
        self.view, self.contracts, self.clock = view, contracts, clock
        #: Accept tokens naming no channel on connections without a client certificate
        #: (a development gateway on loopback only), as the query pipeline does.
        self.allow_unbound = allow_unbound
        self.audience, self.skew_ms = audience, skew_ms
        self.nonces = NonceCache(nonces_per_member)
        self._metrics_token = metrics_token
        self._authorities: dict[str, tuple[bool, float]] = {}

    def reader(
        self, header: str | None, *, method: str, target: str, channel: str | None = None
    ) -> Reader:
        """The entitled reader the header authenticates for this request.

        Raises:
            Unauthenticated: No header (401).
            BadReaderToken, ReaderTokenExpired, ReaderTokenReplayed: Not authenticated (401).
            ReaderNotEntitled: Authenticated, without the right to read (403).
        """
        member = self._authenticate(header, method=method, target=target, channel=channel)
        if member.status != InstitutionStatus.ACTIVE:
            raise r.ReaderNotEntitled(
                member=member.code, membership=InstitutionStatus(member.status).name
            )
        if member.role == Role.AUDITOR:
            return Reader(member.code, ReaderKind.AUDITOR)
        if member.role == Role.CONSUMER:
            return Reader(member.code, ReaderKind.CONSUMER)
        if self._is_identity_authority(member.code):
            return Reader(member.code, ReaderKind.IDENTITY_AUTHORITY)
        raise r.ReaderNotEntitled(member=member.code, role=Role(member.role).name)

    def operator(
        self,
        bearer: str | None,
        header: str | None,
        *,
        method: str,
        target: str,
        channel: str | None = None,
    ) -> None:
        """Admit the operator's scraper (bearer token) or an auditor (reader token).

        Raises:
            Unauthenticated: Neither credential, or a wrong bearer token (401).
            ReaderNotEntitled: A reader that is not an ACTIVE auditor (403).
        """
        if bearer is not None:
            expected = self._metrics_token
            if expected is None or not hmac.compare_digest(bearer.encode(), expected.encode()):
                raise r.Unauthenticated("the metrics token does not match")
            return
        if header is None:
            raise r.Unauthenticated(
                "metrics answer the operator's token (Authorization: Bearer) or an auditor"
            )
        reader = self.reader(header, method=method, target=target, channel=channel)
        if reader.kind is not ReaderKind.AUDITOR:
            raise r.ReaderNotEntitled(member=reader.member, reason="metrics are for auditors")

    # ---------------------------------------------------------------------- internals

    def _authenticate(
        self, header: str | None, *, method: str, target: str, channel: str | None
    ) -> MemberInfo:
        if header is None:
            raise r.Unauthenticated()
        try:
            token, body, signature = parse_reader_header(header)
        except ValueError as exc:
            raise r.BadReaderToken(reason=str(exc)) from None
        if token.method != method or token.target != target:
            raise r.BadReaderToken("the token was signed for another request")
        if token.audience != self.audience:
            raise r.BadReaderToken(
                "the token was signed for another gateway", audience=token.audience
            )
        if token.channel is None:
            if channel is not None or not self.allow_unbound:
                raise r.BadReaderToken("the token names no TLS channel; this gateway needs one")
        elif channel is None or token.channel.lower() != channel.lower():
            raise r.BadReaderToken("the token was signed for another TLS connection")
        now_ms = self.clock.now_ms()
        if abs(token.issued_at_ms - now_ms) > self.skew_ms:
            raise r.ReaderTokenExpired(
                issued_at_ms=token.issued_at_ms, gateway_time_ms=now_ms, max_skew_ms=self.skew_ms
            )
        member = self.view.members.get(token.member)
        if member is None or member.key is None:
            raise r.BadReaderToken("no such member, or no usable key on chain", member=token.member)
        try:
            member.key.verify(signature, body)
        except (InvalidSignature, ValueError):
            raise r.BadReaderToken("the signature does not verify", member=token.member) from None
        self.nonces.use(
            member.code, token.nonce, expires_ms=token.issued_at_ms + self.skew_ms, now_ms=now_ms
        )
        return member

    def _is_identity_authority(self, code: str) -> bool:
        cached = self._authorities.get(code)
        if cached is not None and time.monotonic() - cached[1] < AUTHORITY_TTL_S:
            return cached[0]
        try:
            value = self.contracts.is_identity_authority(code32(code))
        except Exception as exc:  # any node failure: fail closed, and say so
            raise r.ChainUnavailable(
                "cannot confirm the identity-authority role on chain", reason=type(exc).__name__
            ) from None
        self._authorities[code] = (value, time.monotonic())
        return value
