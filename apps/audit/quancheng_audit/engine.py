"""Running an audit: evidence in, report out.

:func:`audit` replays the chain's events, then runs the rules in dependency order: the
deployment first (the contracts at the manifest's addresses are the audited build, correctly
wired: everything else trusts what they enforce), owners
(attestations) before grants (an approval needs a valid attestation), logs and batches
before receipts (a receipt needs its batch), receipts before consumers' evidence (held
receipts are checked against the parsed logs), all of them before uses. Receipts are judged
twice: by clock (``served_at`` against block times, with a tolerance) and by block (the
``view_block`` the gateway signed, :mod:`quancheng_audit.rules.view`). Everything is verified
here, offline: SM2 and SM3 are recomputed from the evidence, nothing is taken from a
gateway's or the chain's word.

:func:`collect` gathers the evidence from a node and gateways first (or use
:func:`~quancheng_audit.evidence.load_evidence` for saved files).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import httpx

from quancheng.chain import ContractSet
from quancheng.evidence_bundle import SignedEvidenceBundle
from quancheng.http_bounds import AllowedEndpoints, EndpointPolicy
from quancheng.log_reader import LogReader
from quancheng.tls import TlsConfig
from quancheng_audit.collect_chain import collect_chain
from quancheng_audit.collect_gateway import catalogue_endpoints, fetch_receipt_log, open_http
from quancheng_audit.context import AuditConfig, Context
from quancheng_audit.evidence import ChainEvidence, ReceiptLog
from quancheng_audit.gateway_reads import ReadLimits
from quancheng_audit.history import ChainHistory
from quancheng_audit.progress import NO_PROGRESS, Progress
from quancheng_audit.report import AuditReport, build_report
from quancheng_audit.rules import (
    check_attestation_window,
    check_attestations,
    check_consumer_evidence,
    check_deployed_contracts,
    check_grants,
    check_logs,
    check_membership,
    check_receipts,
    check_request_reuse,
    check_signatures,
    check_use_limits,
    check_uses,
    check_view,
)
from quancheng_node.compile import CompiledArtifacts

__all__ = ["audit", "collect"]


def collect(
    contracts: ContractSet,
    *,
    gateways: Sequence[str] | None = None,
    logs: Sequence[ReceiptLog] = (),
    from_block: int | None = None,
    to_block: int | None = None,
    http: httpx.Client | None = None,
    progress: Progress = NO_PROGRESS,
    reader: LogReader | None = None,
    limits: ReadLimits | None = None,
    endpoints: EndpointPolicy | None = None,
    tls: TlsConfig | None = None,
) -> tuple[ChainEvidence, list[ReceiptLog]]:
    """Read the chain, then each gateway's log.

    Gateways are read only at the endpoints the catalogue lists in the chain's events (a
    resource's last endpoint, deactivated or not: its log is still audited), each request
    signed for the provider listed there, within ``limits``.

    Args:
        contracts: The deployment.
        gateways: Gateway URLs; None means the endpoints the catalogue lists, except for the
            providers whose log is already in ``logs``.
        logs: Receipt logs exported earlier (files), used as they are.
        from_block: First block (default: the deployment's).
        to_block: Last block (default: the head).
        http: HTTP client for the gateways (e.g. a test client).
        reader: The auditor's credentials (gateways answer their logs to ACTIVE auditors).
        limits: How much to read from each gateway, and for how long.
        endpoints: Where requests may go instead of the catalogue's endpoints (tests).
        tls: Trust anchors and the auditor's client certificate (when ``http`` is None).

    Raises:
        SourceUnavailable: The node or a gateway could not be read.
        LogTooLong, LogTooSlow: A gateway has more to read than ``limits`` allow.
        EndpointNotAllowed: A gateway URL is not in the catalogue (nothing was sent to it).
        ResponseTooLarge, ResponseTooSlow, RedirectRefused: An answer broke a bound.
    """
    chain = collect_chain(contracts, from_block=from_block, to_block=to_block, progress=progress)
    listed = catalogue_endpoints(chain)
    have = {log.provider for log in logs}
    if gateways is None:
        gateways = [url for p, url in listed.items() if p not in have]
    allowed = endpoints if endpoints is not None else AllowedEndpoints.of(listed.values())
    provider_at = {url.rstrip("/"): p for p, url in listed.items()}
    client, own = open_http(http, tls, limits or ReadLimits())
    try:
        fetched = [
            fetch_receipt_log(
                url,
                reader=reader,
                client=client,
                provider=provider_at.get(url.rstrip("/")),
                limits=limits,
                endpoints=allowed,
                progress=progress,
            )
            for url in gateways
        ]
    finally:
        if own:
            client.close()
    return chain, [*logs, *fetched]


def audit(
    chain: ChainEvidence,
    logs: Sequence[ReceiptLog],
    config: AuditConfig | None = None,
    *,
    consumer_evidence: Sequence[SignedEvidenceBundle | tuple[str, SignedEvidenceBundle]] = (),
    progress: Progress = NO_PROGRESS,
    clock: Callable[[], float] = time.time,
    artifacts: CompiledArtifacts | None = None,
) -> AuditReport:
    """Verify the whole trail and report every finding.

    Args:
        chain: The chain's events.
        logs: The providers' receipt logs.
        config: How strict to be about time.
        consumer_evidence: Consumers' evidence bundles (the receipts they received), each
            bare or with a name for the report (its file), cross-checked against the logs.
        artifacts: The audited build the deployed code must be (default: the committed
            ``contracts/build/quancheng.json``).
    """
    started = time.perf_counter()
    ctx = Context(chain, ChainHistory(chain), list(logs), config or AuditConfig(), progress)
    ctx.build = artifacts
    for n, item in enumerate(consumer_evidence):
        named = item if isinstance(item, tuple) else (f"bundle {n + 1}", item)
        ctx.bundles.append(named)
    check_deployed_contracts(ctx)
    check_attestations(ctx)
    check_grants(ctx)
    receipts_started = time.perf_counter()
    check_logs(ctx)
    check_signatures(ctx)
    check_receipts(ctx)
    check_view(ctx)
    check_consumer_evidence(ctx)
    check_request_reuse(ctx)
    check_attestation_window(ctx)
    check_use_limits(ctx)
    receipts_s = time.perf_counter() - receipts_started
    check_uses(ctx)
    check_membership(ctx)
    return build_report(
        ctx,
        elapsed_s=time.perf_counter() - started,
        receipts_s=receipts_s,
        now_ms=int(clock() * 1000),
    )
