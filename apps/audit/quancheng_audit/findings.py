"""What an audit can find: the rules, their finding codes, and one finding.

Every rule has a stable code (``RECEIPT_SIGNATURE_INVALID``), the area it belongs to and a
one-line statement of what it checks. A :class:`Finding` names its rule, how bad it is, the
exact subject (which receipt, batch, grant, owner or event) and what was expected against
what was found, so that an auditor can go straight to the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["RULES", "Finding", "Rule", "Severity", "Subject"]


class Severity(StrEnum):
    """``fail`` makes the audit fail; ``warn`` is reported and explained but passes."""

    FAIL = "fail"
    WARN = "warn"


@dataclass(frozen=True)
class Rule:
    """One check of the audit.

    Attributes:
        code: The finding code it raises.
        area: ``deployment``, ``grants``, ``owners``, ``receipts``, ``evidence`` (consumers'
            evidence), ``batches``, ``uses`` or ``membership``.
        severity: How bad a finding of this rule is.
        checks: What the rule checks, in one sentence.
    """

    code: str
    area: str
    severity: Severity
    checks: str


_F, _W = Severity.FAIL, Severity.WARN

#: Every rule of the audit, by code, in report order.
RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        # -------------------------------------------------------------- deployment
        Rule(
            "DEPLOYMENT_CODE_MISMATCH",
            "deployment",
            _F,
            "the code at each of the manifest's addresses is the audited build's contract of "
            "that name (immutables masked)",
        ),
        Rule(
            "DEPLOYMENT_WIRING_MISMATCH",
            "deployment",
            _F,
            "each contract names the manifest's contracts, deployer and voting period: "
            "registry(), catalogue(), ownerRegistry(), sm2Verifier(), grantRegistry() and the "
            "ledger bound to the grant registry (receiptLedger())",
        ),
        # ------------------------------------------------------------------ grants
        Rule(
            "GRANT_DOCUMENT_MALFORMED",
            "grants",
            _F,
            "the emitted grant document is a canonical quancheng.grant/1 document",
        ),
        Rule(
            "GRANT_DOCUMENT_DIGEST_MISMATCH",
            "grants",
            _F,
            "SM3 of the emitted grant document equals the digest recorded on chain",
        ),
        Rule(
            "GRANT_TERMS_MISMATCH",
            "grants",
            _F,
            "every term of the document equals the grant's terms on chain",
        ),
        Rule(
            "GRANT_CONSUMER_SIGNATURE_INVALID",
            "grants",
            _F,
            "the consumer's SM2 signature over the document verifies with its key at request",
        ),
        Rule(
            "GRANT_OWNER_NOT_ATTESTED",
            "grants",
            _F,
            "at approval the owner had a valid, unrevoked attestation naming the document's key",
        ),
        Rule(
            "GRANT_OWNER_SIGNATURE_INVALID",
            "grants",
            _F,
            "the owner's approval signature over the document verifies with the attested key",
        ),
        Rule(
            "GRANT_ACTION_MALFORMED",
            "grants",
            _F,
            "a reject/pause/resume/revoke document is canonical and names its action, grant "
            "and grant document",
        ),
        Rule(
            "GRANT_ACTION_SIGNATURE_INVALID",
            "grants",
            _F,
            "each action document is signed by the owner's attested key",
        ),
        # ------------------------------------------------------------------ owners
        Rule(
            "ATTESTATION_INVALID",
            "owners",
            _F,
            "each attestation document names its pseudonym, key and attester and is signed by "
            "the attester's registered SM2 key; the attester was an ACTIVE identity authority "
            "(voted by the committee) when it attested",
        ),
        Rule(
            "OWNER_KEY_REBOUND",
            "owners",
            _W,
            "an owner who already had a key was bound to a new one: listed with the time and the "
            "identity authority, so the owner's complaint can be checked against it",
        ),
        # ---------------------------------------------------------------- receipts
        Rule("RECEIPT_MALFORMED", "receipts", _F, "each log entry is a signed receipt"),
        Rule(
            "RECEIPT_PROVIDER_MISMATCH",
            "receipts",
            _F,
            "each receipt names the provider whose log holds it",
        ),
        Rule(
            "RECEIPT_SIGNATURE_INVALID",
            "receipts",
            _F,
            "the gateway's SM2 signature verifies with the provider's key in force at serve time",
        ),
        Rule(
            "RECEIPT_PROVIDER_NOT_ACTIVE",
            "receipts",
            _F,
            "the provider was an ACTIVE PROVIDER member when it served",
        ),
        Rule(
            "RECEIPT_NOT_RESOURCE_PROVIDER",
            "receipts",
            _F,
            "the catalogue named the receipt's provider as the resource's provider",
        ),
        Rule("RECEIPT_UNKNOWN_GRANT", "receipts", _F, "the receipt's grant was requested on chain"),
        Rule(
            "RECEIPT_GRANT_NOT_ACTIVE",
            "receipts",
            _F,
            "the grant was ACTIVE and inside its validity when the receipt was served",
        ),
        Rule(
            "RECEIPT_GRANT_NOT_ACTIVE_AT_VIEW",
            "receipts",
            _F,
            "the grant was ACTIVE in the chain's state after the block the gateway signed as "
            "applied (view_block), or became so in a block mined by serve time",
        ),
        Rule(
            "RECEIPT_VIEW_AHEAD",
            "receipts",
            _F,
            "the receipt's view_block was mined by serve time (within the clock tolerance)",
        ),
        Rule(
            "RECEIPT_VIEW_STALE",
            "receipts",
            _F,
            "no block the gateway's view had not applied was mined longer than the view lag "
            "bound (view_lag_bound_s) before the receipt was served",
        ),
        Rule(
            "RECEIPT_UNDER_INVALID_GRANT",
            "receipts",
            _F,
            "the receipt's grant has no failing grant finding (document, signatures)",
        ),
        Rule(
            "RECEIPT_CONSUMER_NOT_GRANTEE",
            "receipts",
            _F,
            "the receipt's consumer is the grant's consumer",
        ),
        Rule(
            "RECEIPT_RESOURCE_NOT_GRANTED",
            "receipts",
            _F,
            "the receipt's resource is in the grant's scope",
        ),
        Rule(
            "RECEIPT_PURPOSE_NOT_GRANTED",
            "receipts",
            _F,
            "the receipt's purpose is a scenario the grant's purpose covers (the grant's own "
            "scenario, one of its domain's, or any under a comprehensive grant)",
        ),
        Rule(
            "RECEIPT_TIER_MISMATCH",
            "receipts",
            _F,
            "the receipt's tier is the tier of its grant's purpose on chain (tierOf)",
        ),
        Rule(
            "RECEIPT_MODE_MISMATCH",
            "receipts",
            _F,
            "the receipt's mode (raw fields or derived indicators) is its grant's mode on chain",
        ),
        Rule(
            "RECEIPT_BEYOND_MAX_USES",
            "receipts",
            _F,
            "receipts of a resource under a grant do not exceed max_uses (a budget per resource)",
        ),
        Rule(
            "RECEIPT_TIME_REGRESSION",
            "receipts",
            _F,
            "served_at does not go back in the log by more than the clock tolerance",
        ),
        Rule(
            "RECEIPT_SERVED_AFTER_ANCHOR",
            "receipts",
            _F,
            "a receipt was served before the batch holding it was anchored",
        ),
        Rule(
            "RECEIPT_FROM_THE_FUTURE",
            "receipts",
            _F,
            "no receipt is dated after the evidence was collected",
        ),
        Rule("RECEIPT_DUPLICATE_ID", "receipts", _F, "each receipt id appears once in the trail"),
        Rule(
            "RECEIPT_DUPLICATE_REQUEST",
            "receipts",
            _F,
            "each request (its SM3 hash) is answered by one receipt, across the providers' logs "
            "and the consumers' evidence",
        ),
        Rule(
            "RECEIPT_OWNER_NOT_ATTESTED",
            "receipts",
            _F,
            "when the receipt was served the owner's attestation was in force (not revoked) and "
            "named the key the grant names",
        ),
        Rule(
            "RECEIPT_OWNER_NOT_ATTESTED_AT_VIEW",
            "receipts",
            _F,
            "in the chain's state after the receipt's view_block the owner's attestation was in "
            "force and named the grant's key, or was so in a block mined by serve time",
        ),
        # ---------------------------------------------------------- consumer evidence
        Rule(
            "RECEIPT_EQUIVOCATION",
            "evidence",
            _F,
            "every receipt a consumer holds, signed by the provider, is in the provider's log "
            "(at whatever position: the position is not signed)",
        ),
        Rule(
            "EVIDENCE_SIGNATURE_INVALID",
            "evidence",
            _F,
            "a signed evidence bundle verifies with the consumer's registered SM2 key",
        ),
        Rule(
            "EVIDENCE_RECEIPT_INVALID",
            "evidence",
            _W,
            "a receipt in a consumer's evidence is the consumer's and verifies with the "
            "provider's key (one that does not proves nothing and is set aside)",
        ),
        Rule(
            "EVIDENCE_LOG_NOT_AUDITED",
            "evidence",
            _W,
            "the log of every provider named in consumer evidence was audited",
        ),
        # ------------------------------------------------------------------ batches
        Rule(
            "LOG_GAP",
            "batches",
            _F,
            "the receipt log has every log_index from 0 to its last (none deleted)",
        ),
        Rule("LOG_DUPLICATE_INDEX", "batches", _F, "no two log entries claim the same log_index"),
        Rule("LOG_OUT_OF_ORDER", "batches", _F, "the log stores its receipts in log_index order"),
        Rule(
            "LOG_MISSING",
            "batches",
            _F,
            "every provider that anchored batches had its receipt log audited",
        ),
        Rule(
            "RECEIPT_UNANCHORED_STALE",
            "batches",
            _F,
            "receipts not yet anchored are younger than the pending bound",
        ),
        Rule(
            "BATCH_CHAIN_BROKEN",
            "batches",
            _F,
            "anchors run seq 0,1,2… with prev_root the previous root and first_index the "
            "running total",
        ),
        Rule(
            "BATCH_SIGNATURE_INVALID",
            "batches",
            _F,
            "the anchor document's signature verifies with the provider's key",
        ),
        Rule(
            "BATCH_ROOT_MISMATCH",
            "batches",
            _F,
            "the Merkle root recomputed from the log's receipts equals the anchored root",
        ),
        Rule(
            "GATEWAY_BATCH_MISMATCH",
            "batches",
            _F,
            "the gateway's batch record says what the chain's anchor says",
        ),
        Rule(
            "GATEWAY_BATCH_NOT_ANCHORED",
            "batches",
            _F,
            "a batch the gateway reports as anchored is anchored on chain",
        ),
        # --------------------------------------------------------------------- uses
        Rule(
            "USES_RECORDED_WITHOUT_RECEIPTS",
            "uses",
            _F,
            "uses recorded on chain by a provider are backed by its anchored receipts",
        ),
        Rule(
            "USES_NOT_RECORDED",
            "uses",
            _W,
            "anchored receipts whose uses were not (yet) recorded on chain",
        ),
        # --------------------------------------------------------------- membership
        Rule(
            "WRITE_BY_INACTIVE_MEMBER",
            "membership",
            _F,
            "every write was made by an ACTIVE member holding the role it needs",
        ),
        Rule(
            "WRITE_SENDER_MISMATCH",
            "membership",
            _F,
            "every write was sent from the chain account the acting member had then",
        ),
    )
}


class Subject(BaseModel):
    """Exactly what a finding is about; only the fields that apply are set.

    Attributes:
        kind: ``receipt``, ``log``, ``batch``, ``grant``, ``owner``, ``event``, ``provider``
            or ``contract``.
        provider: The provider (receipts, logs, batches).
        log_index: Position in the provider's receipt log.
        receipt_id: The receipt.
        seq: The batch.
        grant_id: The grant.
        pseudonym: The owner.
        block: Block of the event.
        tx_hash: Transaction of the event.
        event: Event name (with ``event_log_index``).
        event_log_index: The log index of the event in its block.
        contract: The deployment's contract (its manifest name).
    """

    model_config = ConfigDict(frozen=True)

    kind: str
    provider: str | None = None
    log_index: int | None = None
    receipt_id: str | None = None
    seq: int | None = None
    grant_id: str | None = None
    pseudonym: str | None = None
    block: int | None = None
    tx_hash: str | None = None
    event: str | None = None
    event_log_index: int | None = None
    contract: str | None = None

    def describe(self) -> str:
        """A short human name: ``receipt jinan.vmo#17 (5f0c…)``, ``batch jinan.vmo/3``."""
        if self.kind == "receipt":
            rid = f" ({self.receipt_id})" if self.receipt_id else ""
            return f"receipt {self.provider}#{self.log_index}{rid}"
        if self.kind == "batch":
            return f"batch {self.provider}/{self.seq}"
        if self.kind == "log":
            return f"log of {self.provider}" + (
                f" at #{self.log_index}" if self.log_index is not None else ""
            )
        if self.kind == "grant":
            return f"grant {self.grant_id}"
        if self.kind == "owner":
            return f"owner {self.pseudonym}"
        if self.kind == "event":
            return f"{self.event} in block {self.block} (log {self.event_log_index})"
        if self.kind == "contract":
            return f"contract {self.contract}"
        return f"{self.kind} {self.provider or ''}".strip()


class Finding(BaseModel):
    """One thing the audit found.

    Attributes:
        code: The rule's code.
        area: The rule's area.
        severity: ``fail`` or ``warn``.
        subject: What it is about.
        expected: What the rule expected.
        found: What the evidence says.
        message: One line for people.
    """

    model_config = ConfigDict(frozen=True)

    code: str
    area: str
    severity: Severity
    subject: Subject
    expected: Any = None
    found: Any = None
    message: str

    @classmethod
    def of(
        cls,
        code: str,
        subject: Subject,
        message: str,
        *,
        expected: Any = None,
        found: Any = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of rule ``code`` (its severity unless overridden)."""
        rule = RULES[code]
        return cls(
            code=code,
            area=rule.area,
            severity=severity or rule.severity,
            subject=subject,
            expected=expected,
            found=found,
            message=message,
        )

    def line(self) -> str:
        """``FAIL RECEIPT_SIGNATURE_INVALID receipt jinan.vmo#17 (…): message``."""
        return f"{self.severity.upper()} {self.code} {self.subject.describe()}: {self.message}"
