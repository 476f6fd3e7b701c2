"""The demo's last step: an auditor verifies everything the demo did, from the chain's events
and every gateway's receipt log, and writes ``audit.json`` and ``audit.html``."""

from __future__ import annotations

import time
from pathlib import Path

from quancheng.chain import ContractSet, make_web3
from quancheng.log_reader import LogReader
from quancheng.tls import TlsConfig
from quancheng_audit import AuditConfig, AuditReport, audit, collect, save_evidence
from quancheng_audit.collect_gateway import fetch_receipt_log
from quancheng_audit.html import render_html
from quancheng_demo.stack import DemoStack

__all__ = ["CLOCK_TOLERANCE_S", "audit_demo"]

#: The embedded Hardhat node stamps blocks from a clock that falls seconds behind the wall
#: clock when the machine is busy (a demo beside a test suite on two cores): a status change
#: can carry a block time earlier than a receipt served before it. A deployment's BFT
#: validators keep block times within their own bound; audit those with the default (5 s).
CLOCK_TOLERANCE_S = 30.0
#: The demo's auditor (济南市审计局): gateways answer their logs to ACTIVE auditors only.
AUDITOR = "audit.jinan"


def _settled(
    stack: DemoStack, reader: LogReader, tls: TlsConfig | None, timeout: float = 20.0
) -> None:
    """Until every gateway anchored its receipts and recorded their uses on chain."""
    deadline = time.monotonic() + timeout
    for gateway in stack.gateways.values():
        while time.monotonic() < deadline:
            health = gateway.health() or {}
            if not health.get("unanchored"):
                log = fetch_receipt_log(gateway.url, reader=reader, tls=tls)
                if all(b.get("status") == "done" for b in log.batches):
                    break
            time.sleep(0.1)


def audit_demo(stack: DemoStack, workdir: Path) -> AuditReport:
    """Audit the demo's chain and gateways; write the JSON and HTML reports into ``workdir``."""
    assert stack.manifest is not None
    # Over TLS the auditor presents its client certificate, and its tokens name its channel.
    tls = stack.tls_for(AUDITOR) if stack.tls else None
    channel = tls.channel if tls is not None else None
    reader = LogReader.for_institution(stack.institution(AUDITOR), channel=channel)
    _settled(stack, reader, tls)
    contracts = ContractSet(make_web3(stack.rpc_url), stack.manifest)
    chain, logs = collect(contracts, reader=reader, tls=tls)  # every gateway the catalogue lists
    save_evidence(workdir / "audit-evidence", chain, logs)  # re-audit offline: --evidence
    report = audit(chain, logs, AuditConfig(clock_tolerance_s=CLOCK_TOLERANCE_S))
    (workdir / "audit.json").write_text(report.model_dump_json(indent=1), encoding="utf-8")
    (workdir / "audit.html").write_text(render_html(report), encoding="utf-8")
    return report
