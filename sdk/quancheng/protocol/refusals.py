"""Every refusal of the verified-query protocol: a stable code, an HTTP status, an exception.

Gateways answer a refusal as ``{"error": {"code": ..., "message": ..., "details": {...}}}``
with the status below and never with data; the SDK turns the code back into the exception
class of the same name, so callers can ``except GrantRevoked`` wherever the refusal came
from. Codes are part of the protocol: never renumber or reuse one.
"""

from __future__ import annotations

from typing import Any

from quancheng.errors import GatewayError, GrantError


class Refusal(GatewayError):
    """A gateway refused a query. ``code`` and ``status`` identify the rule that failed."""

    code = "REFUSED"
    status = 400

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.details = details
        super().__init__(message or self.__doc__ or self.code)

    @property
    def remedy(self) -> str:
        """What the consumer should do about it, in one sentence (the integration guide's)."""
        from quancheng.protocol.remedies import REMEDIES  # a table of text, loaded when asked

        return REMEDIES.get(self.code, "")

    def to_body(self) -> dict[str, Any]:
        """The JSON body a gateway sends for this refusal."""
        return {"error": {"code": self.code, "message": str(self), "details": self.details}}


class GrantRefusal(Refusal, GrantError):
    """The grant does not allow this query."""

    code = "GRANT_REFUSED"
    status = 403


class MalformedRequest(Refusal):
    """The request is not a well-formed signed query."""

    code = "MALFORMED_REQUEST"
    status = 400


class RequestTooLarge(Refusal):
    """The request body exceeds the gateway's limit."""

    code = "REQUEST_TOO_LARGE"
    status = 413


class BadRequestSignature(Refusal):
    """The consumer's SM2 signature over the request does not verify."""

    code = "BAD_REQUEST_SIGNATURE"
    status = 401


class ChannelRequired(Refusal):
    """The gateway answers only requests bound to the TLS client certificate they arrive with.

    Either the connection presented no client certificate, or the request names no
    ``channel`` (only a development gateway on loopback answers unbound requests).
    """

    code = "CHANNEL_REQUIRED"
    status = 401


class ChannelMismatch(Refusal):
    """The request is bound to another TLS client key than the one it arrived with."""

    code = "CHANNEL_MISMATCH"
    status = 403


class UnknownConsumer(Refusal):
    """The consumer is not a member of the consortium."""

    code = "UNKNOWN_CONSUMER"
    status = 403


class ConsumerNotActive(Refusal):
    """The consumer's membership is suspended or removed, or it is not a CONSUMER."""

    code = "CONSUMER_NOT_ACTIVE"
    status = 403


class ClockSkew(Refusal):
    """The request's time is too far from the gateway's clock."""

    code = "CLOCK_SKEW"
    status = 400


class ReplayedRequest(Refusal):
    """This request id was already used."""

    code = "REPLAYED_REQUEST"
    status = 409


class UnknownResource(Refusal):
    """This gateway serves no such resource."""

    code = "UNKNOWN_RESOURCE"
    status = 404


class UnknownGrant(GrantRefusal):
    """No grant with this id is known on chain."""

    code = "UNKNOWN_GRANT"
    status = 404


class GrantPending(GrantRefusal):
    """The owner has not approved the grant yet."""

    code = "GRANT_PENDING"
    status = 403


class GrantRejected(GrantRefusal):
    """The owner rejected the grant."""

    code = "GRANT_REJECTED"
    status = 403


class GrantPaused(GrantRefusal):
    """The owner paused the grant."""

    code = "GRANT_PAUSED"
    status = 403


class GrantRevoked(GrantRefusal):
    """The owner revoked the grant."""

    code = "GRANT_REVOKED"
    status = 403


class GrantNotYetValid(GrantRefusal):
    """The grant's validity has not started."""

    code = "GRANT_NOT_YET_VALID"
    status = 403


class GrantExpired(GrantRefusal):
    """The grant's validity has ended."""

    code = "GRANT_EXPIRED"
    status = 403


class GrantExhausted(GrantRefusal):
    """The uses the grant allows are spent (of the resource asked, or of every resource)."""

    # max_uses is a budget per resource: ``details.resource`` names the one spent, whether the
    # gateway's own count or the chain's EXHAUSTED status (every resource spent) found it.

    code = "GRANT_EXHAUSTED"
    status = 403

    @classmethod
    def of_resource(
        cls, grant_id: str, resource: str, max_uses: int, uses: int
    ) -> GrantExhausted:
        """The refusal naming the spent resource: one shape whichever check finds it spent."""
        return cls(
            f"the grant's {max_uses} uses of {resource} are spent "
            "(max_uses is a budget per resource)",
            grant_id=grant_id,
            resource=resource,
            max_uses=max_uses,
            uses=uses,
        )


class GrantConsumerMismatch(GrantRefusal):
    """The grant names another consumer."""

    code = "GRANT_CONSUMER_MISMATCH"
    status = 403


class ResourceNotGranted(GrantRefusal):
    """The grant does not cover this resource."""

    code = "RESOURCE_NOT_GRANTED"
    status = 403


class FieldNotGranted(GrantRefusal):
    """The grant does not cover one of the requested fields."""

    code = "FIELD_NOT_GRANTED"
    status = 403


class FieldUnknown(FieldNotGranted):
    """A requested field or indicator is not one the resource has (whatever the grant says)."""

    # A subclass of FieldNotGranted so that callers catching that keep working; the code
    # says the sharper thing: no grant could ever allow this name for this resource.
    code = "FIELD_UNKNOWN"
    status = 404


class ModeMismatch(FieldNotGranted):
    """An indicator asked under a RAW grant, or a raw field under a DERIVED grant."""

    code = "MODE_MISMATCH"
    status = 403


class SubjectKindMismatch(GrantRefusal):
    """The grant's owner is a person and the resource is about businesses, or the reverse."""

    code = "SUBJECT_KIND_MISMATCH"
    status = 403


class PurposeNotGranted(GrantRefusal):
    """The request's purpose differs from the grant's."""

    code = "PURPOSE_NOT_GRANTED"
    status = 403


class PurposeNotAllowed(GrantRefusal):
    """The resource does not allow this purpose."""

    code = "PURPOSE_NOT_ALLOWED"
    status = 403


class GrantDocumentInvalid(GrantRefusal):
    """The grant document does not match its on-chain digest or its owner signature."""

    code = "GRANT_DOCUMENT_INVALID"
    status = 403


class OwnerNotAttested(GrantRefusal):
    """The grant's owner key is not attested, or its attestation was revoked."""

    code = "OWNER_NOT_ATTESTED"
    status = 403


class SubjectNotFound(Refusal):
    """The department holds no record for the grant's owner."""

    code = "SUBJECT_NOT_FOUND"
    status = 404


class UnknownReceipt(Refusal):
    """This gateway issued no receipt with this id."""

    code = "UNKNOWN_RECEIPT"
    status = 404


class ReceiptNotAnchored(Refusal):
    """The receipt exists but its batch is not anchored on chain yet; ask again later."""

    code = "RECEIPT_NOT_ANCHORED"
    status = 409


class ChainUnavailable(Refusal):
    """The gateway cannot confirm state on chain and its backlog is full: failing closed."""

    code = "CHAIN_UNAVAILABLE"
    status = 503


class StorageUnavailable(Refusal):
    """The gateway cannot reach its database: failing closed until it answers again."""

    # Temporary: the gateway recovers by itself once its database is back (``/healthz``
    # says when). Resending the same signed request is safe: it is answered once or, if its
    # receipt was stored just before the failure, refused as REPLAYED_REQUEST.
    code = "STORAGE_UNAVAILABLE"
    status = 503


class InternalError(Refusal):
    """The gateway failed; nothing was answered and no use was counted."""

    code = "INTERNAL_ERROR"
    status = 500


# ------------------------------------------------------------- reading the receipt log
# The receipt log, receipts, batches and proofs are answered only to entitled members, each
# request signed with a reader token (quancheng.protocol.reader_token); /metrics and the
# details of /healthz only to the operator's token or an auditor.


class ReaderRefusal(Refusal):
    """A read of the receipt log, a receipt, a batch, a proof or the metrics was refused."""

    code = "READ_REFUSED"
    status = 403


class Unauthenticated(ReaderRefusal):
    """This route answers authenticated readers only (header QC-Reader-Token)."""

    code = "UNAUTHENTICATED"
    status = 401


class BadReaderToken(ReaderRefusal):
    """The reader token is malformed, meant for another request, or not signed by its member."""

    code = "BAD_READER_TOKEN"
    status = 401


class ReaderTokenExpired(ReaderRefusal):
    """The reader token's time is too far from the gateway's clock."""

    code = "READER_TOKEN_EXPIRED"
    status = 401


class ReaderTokenReplayed(ReaderRefusal):
    """This reader token (its nonce) was already used."""

    code = "READER_TOKEN_REPLAYED"
    status = 401


class ReaderNotEntitled(ReaderRefusal):
    """The reader is authenticated but not entitled to read this."""

    # Entitled: an ACTIVE auditor (everything); an ACTIVE consumer (its own receipts); the
    # identity authority (the receipts of the one owner its request names).

    code = "READER_NOT_ENTITLED"
    status = 403


class ReaderRateLimited(ReaderRefusal):
    """Too many reader tokens of this member are live at once; retry in a moment."""

    code = "READER_RATE_LIMITED"
    status = 429


_REGISTRY: dict[str, type[Refusal]] = {
    cls.code: cls
    for cls in (
        MalformedRequest,
        RequestTooLarge,
        BadRequestSignature,
        ChannelRequired,
        ChannelMismatch,
        UnknownConsumer,
        ConsumerNotActive,
        ClockSkew,
        ReplayedRequest,
        UnknownResource,
        UnknownGrant,
        GrantPending,
        GrantRejected,
        GrantPaused,
        GrantRevoked,
        GrantNotYetValid,
        GrantExpired,
        GrantExhausted,
        GrantConsumerMismatch,
        ResourceNotGranted,
        FieldNotGranted,
        FieldUnknown,
        ModeMismatch,
        SubjectKindMismatch,
        PurposeNotGranted,
        PurposeNotAllowed,
        GrantDocumentInvalid,
        OwnerNotAttested,
        SubjectNotFound,
        UnknownReceipt,
        ReceiptNotAnchored,
        ChainUnavailable,
        StorageUnavailable,
        InternalError,
        Unauthenticated,
        BadReaderToken,
        ReaderTokenExpired,
        ReaderTokenReplayed,
        ReaderNotEntitled,
        ReaderRateLimited,
    )
}

#: Every refusal code of the protocol.
ALL_CODES = tuple(_REGISTRY)
#: The codes of refused reads (never a query's answer).
READER_CODES = tuple(c for c, cls in _REGISTRY.items() if issubclass(cls, ReaderRefusal))


def refusal_class(code: str) -> type[Refusal]:
    """The exception class of a refusal code (``Refusal`` itself for an unknown code)."""
    return _REGISTRY.get(code, Refusal)


def refusal_from_body(status: int, body: Any) -> Refusal:
    """Rebuild the typed exception from a gateway's error body."""
    try:
        err = body["error"]
        cls = refusal_class(str(err["code"]))
        exc = cls(str(err.get("message") or cls.__doc__), **dict(err.get("details") or {}))
    except (KeyError, TypeError, ValueError):
        exc = Refusal(f"gateway answered HTTP {status} without a protocol error body")
    exc.status = status
    return exc
