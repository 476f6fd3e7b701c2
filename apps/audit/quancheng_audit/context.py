"""What every rule reads and writes during one audit run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from quancheng.evidence_bundle import SignedEvidenceBundle
from quancheng.protocol import SignedReceipt
from quancheng_audit.blocks import BlockTimes
from quancheng_audit.evidence import ChainEvidence, ReceiptLog
from quancheng_audit.findings import Finding, Subject
from quancheng_audit.history import Anchor, ChainHistory
from quancheng_audit.progress import NO_PROGRESS, Progress
from quancheng_node.compile import CompiledArtifacts

__all__ = ["AuditConfig", "Context", "Entry"]


@dataclass(frozen=True)
class AuditConfig:
    """How strict the audit is about time, and how it runs.

    Attributes:
        clock_tolerance_s: How far gateway clocks and block times may disagree (block times
            are whole seconds, and lag under load): a receipt served this close to a grant's
            status change is ambiguous, counted in the report's stats, not a finding.
        log_order_tolerance_s: How far back ``served_at`` may go from one receipt of a log to
            the next (concurrent answers finish in any order within it).
        max_pending_age_s: Receipts not anchored yet pass while younger than this.
        view_lag_bound_s: How long before serving a block the gateway's view had not applied
            may have been mined (``served_at`` minus that block's time, so it includes the
            gateway's clock error): a receipt past it is RECEIPT_VIEW_STALE. The default is the
            gateways' default outage bound (``QC_GW_MAX_BACKLOG_AGE_S``, 300 s): a gateway that
            cannot reach its node serves from its last view that long, by design.
        now_ms: "Now" for pending receipts (default: when the chain evidence was collected).
        workers: Processes for SM2 verification (default: every CPU).
    """

    clock_tolerance_s: float = 5.0
    log_order_tolerance_s: float = 2.0
    max_pending_age_s: float = 600.0
    view_lag_bound_s: float = 300.0
    now_ms: int | None = None
    workers: int | None = None


@dataclass
class Entry:
    """One parsed receipt of a provider's log.

    Attributes:
        provider: The log's provider.
        position: Its position in the log as served.
        signed: The signed receipt.
        receipt_bytes: Canonical bytes of the receipt (what the gateway signed).
        leaf_bytes: Canonical bytes of the signed receipt (the Merkle leaf's entry).
        batch: The anchored batch holding it (set by the batch rules).
    """

    provider: str
    position: int
    signed: SignedReceipt
    receipt_bytes: bytes
    leaf_bytes: bytes
    batch: Anchor | None = None

    @property
    def log_index(self) -> int:
        return self.signed.log_index

    @property
    def served_at_ms(self) -> int:
        return self.signed.receipt.served_at_ms

    def subject(self) -> Subject:
        r = self.signed.receipt
        return Subject(
            kind="receipt",
            provider=self.provider,
            log_index=self.signed.log_index,
            receipt_id=r.receipt_id,
            grant_id=r.grant_id,
        )


@dataclass
class Context:
    """The evidence, the replayed chain, the findings so far and the counters."""

    chain: ChainEvidence
    history: ChainHistory
    logs: list[ReceiptLog]
    config: AuditConfig
    progress: Progress = NO_PROGRESS
    findings: list[Finding] = field(default_factory=list)
    #: Items checked per area (deployment, grants, owners, receipts, batches, uses, membership).
    checked: Counter[str] = field(default_factory=Counter)
    #: Grants with a failing grant finding.
    invalid_grants: set[str] = field(default_factory=set)
    #: (pseudonym, key_version) of attestations that do not verify.
    invalid_attestations: set[tuple[str, int]] = field(default_factory=set)
    #: Parsed receipts per provider, in log order.
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    #: (provider, position) of receipts whose signature does not verify: they prove nothing,
    #: so they count for no use and no limit.
    forged: set[tuple[str, int]] = field(default_factory=set)
    #: Receipts not anchored yet: (provider, log_index, receipt_id, served_at_ms).
    pending: list[dict[str, Any]] = field(default_factory=list)
    signatures: int = 0
    #: Receipts served within the clock tolerance of a status change that would refuse them.
    near_changes: int = 0
    #: Per provider, each signed receipt's view lag in ms (:mod:`quancheng_audit.rules.view`).
    view_lags: dict[str, list[int]] = field(default_factory=dict)
    #: Consumers' evidence bundles (the receipts they received), with where each came from.
    bundles: list[tuple[str, SignedEvidenceBundle]] = field(default_factory=list)
    #: Receipts from consumers' evidence whose provider signature verified: (consumer, entry).
    held: list[tuple[str, Entry]] = field(default_factory=list)
    #: The audited build the deployed code must be (None: the committed ``contracts/build``).
    build: CompiledArtifacts | None = None

    @cached_property
    def artifacts(self) -> CompiledArtifacts:
        """The audited build, read only when the evidence holds deployed code to check."""
        return self.build or CompiledArtifacts.load()

    @cached_property
    def blocks(self) -> BlockTimes:
        """The blocks the evidence names, with their times."""
        return BlockTimes(self.chain)

    @property
    def tolerance_ms(self) -> int:
        return int(self.config.clock_tolerance_s * 1000)

    @property
    def now_ms(self) -> int:
        return self.config.now_ms if self.config.now_ms is not None else self.chain.collected_at_ms

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)
