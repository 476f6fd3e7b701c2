"""What a consumer should do about each refusal: one sentence per code.

:attr:`quancheng.protocol.refusals.Refusal.remedy` reads this table, and the integration guide's
refusal reference (``docs/reference/refusals.md``) is generated from it, so the advice an
exception carries and the advice the guide prints are the same words.
"""

from __future__ import annotations

__all__ = ["REMEDIES"]

REMEDIES: dict[str, str] = {
    "MALFORMED_REQUEST": (
        "A bug in the caller: build requests with the SDK (`ConsumerClient.query`), which signs "
        "the canonical form; `details.errors` names the offending fields."
    ),
    "REQUEST_TOO_LARGE": "Ask for fewer fields or shorter parameters in one request.",
    "BAD_REQUEST_SIGNATURE": (
        "Sign with the SM2 key registered on chain for your institution; after a key rotation, "
        "load the new key (`Institution.load(..., sm2_key=...)`)."
    ),
    "CHANNEL_REQUIRED": (
        "Connect with your TLS client certificate (`ConsumerClient(..., tls=TlsConfig(...))`); "
        "the SDK then binds each request to it."
    ),
    "CHANNEL_MISMATCH": (
        "Send each request on the connection it was signed for: do not sign on one machine and "
        "send from another; let the SDK prepare and send it."
    ),
    "UNKNOWN_CONSUMER": (
        "Your institution is not a member of the consortium: ask the committee to admit it, and "
        "check the institution code you load."
    ),
    "CONSUMER_NOT_ACTIVE": (
        "Your membership is suspended or removed, or your role is not CONSUMER: contact the "
        "consortium committee."
    ),
    "CLOCK_SKEW": (
        "Synchronise your host's clock (NTP); the gateway accepts requests within its skew bound "
        "(`details.max_skew_ms`)."
    ),
    "REPLAYED_REQUEST": (
        "Never resend a request that was answered: build a new one (new request id). The SDK "
        "retries only requests that were not answered."
    ),
    "UNKNOWN_RESOURCE": (
        "Use a resource code from the on-chain catalogue (`client.catalogue()`), at the "
        "gateway the catalogue lists for it."
    ),
    "UNKNOWN_GRANT": (
        "Use the grant id `request_grant` returned; if it was just requested, the gateway's view "
        "of the chain catches up within seconds: retry shortly."
    ),
    "GRANT_PENDING": "Wait for the owner: `client.wait_for_grant(grant_id, timeout=...)`.",
    "GRANT_REJECTED": (
        "The owner said no. Do not ask again with the same terms; talk to your customer."
    ),
    "GRANT_PAUSED": (
        "The owner paused the grant; it may be resumed. Wait, or ask your customer to resume it."
    ),
    "GRANT_REVOKED": (
        "The owner withdrew consent: stop using the grant; request a new one if needed."
    ),
    "GRANT_NOT_YET_VALID": "Query after the grant's start (`details.not_before`, Unix seconds).",
    "GRANT_EXPIRED": "The grant's term is over: request a new grant.",
    "GRANT_EXHAUSTED": (
        "The grant's uses of this resource are spent (`max_uses` is per resource): request a "
        "new grant."
    ),
    "GRANT_CONSUMER_MISMATCH": "The grant belongs to another institution: use one of yours.",
    "RESOURCE_NOT_GRANTED": "Ask only for resources in the grant's scope, or request a new grant.",
    "FIELD_NOT_GRANTED": (
        "Ask only for the fields (or indicators) the owner granted for this resource "
        "(`details.fields` lists those refused)."
    ),
    "FIELD_UNKNOWN": (
        "Use field and indicator names from the catalogue's schema of the resource "
        "(`client.catalogue()`)."
    ),
    "MODE_MISMATCH": (
        "Under a RAW grant ask raw fields; under a DERIVED grant ask indicators; request a grant "
        "of the other mode if you need it."
    ),
    "SUBJECT_KIND_MISMATCH": (
        "Person resources need a person's grant and business resources an enterprise's: request "
        "a grant from the right owner."
    ),
    "PURPOSE_NOT_GRANTED": (
        "Name a scenario the grant's purpose covers (`purpose=` of `query`); a domain or "
        "comprehensive grant needs an explicit scenario."
    ),
    "PURPOSE_NOT_ALLOWED": (
        "The catalogue does not allow this resource for this scenario: use another resource or "
        "scenario."
    ),
    "GRANT_DOCUMENT_INVALID": (
        "The grant on chain does not match its document or signatures: do not use it; report it "
        "to the consortium (the audit flags it too)."
    ),
    "OWNER_NOT_ATTESTED": (
        "The owner's key is no longer attested (re-bound or revoked): the owner must approve a "
        "new grant with the current key."
    ),
    "SUBJECT_NOT_FOUND": (
        "The department holds no record of this owner: nothing to read here (not retryable)."
    ),
    "UNKNOWN_RECEIPT": "Ask the gateway that issued the receipt, with the receipt id it returned.",
    "RECEIPT_NOT_ANCHORED": (
        "The receipt's batch is not on chain yet: `client.wait_for_anchor(answer)` waits for it."
    ),
    "CHAIN_UNAVAILABLE": (
        "The gateway fails closed while it cannot confirm the chain: retry with backoff (the SDK "
        "does); nothing was answered or counted."
    ),
    "STORAGE_UNAVAILABLE": (
        "The gateway's database is down: retry with backoff (the SDK does); nothing was answered "
        "or counted."
    ),
    "INTERNAL_ERROR": (
        "The gateway failed; nothing was answered or counted. Retry once; if it persists, give the "
        "request id to the department's operator."
    ),
    "UNAUTHENTICATED": "Read receipts and logs with the SDK's reader (it signs a reader token).",
    "BAD_READER_TOKEN": (
        "Sign a fresh reader token for this request and connection (the SDK's `LogReader` does)."
    ),
    "READER_TOKEN_EXPIRED": "Synchronise your clock (NTP) and sign a fresh token.",
    "READER_TOKEN_REPLAYED": "Sign a fresh token for every read (a token is single-use).",
    "READER_NOT_ENTITLED": (
        "Consumers read only their own receipts; auditors and the identity authority read more."
    ),
    "READER_RATE_LIMITED": "Wait a moment and read again; keep fewer reads in flight.",
}
