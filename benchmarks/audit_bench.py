"""How fast the auditor verifies receipts: a synthetic trail of N signed, anchored receipts.

The evidence is built in memory exactly as ``quancheng audit`` reads it (chain events of one
provider, consumer, owner and grant, batches of 256 receipts anchored, the provider's log), so
the figure is the audit itself: parse, canonicalise, SM2-verify, Merkle roots, every rule.
Baseline in the same run: a bare single-thread SM2 verify loop over the same receipts.

Run: ``.venv/bin/python -m benchmarks.audit_bench [N] [--quick] [--no-write]``
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from benchmarks.report import add_output_args, apply_output_args, image, machine_line, publish
from quancheng import merkle
from quancheng.chain.types import Role, code32
from quancheng.crypto import SM2PrivateKey, sm3
from quancheng.protocol import (
    AnchorDocument,
    AttestationDocument,
    GrantDocument,
    GrantMode,
    Purpose,
    Receipt,
    ScopeItem,
    SignedReceipt,
)
from quancheng.protocol.documents import b64
from quancheng_audit import AuditConfig, ReceiptLog, audit
from quancheng_audit.evidence import ChainEvent, ChainEvidence, ChainGrant, ContractRef

BATCH = 256
T0 = 1_790_000_000
_KEY: SM2PrivateKey | None = None


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _sign_range(args: tuple[bytes, int, int, str, int]) -> list[dict[str, Any]]:
    pem, start, stop, grant_id, view_block = args
    key = SM2PrivateKey.from_pem(pem)
    out = []
    for i in range(start, stop):
        r = Receipt(
            receipt_id=str(uuid.uuid4()),
            grant_id=grant_id,
            consumer="bank.bench",
            provider="prov.bench",
            resource="res.bench",
            purpose=Purpose.MOTOR_CLAIM,
            tier="SCENARIO",
            mode="RAW",
            request_hash=_hex(sm3(b"q%d" % i)),
            response_hash=_hex(sm3(b"a%d" % i)),
            view_block=view_block,  # the gateway's view: every event before the anchors
            served_at_ms=(T0 + 100) * 1000 + i,
        )
        out.append(
            SignedReceipt(
                log_index=i, receipt=r, signature=b64(key.sign(r.canonical()))
            ).model_dump(mode="json")
        )
    return out


class _Events:
    def __init__(self) -> None:
        self.events: list[ChainEvent] = []

    def add(self, contract: str, event: str, t: int, **args: Any) -> None:
        n = len(self.events)
        self.events.append(
            ChainEvent(
                block=n + 1,
                time=t,
                tx="0x%064x" % (n + 1),
                log_index=0,
                contract=contract,
                name=event,
                args=args,
            )
        )


def build(n: int) -> tuple[ChainEvidence, ReceiptLog]:
    """The evidence of a provider that answered ``n`` queries under one grant."""
    keys = {code: SM2PrivateKey.generate() for code in ("committee.a", "prov.bench", "bank.bench")}
    owner = SM2PrivateKey.generate()
    ev = _Events()
    for code, role in (
        ("committee.a", Role.COMMITTEE),
        ("prov.bench", Role.PROVIDER),
        ("bank.bench", Role.CONSUMER),
    ):
        ev.add(
            "ConsortiumRegistry",
            "InstitutionAdmitted",
            T0,
            institutionId=_hex(code32(code)),
            account="0x" + "11" * 20,
            proposalId=0,
            role=int(role),
            name=code,
            sm2PublicKey=_hex(keys[code].public_key().to_bytes()),
        )
    ev.add(
        "ConsortiumRegistry",
        "IdentityAuthorityGranted",
        T0,
        institutionId=_hex(code32("committee.a")),
        proposalId=1,
    )
    ev.add(
        "DataCatalogue",
        "ResourceRegistered",
        T0,
        resourceId=_hex(code32("res.bench")),
        providerId=_hex(code32("prov.bench")),
        committeeMemberId=_hex(code32("committee.a")),
        fields=[],
        schemaDigest="0x" + "00" * 32,
        sensitivity=2,
        allowedPurposes=2,
        endpoint="http://127.0.0.1",
    )
    pseudonym = sm3(b"owner")
    att = AttestationDocument(
        pseudonym=_hex(pseudonym),
        owner_key=_hex(owner.public_key().to_bytes()),
        attester="committee.a",
        attested_at=T0,
    ).canonical()
    ev.add(
        "OwnerRegistry",
        "OwnerAttested",
        T0,
        pseudonym=_hex(pseudonym),
        attesterId=_hex(code32("committee.a")),
        keyVersion=1,
        sm2PublicKey=_hex(owner.public_key().to_bytes()),
        previousSm2PublicKey="0x",
        attestationDocument=_hex(att),
        attestation=_hex(keys["committee.a"].sign(att)),
    )
    doc = GrantDocument(
        grant_id=_hex(sm3(b"grant")),
        owner_pseudonym=_hex(pseudonym),
        owner_key=_hex(owner.public_key().to_bytes()),
        consumer="bank.bench",
        purpose=Purpose.MOTOR_CLAIM,
        scope=(ScopeItem(resource="res.bench", fields=("x",)),),
        mode=GrantMode.RAW,
        data_from="2020-01-01",
        data_to="2026-01-01",
        not_before=T0,
        not_after=T0 + 10**7,
        max_uses=n,
        requested_at=T0,
    )
    raw = doc.canonical()
    gid = doc.grant_id
    ev.add(
        "GrantRegistry",
        "GrantRequested",
        T0 + 1,
        grantId=gid,
        ownerPseudonym=_hex(pseudonym),
        consumerId=_hex(code32("bank.bench")),
        documentDigest=_hex(sm3(raw)),
        document=_hex(raw),
        consumerSignature=_hex(keys["bank.bench"].sign(raw)),
    )
    ev.add(
        "GrantRegistry",
        "GrantActivated",
        T0 + 2,
        grantId=gid,
        relayerId=_hex(code32("committee.a")),
        ownerSignature=_hex(owner.sign(raw)),
    )
    pem = keys["prov.bench"].to_pem()
    step = -(-n // (os.cpu_count() or 1))
    with ProcessPoolExecutor() as pool:
        parts = pool.map(
            _sign_range,
            [(pem, i, min(n, i + step), gid, len(ev.events)) for i in range(0, n, step)],
        )
        entries = [e for part in parts for e in part]
    prev = "0x" + "00" * 32
    end = T0 + 100 + n // 1000 + 2
    for seq, first in enumerate(range(0, n, BATCH)):
        chunk = entries[first : first + BATCH]
        root = _hex(
            merkle.root(
                [merkle.leaf_hash(SignedReceipt.model_validate(e).canonical()) for e in chunk]
            )
        )
        anchor = AnchorDocument(
            provider="prov.bench",
            seq=seq,
            root=root,
            size=len(chunk),
            first_index=first,
            prev_root=prev,
        )
        ev.add(
            "ReceiptLedger",
            "BatchAnchored",
            end,
            providerId=_hex(code32("prov.bench")),
            seq=seq,
            root=root,
            size=len(chunk),
            firstIndex=first,
            prevRoot=prev,
            signature=_hex(keys["prov.bench"].sign(anchor.canonical())),
        )
        prev = root
    ev.add(
        "GrantRegistry",
        "GrantUsesRecorded",
        end,
        grantId=gid,
        resourceId=_hex(code32("res.bench")),
        providerId=_hex(code32("prov.bench")),
        count=n,
        uses=n,
    )
    chain = ChainEvidence(
        chain_id=1,
        contracts={"ConsortiumRegistry": ContractRef(address="0x" + "00" * 20, block_number=0)},
        from_block=0,
        to_block=len(ev.events),
        head_time=end,
        collected_at_ms=(end + 1) * 1000,
        events=ev.events,
        grants={
            gid: ChainGrant(
                grant_id=gid,
                owner_pseudonym=_hex(pseudonym),
                consumer_id=_hex(code32("bank.bench")),
                resource_ids=[_hex(code32("res.bench"))],
                purpose=1,
                data_from=doc.data_period_seconds()[0],
                data_to=doc.data_period_seconds()[1],
                not_before=doc.not_before,
                not_after=doc.not_after,
                max_uses=n,
                mode=0,
                document_digest=_hex(sm3(raw)),
                owner_signature=_hex(b""),
            )
        },
    )
    log = ReceiptLog(
        provider="prov.bench",
        source="bench",
        exported_at_ms=chain.collected_at_ms,
        total=n,
        entries=entries,
    )
    return chain, log


def worker_counts() -> list[int]:
    """1, 2, 4, ... up to the cores this process may use, and that count itself."""
    cores = len(os.sched_getaffinity(0))
    counts = [1 << i for i in range(cores.bit_length()) if 1 << i <= cores]
    return [*counts, cores] if counts[-1] != cores else counts


def measure(n: int) -> dict[str, Any]:
    """Audit the same trail with each worker count; the bare verify loop as baseline."""
    chain, log = build(n)
    sample = [SignedReceipt.model_validate(e) for e in log.entries[:500]]
    rows = []
    for workers in worker_counts():
        report = audit(chain, [log], AuditConfig(workers=workers))
        assert report.passed and not report.findings, [f.line() for f in report.findings[:5]]
        s = report.stats
        rows.append(
            {
                "workers": workers,
                "receipts_phase_s": s["receipts_phase_s"],
                "per_s": s["receipts_verified_per_s"],
            }
        )
    return {"n": n, "batch": BATCH, "rows": rows, "baseline_per_s": _baseline(sample)}


def render(data: dict[str, Any]) -> str:
    """The ``audit`` section of BENCHMARKS.md."""
    n = data["n"]
    lines = [
        "## Auditor (receipts verified per second)",
        "",
        f"Machine: {machine_line()}. Reproduce: `.venv/bin/python -m benchmarks.audit_bench`.",
        "",
        f"A synthetic trail of {n:,} receipts (one provider, batches of {BATCH}, every rule run, "
        "zero findings). The receipts phase parses each log entry, canonicalises it, verifies "
        "its SM2 signature with the key in force at serve time, recomputes every batch root and "
        "checks grant status, scope and uses.",
        "",
        "| SM2 worker processes | receipts | receipts phase | receipts verified/s |",
        "|---:|---:|---:|---:|",
        *[
            f"| {r['workers']} | {n:,} | {r['receipts_phase_s']:.2f} s | {r['per_s']:,.0f} |"
            for r in data["rows"]
        ],
        "",
        f"Baseline in the same run: a bare single-thread `SM2PublicKey.verify` loop, "
        f"{data['baseline_per_s']:,.0f} verifies/s.",
        "",
        image("audit", "receipts verified/s per worker count beside the bare verify loop"),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=20_000, help="receipts in the trail")
    add_output_args(parser)
    args = parser.parse_args()
    apply_output_args(args)
    data = measure(600 if args.quick else args.n)
    text = render(data)
    print(text)
    if not args.no_write:
        publish("audit", text, data, quick=args.quick)


def _baseline(sample: list[SignedReceipt]) -> float:
    keyed = SM2PrivateKey.generate()
    msgs = [(s.receipt.canonical(), keyed.sign(s.receipt.canonical())) for s in sample]
    public = keyed.public_key()
    started = time.perf_counter()
    for m, sig in msgs:
        public.verify(sig, m)
    return len(msgs) / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
