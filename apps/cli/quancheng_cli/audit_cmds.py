"""``quancheng audit`` and ``quancheng receipt export|verify``: the auditor's commands.

Exit codes: 0 when everything verifies, 1 when the audit (or a bundle) finds something that
fails, 2 on usage errors and when the chain, a gateway or a file cannot be read — including a
gateway that has more to read than the bounds (``--max-receipts`` ...) or answers out of
bounds: the error names the gateway and the bound.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

receipt_app = typer.Typer(
    help="Self-contained receipt bundles: export one, verify one offline.", no_args_is_help=True
)

evidence_app = typer.Typer(
    help="A consumer's own evidence: the receipts it received, exported for the auditor.",
    no_args_is_help=True,
)

ManifestOpt = Annotated[
    Path | None, typer.Option("--manifest", help="The deployment manifest (JSON).")
]
RpcOpt = Annotated[str | None, typer.Option("--rpc-url", help="The chain node's JSON-RPC URL.")]
ReaderCodeOpt = Annotated[
    str | None,
    typer.Option(
        "--reader",
        envvar="QC_INSTITUTION_CODE",
        help="The auditor's consortium code: gateways answer their logs to ACTIVE auditors.",
    ),
]
ReaderKeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--reader-key",
        envvar="QC_SM2_KEY_FILE",
        help="The auditor's SM2 key (PEM), registered on chain; signs each read.",
    ),
]


TlsCaOpt = Annotated[
    Path | None,
    typer.Option(
        "--tls-ca", envvar="QC_TLS_CA_FILE", help="CA bundle (PEM) the gateways' certificates "
        "must chain to (default: the system's).",
    ),
]  # fmt: skip
TlsCertOpt = Annotated[
    Path | None,
    typer.Option(
        "--tls-cert", envvar="QC_TLS_CERT_FILE",
        help="The auditor's TLS client certificate (PEM), for gateways that ask for one.",
    ),
]  # fmt: skip
TlsKeyOpt = Annotated[
    Path | None,
    typer.Option("--tls-key", envvar="QC_TLS_KEY_FILE", help="Its private key (PEM)."),
]


def _fail_usage(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _contracts(manifest: Path | None, rpc_url: str | None) -> Any:
    from quancheng.chain import ContractSet, Manifest, make_web3

    if manifest is None or rpc_url is None:
        raise _fail_usage("--manifest and --rpc-url are required (or --evidence DIR)")
    return ContractSet(make_web3(rpc_url), Manifest.load(manifest))


def _reader(code: str | None, key_file: Path | None, tls: Any = None) -> Any:
    """The auditor's log reader (bound to the TLS client key of ``tls``, if any), or None
    when neither option is given."""
    if code is None and key_file is None:
        return None
    if code is None or key_file is None:
        raise _fail_usage("give both --reader and --reader-key (or neither)")
    from quancheng.crypto import InvalidKey, SM2PrivateKey
    from quancheng.log_reader import LogReader

    try:
        channel = tls.channel if tls is not None else None
        return LogReader(code, SM2PrivateKey.from_pem(key_file.read_bytes()), channel=channel)
    except (OSError, ValueError, InvalidKey) as exc:
        raise _fail_usage(f"cannot load the SM2 key {key_file}: {exc}") from None


def _tls(ca: Path | None, cert: Path | None, key: Path | None) -> Any:
    """The TLS configuration of the options, or None when none is given."""
    if ca is None and cert is None and key is None:
        return None
    if ca is None:
        raise _fail_usage("--tls-cert and --tls-key need --tls-ca")
    from quancheng.tls import TlsConfig, TlsConfigError

    try:
        return TlsConfig(ca, cert, key)
    except TlsConfigError as exc:
        raise _fail_usage(str(exc)) from None


def _limits(**values: Any) -> Any:
    from quancheng.errors import QuanchengError
    from quancheng_audit.gateway_reads import ReadLimits

    try:
        return ReadLimits(**values)
    except QuanchengError as exc:
        raise _fail_usage(str(exc)) from None


def audit_command(
    manifest: ManifestOpt = None,
    rpc_url: RpcOpt = None,
    reader_code: ReaderCodeOpt = None,
    reader_key: ReaderKeyOpt = None,
    gateway: Annotated[
        list[str] | None,
        typer.Option("--gateway", help="A gateway URL (repeat); default: the catalogue's."),
    ] = None,
    receipt_log: Annotated[
        list[Path] | None,
        typer.Option("--receipt-log", help="An exported receipt-log file (repeat)."),
    ] = None,
    consumer_evidence: Annotated[
        list[Path] | None,
        typer.Option(
            "--consumer-evidence",
            help="A consumer's evidence bundle (quancheng evidence export), cross-checked "
            "against the logs (repeat).",
        ),
    ] = None,
    from_block: Annotated[int | None, typer.Option(help="First block to read.")] = None,
    to_block: Annotated[int | None, typer.Option(help="Audit as of this block.")] = None,
    evidence: Annotated[
        Path | None, typer.Option(help="Audit saved evidence offline (no node, no gateway).")
    ] = None,
    save_evidence: Annotated[
        Path | None, typer.Option(help="Also save the evidence read, to re-audit offline.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON report here.")] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write the HTML report here.")
    ] = None,
    clock_tolerance: Annotated[
        float, typer.Option(help="Seconds gateway clocks and block times may differ.")
    ] = 5.0,
    max_pending_age: Annotated[
        float, typer.Option(help="Seconds a receipt may wait for its anchor.")
    ] = 600.0,
    view_lag_bound: Annotated[
        float,
        typer.Option(help="Seconds a gateway's chain view may lag when serving (outage bound)."),
    ] = 300.0,
    workers: Annotated[int | None, typer.Option(help="Processes for SM2 verification.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
    max_receipts: Annotated[
        int, typer.Option(help="Longest receipt log read from one gateway.")
    ] = 1_000_000,
    max_batches: Annotated[
        int, typer.Option(help="Most batch records read from one gateway.")
    ] = 1_000_000,
    max_log_mib: Annotated[int, typer.Option(help="Most MiB read from one gateway in all.")] = 2048,
    gateway_timeout: Annotated[
        float, typer.Option(help="Seconds each network operation with a gateway may wait.")
    ] = 30.0,
    gateway_deadline: Annotated[
        float, typer.Option(help="Seconds reading one gateway may take in all.")
    ] = 3600.0,
    tls_ca: TlsCaOpt = None,
    tls_cert: TlsCertOpt = None,
    tls_key: TlsKeyOpt = None,
) -> None:
    """Verify the whole trail: chain events and every gateway's receipt log."""
    from quancheng.errors import QuanchengError
    from quancheng.evidence_bundle import load_evidence_bundle
    from quancheng_audit import AuditConfig, audit, load_evidence, load_receipt_log
    from quancheng_audit.engine import collect
    from quancheng_audit.evidence import save_evidence as save
    from quancheng_audit.html import render_html
    from quancheng_audit.progress import NO_PROGRESS, RichProgress

    config = AuditConfig(
        clock_tolerance_s=clock_tolerance,
        max_pending_age_s=max_pending_age,
        view_lag_bound_s=view_lag_bound,
        workers=workers,
    )
    progress = NO_PROGRESS if quiet or not sys.stderr.isatty() else RichProgress()
    limits = _limits(
        max_receipts=max_receipts, max_batches=max_batches, max_bytes=max_log_mib * 1024 * 1024,
        timeout_s=gateway_timeout, deadline_s=gateway_deadline,
    )  # fmt: skip
    tls = _tls(tls_ca, tls_cert, tls_key)
    try:
        held = [(str(p), load_evidence_bundle(p)) for p in consumer_evidence or ()]
        if evidence is not None:
            chain, logs = load_evidence(evidence)
            logs += [load_receipt_log(p) for p in receipt_log or ()]
            report = audit(chain, logs, config, consumer_evidence=held)
        else:
            contracts = _contracts(manifest, rpc_url)
            reader = _reader(reader_code, reader_key, tls)
            files = [load_receipt_log(p) for p in receipt_log or ()]
            with progress if isinstance(progress, RichProgress) else _Null():
                chain, logs = collect(
                    contracts, gateways=gateway, logs=files, from_block=from_block,
                    to_block=to_block, progress=progress, reader=reader, limits=limits, tls=tls,
                )  # fmt: skip
                report = audit(chain, logs, config, consumer_evidence=held, progress=progress)
            if save_evidence is not None:
                save(save_evidence, chain, logs)
    except QuanchengError as exc:
        raise _fail_usage(f"{exc.code}: {exc}") from None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report.model_dump_json(indent=1), encoding="utf-8")
    if html_out is not None:
        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(render_html(report), encoding="utf-8")
    typer.echo(report.summary)
    for f in report.findings[:50]:
        typer.echo(f.line())
    if len(report.findings) > 50:
        typer.echo(f"… {len(report.findings) - 50} more findings in the JSON report")
    if not report.passed:
        raise typer.Exit(code=1)


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@receipt_app.command("export")
def receipt_export(
    receipt_id: Annotated[str, typer.Argument(help="The receipt id (UUID).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the bundle.")],
    manifest: ManifestOpt = None,
    rpc_url: RpcOpt = None,
    gateway: Annotated[str | None, typer.Option(help="The gateway that issued it.")] = None,
    resource: Annotated[
        str | None, typer.Option(help="Or: the resource it was served from (its gateway).")
    ] = None,
    reader_code: ReaderCodeOpt = None,
    reader_key: ReaderKeyOpt = None,
    tls_ca: TlsCaOpt = None,
    tls_cert: TlsCertOpt = None,
    tls_key: TlsKeyOpt = None,
) -> None:
    """Write a self-contained, offline-verifiable bundle of one anchored receipt."""
    from quancheng.errors import QuanchengError
    from quancheng_audit.bundle import export_bundle

    if (gateway is None) == (resource is None):
        raise _fail_usage("give exactly one of --gateway and --resource")
    contracts = _contracts(manifest, rpc_url)
    tls = _tls(tls_ca, tls_cert, tls_key)
    reader = _reader(reader_code, reader_key, tls)
    try:
        bundle = export_bundle(
            contracts, receipt_id, gateway=gateway, resource=resource, reader=reader, tls=tls
        )
    except QuanchengError as exc:
        raise _fail_usage(f"{exc.code}: {exc}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(bundle.model_dump_json(indent=1), encoding="utf-8")
    typer.echo(f"receipt {receipt_id} → {out}")


@receipt_app.command("verify")
def receipt_verify(
    bundle_file: Annotated[Path, typer.Argument(help="The bundle (JSON).")],
    manifest: ManifestOpt = None,
    rpc_url: RpcOpt = None,
) -> None:
    """Verify a bundle offline; with --rpc-url and --manifest, against the chain as well."""
    from quancheng.errors import QuanchengError
    from quancheng_audit.bundle import load_bundle, verify_bundle, verify_bundle_on_chain

    try:
        bundle = load_bundle(bundle_file)
        checks = verify_bundle(bundle)
        if (manifest is None) != (rpc_url is None):
            raise _fail_usage("give both --manifest and --rpc-url, or neither")
        if manifest is not None and all(c.ok for c in checks):
            checks += verify_bundle_on_chain(bundle, _contracts(manifest, rpc_url))
    except QuanchengError as exc:
        raise _fail_usage(f"{exc.code}: {exc}") from None
    for check in checks:
        typer.echo(("✓ " if check.ok else "✗ ") + check.line())
    failed = [c for c in checks if not c.ok]
    if failed:
        typer.echo(f"FAILED: {failed[0].line()}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"OK: receipt {bundle.receipt.receipt.receipt_id} verifies")


@evidence_app.command("export")
def evidence_export(
    store: Annotated[Path, typer.Argument(help="The consumer's evidence store (SQLite file).")],
    consumer: Annotated[str, typer.Option(help="The consumer's institution code.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the bundle (JSON).")],
    key: Annotated[
        Path | None, typer.Option(help="The consumer's SM2 key (PEM), to sign the bundle.")
    ] = None,
) -> None:
    """Export every receipt a consumer received, signed with its key if given."""
    from quancheng.crypto import SM2PrivateKey
    from quancheng.errors import QuanchengError
    from quancheng.evidence import EvidenceStore

    if not store.is_file():
        raise _fail_usage(f"no evidence store at {store}")
    try:
        sm2 = SM2PrivateKey.from_pem(key.read_bytes()) if key is not None else None
        with EvidenceStore(store) as held:
            bundle = held.export(out, consumer, key=sm2)
    except (QuanchengError, OSError) as exc:
        raise _fail_usage(str(exc)) from None
    conflicts = sum(1 for e in bundle.bundle.entries if e.conflict)
    signed = "signed" if bundle.signed else "unsigned"
    typer.echo(f"{len(bundle.bundle.entries)} receipts ({conflicts} conflicting), {signed} → {out}")


def register(app: typer.Typer) -> None:
    """Add ``audit``, ``receipt`` and ``evidence`` to the ``quancheng`` command."""
    app.command("audit")(audit_command)
    app.add_typer(receipt_app, name="receipt")
    app.add_typer(evidence_app, name="evidence")
