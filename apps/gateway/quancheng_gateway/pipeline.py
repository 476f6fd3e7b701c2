"""The checks of a verified query, in the design's order (step 3), against the chain view.

Each check raises the protocol's typed refusal; none writes anything. What passes is a
:class:`Checked` request: the grant snapshot it was judged on, the handler that serves it
and the request's hash. Replay and the use counter are settled by the receipt log
(:mod:`quancheng_gateway.receipt_log`) in the same step that reserves the log position.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from quancheng.chain.types import GrantStatus, InstitutionStatus, Role
from quancheng.crypto import SM2PublicKey, sm3
from quancheng.crypto.errors import NotCanonicalizable
from quancheng.protocol import QueryRequest, SignedRequest, covers, signing_bytes
from quancheng.protocol import refusals as r
from quancheng.protocol.documents import unb64
from quancheng_gateway.core.clock import Clock
from quancheng_gateway.resources import ResourceHandler, ResourceSpec
from quancheng_gateway.verifying import valid_signature
from quancheng_gateway.view import ChainView, GrantSnapshot

__all__ = [
    "Checked",
    "Pipeline",
    "SignatureVerdict",
    "parse_request",
    "signature_valid",
    "signed_parts",
]

_STATUS_REFUSALS: dict[int, type[r.Refusal]] = {
    int(GrantStatus.PENDING): r.GrantPending,
    int(GrantStatus.PAUSED): r.GrantPaused,
    int(GrantStatus.REVOKED): r.GrantRevoked,
    int(GrantStatus.REJECTED): r.GrantRejected,
    int(GrantStatus.EXHAUSTED): r.GrantExhausted,
    int(GrantStatus.EXPIRED): r.GrantExpired,
}

#: How the subject index names the kind of owner a resource is about.
_ID_KIND = {"person": "resident_id", "business": "uscc"}
_KIND_WORD = {"resident_id": "person", "uscc": "business"}


@dataclass(frozen=True)
class Checked:
    """A request that passed every check, with what it was judged on."""

    signed: SignedRequest
    request: QueryRequest
    grant: GrantSnapshot
    handler: ResourceHandler
    request_hash: str


def parse_request(body: bytes) -> SignedRequest:
    """Parse a body into a signed request (MALFORMED_REQUEST otherwise)."""
    try:
        signed = SignedRequest.model_validate_json(body)
        signing_bytes(signed.request)  # what cannot be canonicalised cannot have been signed
        return signed
    except NotCanonicalizable as exc:
        raise r.MalformedRequest(
            "the request has no canonical JSON form", reason=str(exc)
        ) from None
    except ValidationError as exc:
        errors = [
            {"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)[:10]
        ]
        raise r.MalformedRequest("the body is not a signed query request", errors=errors) from None


@dataclass(frozen=True)
class SignatureVerdict:
    """Whether a request's signature is valid under ``key``, its consumer's key when checked."""

    key: SM2PublicKey
    valid: bool


def signed_parts(signed: SignedRequest) -> tuple[bytes, bytes] | None:
    """The request's signature and the bytes it must sign; None when it is not base64."""
    try:
        return unb64(signed.signature), signing_bytes(signed.request)
    except ValueError:
        return None


def signature_valid(key: SM2PublicKey, signed: SignedRequest) -> bool:
    """Whether ``signed`` carries ``key``'s valid SM2 signature over its request."""
    parts = signed_parts(signed)
    return parts is not None and valid_signature(key, *parts)


class Pipeline:
    """Judges requests against the view, the gateway clock and the served resources."""

    def __init__(
        self,
        *,
        view: ChainView,
        handlers: dict[str, ResourceHandler],
        clock: Clock,
        skew_ms: int,
        allow_unbound: bool = False,
    ) -> None:
        self.view = view
        self.handlers = handlers
        self.clock = clock
        self.skew_ms = skew_ms
        #: Answer requests naming no channel on connections without a client certificate
        #: (a development gateway serving plain HTTP on loopback only).
        self.allow_unbound = allow_unbound

    def check(
        self,
        signed: SignedRequest,
        *,
        channel: str | None = None,
        verdict: SignatureVerdict | None = None,
    ) -> Checked:
        """Every check up to (not including) replay and use counting.

        ``channel`` is the channel of the client certificate the request arrived with
        (:func:`quancheng.tls.channel_of_certificate`), None without one.
        ``verdict``: the signature already checked by the caller, off this thread, with the key
        :meth:`consumer_key` gave (None: checked here).  The consumer is looked up again and
        must still hold that key.
        """
        req = signed.request
        key = self.consumer_key(signed)
        if verdict is None:
            verdict = SignatureVerdict(key, signature_valid(key, signed))
        if not verdict.valid:
            raise r.BadRequestSignature(consumer=req.consumer)
        if verdict.key != key:  # rotated on chain while the signature was checked
            raise r.BadRequestSignature(
                "the consumer's key changed on chain while the request was checked"
            )
        self._channel(req, channel)
        now_ms = self.clock.now_ms()
        if abs(req.issued_at_ms - now_ms) > self.skew_ms:
            raise r.ClockSkew(
                issued_at_ms=req.issued_at_ms, gateway_time_ms=now_ms, max_skew_ms=self.skew_ms
            )
        handler = self._resource(req.resource)
        grant = self._grant(req, now_ms // 1000)
        self._scope(req, grant, handler)
        request_hash = "0x" + sm3(signing_bytes(req)).hex()
        return Checked(signed, req, grant, handler, request_hash)

    # ---------------------------------------------------------------------- checks

    def consumer_key(self, signed: SignedRequest) -> SM2PublicKey:
        """The active consumer's key the request must be signed with (the first check)."""
        req = signed.request
        member = self.view.members.get(req.consumer)
        if member is None:
            raise r.UnknownConsumer(consumer=req.consumer)
        if member.status != InstitutionStatus.ACTIVE or member.role != Role.CONSUMER:
            raise r.ConsumerNotActive(
                consumer=req.consumer,
                membership=InstitutionStatus(member.status).name,
                role=Role(member.role).name,
            )
        if member.key is None:
            raise r.BadRequestSignature("the consumer has no usable SM2 key on chain")
        return member.key

    def _channel(self, req: QueryRequest, channel: str | None) -> None:
        """The request must name the TLS client key it arrived with (checked before replay,
        so a captured request sent by someone else does not use up the consumer's id)."""
        if req.channel is None:
            if channel is None and self.allow_unbound:
                return
            raise r.ChannelRequired(consumer=req.consumer)
        if channel is None:
            raise r.ChannelRequired(consumer=req.consumer)
        if req.channel.lower() != channel.lower():
            raise r.ChannelMismatch(consumer=req.consumer)

    def _resource(self, resource: str) -> ResourceHandler:
        handler = self.handlers.get(resource)
        entry = self.view.resources.get(resource)
        if handler is None or entry is None or entry.provider != self.view.provider:
            raise r.UnknownResource(resource=resource)
        return handler

    def _grant(self, req: QueryRequest, now_s: int) -> GrantSnapshot:
        grant = self.view.grant(req.grant_id, req.resource)  # with its uses of the resource
        if grant is None:
            raise r.UnknownGrant(grant_id=req.grant_id)
        if grant.status == GrantStatus.PENDING:
            raise r.GrantPending(grant_id=req.grant_id)
        if not grant.valid or (
            grant.status != GrantStatus.REJECTED and not grant.owner_signature_valid
        ):
            raise r.GrantDocumentInvalid(grant_id=req.grant_id)
        if grant.status == GrantStatus.EXHAUSTED and req.resource in grant.resources:
            # EXHAUSTED on chain: every resource's budget is spent, the one asked among them.
            # The same refusal as when this gateway's own count finds it first.
            raise r.GrantExhausted.of_resource(
                req.grant_id, req.resource, grant.max_uses, max(grant.max_uses, grant.resource_uses)
            )
        refusal = _STATUS_REFUSALS.get(grant.status)
        if refusal is not None:
            raise refusal(grant_id=req.grant_id)
        if grant.status != GrantStatus.ACTIVE:
            raise r.UnknownGrant(grant_id=req.grant_id, grant_status=grant.status)
        if now_s < grant.not_before:
            raise r.GrantNotYetValid(grant_id=req.grant_id, not_before=grant.not_before)
        if now_s > grant.not_after:
            raise r.GrantExpired(grant_id=req.grant_id, not_after=grant.not_after)
        if grant.consumer != req.consumer:
            raise r.GrantConsumerMismatch(grant_id=req.grant_id)
        # A domain or comprehensive grant covers several scenarios; the query names one of them.
        if not covers(grant.purpose, req.purpose):
            raise r.PurposeNotGranted(grant_id=req.grant_id, purpose=int(req.purpose))
        return grant

    def _scope(self, req: QueryRequest, grant: GrantSnapshot, handler: ResourceHandler) -> None:
        granted = grant.scope.get(req.resource)
        if granted is None or req.resource not in grant.resources:
            raise r.ResourceNotGranted(grant_id=grant.grant_id, resource=req.resource)
        self._fields(req, grant, handler.spec, granted)
        kind = _ID_KIND[handler.spec.subject_kind]
        if grant.subject_kind is not None and grant.subject_kind != kind:
            owner = _KIND_WORD.get(grant.subject_kind, grant.subject_kind)
            raise r.SubjectKindMismatch(
                f"the grant's owner is a {owner}; "
                f"{req.resource} is about a {handler.spec.subject_kind}",
                grant_id=grant.grant_id,
                resource=req.resource,
                resource_subject=handler.spec.subject_kind,
            )
        entry = self.view.resources[req.resource]
        if not entry.allowed_purposes >> int(req.purpose) & 1 or not entry.active:
            raise r.PurposeNotAllowed(resource=req.resource, purpose=int(req.purpose))
        if grant.attested_key is None or grant.attestation_revoked:
            raise r.OwnerNotAttested(grant_id=grant.grant_id)
        if not grant.attestation_valid:
            raise r.OwnerNotAttested(grant_id=grant.grant_id, reason="attestation does not verify")
        if grant.owner_key is None or grant.owner_key.lower() != grant.attested_key.lower():
            raise r.OwnerNotAttested(grant_id=grant.grant_id, reason="owner key rotated")

    @staticmethod
    def _fields(
        req: QueryRequest, grant: GrantSnapshot, spec: ResourceSpec, granted: tuple[str, ...]
    ) -> None:
        """Unknown names first, then names of the other mode, then names outside the grant."""
        ids = {"grant_id": grant.grant_id, "resource": req.resource}
        unknown = sorted({f for f in req.fields if f not in spec.fields + spec.indicators})
        if unknown:
            raise r.FieldUnknown(
                f"{req.resource} has no field or indicator {', '.join(unknown)}",
                fields=unknown, **ids,
            )  # fmt: skip
        raw = grant.mode == "RAW"
        servable, other = (spec.fields, "indicator") if raw else (spec.indicators, "raw field")
        wrong = sorted({f for f in req.fields if f not in servable})
        if wrong:
            raise r.ModeMismatch(
                f"{other} {', '.join(wrong)} asked under a {grant.mode} grant",
                fields=wrong, mode=grant.mode, **ids,
            )  # fmt: skip
        refused = sorted({f for f in req.fields if f not in granted})
        if refused:
            raise r.FieldNotGranted(fields=refused, mode=grant.mode, **ids)
