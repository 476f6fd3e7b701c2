"""Claim and loan decisions end to end: latency from the first query to the stored decision.

Runs the demo's stack (local node, eight gateways over SQLite, durable receipts), grants
each scenario once with many uses, then settles claims and decides loans in a loop. Each
decision makes 1–6 verified queries through real HTTP; the baseline of the same run is one
verified query to the same gateways (p50/p99).

    .venv/bin/python -m benchmarks.decision_bench [--rounds 40] [--quick] [--no-write]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.report import add_output_args, apply_output_args, image, machine_line, publish
from quancheng import ConsumerClient
from quancheng.authority import IdentityAuthority
from quancheng_datagen import DEFAULT_AS_OF, demo_cast
from quancheng_demo.__main__ import AS_OF, BUSINESSES, PEOPLE, SEED, WAN, _ports
from quancheng_demo.scenarios import authorize, enrol
from quancheng_demo.stack import DemoStack
from quancheng_finance.credit.personal import PersonalApplication
from quancheng_finance.credit.service import CreditService
from quancheng_finance.credit.sme import SmeApplication
from quancheng_finance.credit.templates import GRANT_TEMPLATES as CREDIT
from quancheng_insurance.claims.life import LifeClaim
from quancheng_insurance.claims.medical import MedicalClaim
from quancheng_insurance.claims.motor import MotorClaim
from quancheng_insurance.claims.service import ClaimsService
from quancheng_insurance.claims.templates import GRANT_TEMPLATES as CLAIMS

BASELINE = "基线：一次经验证的查询"
LABELS_EN = {  # plot labels in ASCII: the plots must not depend on a CJK font
    "车险理赔 (3 queries)": "motor claim\n(3 queries)",
    "寿险理赔 (1 query)": "life claim\n(1 query)",
    "医疗险理赔 (1 query)": "medical claim\n(1 query)",
    "小微企业贷 (6 queries)": "SME loan\n(6 queries)",
    "个人信用贷 (3 queries)": "personal loan\n(3 queries)",
    BASELINE: "baseline:\none verified query",
}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(rounds: int, people: int = PEOPLE, businesses: int = BUSINESSES) -> dict[str, list[float]]:
    """The demo's stack at ``people`` / ``businesses``; decision latencies (ms) by kind."""
    cast = demo_cast(SEED, people=people, businesses=businesses)
    workdir = Path(tempfile.mkdtemp(prefix="qc-decision-bench-"))
    timings: dict[str, list[float]] = {}
    with DemoStack(workdir, SEED, people, businesses, _ports(), say=lambda _s: None) as stack:
        authority = IdentityAuthority(
            stack.institution("jinan.bdb"),
            stack.consortium.pseudonym_key,  # type: ignore[union-attr]
            stack.manifest_path,
            stack.rpc_url,
        )
        # Each run keeps its consumers' evidence in its own directory, not the user's store.
        insurer = ConsumerClient(
            stack.institution("ins.qilu"), stack.manifest_path, stack.rpc_url,
            evidence=workdir / "evidence-ins.qilu.sqlite3",
        )  # fmt: skip
        bank = ConsumerClient(
            stack.institution("bank.quancheng"), stack.manifest_path, stack.rpc_url,
            evidence=workdir / "evidence-bank.quancheng.sqlite3",
        )  # fmt: skip
        p = cast.people
        owners = {
            role: enrol(authority, p[role].name, "resident_id", p[role].id_number)
            for role in ("motor_claimant", "deceased_insured", "inpatient", "sme_owner")
        }
        firm = enrol(authority, "sme", "uscc", cast.businesses["sme_good"].uscc)
        uses = rounds * 8 + 10  # per resource (max_uses is a budget per resource): ample
        plan = {
            "motor": (insurer, owners["motor_claimant"], CLAIMS["motor_claim"]),
            "life": (insurer, owners["deceased_insured"], CLAIMS["life_claim"]),
            "medical": (insurer, owners["inpatient"], CLAIMS["medical_claim"]),
            "sme": (bank, firm, CREDIT["sme_credit"]),
            "personal": (bank, owners["sme_owner"], CREDIT["personal_credit"]),
        }
        g = {
            key: authorize(client, authority, owner, template, as_of=AS_OF, max_uses=uses)
            for key, (client, owner, template) in plan.items()
        }
        claims = ClaimsService(insurer, f"sqlite:///{workdir / 'insurer.db'}")
        credit = CreditService(bank, f"sqlite:///{workdir / 'bank.db'}")
        accident = DEFAULT_AS_OF - timedelta(days=5)
        cases: dict[str, Callable[[int], object]] = {
            "车险理赔 (3 queries)": lambda i: claims.settle_motor_claim(g["motor"], MotorClaim(
                claim_no=f"M{i}", plate_no=p["motor_claimant"].plates[0], accident_date=accident,
                assessed_loss_fen=3 * WAN, policy_limit_fen=50 * WAN)),
            "寿险理赔 (1 query)": lambda i: claims.settle_life_claim(g["life"], LifeClaim(
                claim_no=f"L{i}", policy_start=AS_OF - timedelta(days=1000),
                policy_end=AS_OF + timedelta(days=1000), sum_insured_fen=50 * WAN)),
            "医疗险理赔 (1 query)": lambda i: claims.settle_medical_claim(
                g["medical"], MedicalClaim(claim_no=f"H{i}",
                policy_start=AS_OF - timedelta(days=200),
                policy_end=AS_OF + timedelta(days=165), deductible_fen=0,
                reimbursement_bp=8_000, limit_fen=100 * WAN)),
            "小微企业贷 (6 queries)": lambda i: credit.assess_sme(g["sme"], SmeApplication(
                application_no=f"S{i}", requested_fen=100 * WAN)),
            "个人信用贷 (3 queries)": lambda i: credit.assess_personal(
                g["personal"], PersonalApplication(application_no=f"P{i}", requested_fen=10 * WAN)),
        }  # fmt: skip
        for name, case in cases.items():
            case(-1)  # warm caches (catalogue, provider keys, connections)
            timings[name] = []
            for i in range(rounds):
                t0 = time.perf_counter()
                case(i)
                timings[name].append((time.perf_counter() - t0) * 1000)
        baseline = []
        for _ in range(rounds * 3):
            t0 = time.perf_counter()
            insurer.query(g["life"], "death.registration", ["deceased"])
            baseline.append((time.perf_counter() - t0) * 1000)
        timings[BASELINE] = baseline
    shutil.rmtree(workdir, ignore_errors=True)  # kept (logs, databases) only when a run fails
    return timings


def results(rounds: int, timings: dict[str, list[float]]) -> dict[str, Any]:
    """The raw timings and their percentiles, for the JSON and the plot."""
    cases = [
        {
            "label": name,
            "label_en": LABELS_EN.get(name, name),
            "baseline": name == BASELINE,
            "ms": [round(v, 3) for v in values],
            "percentiles": {
                "p50": statistics.median(values),
                "p95": _pct(values, 0.95),
                "p99": _pct(values, 0.99),
                "max": max(values),
            },
        }
        for name, values in timings.items()
    ]
    return {"rounds": rounds, "cases": cases}


def render(data: dict[str, Any]) -> str:
    """The ``decisions`` section of BENCHMARKS.md."""
    lines = [
        "## Claim and loan decisions, end to end",
        "",
        f"Machine: {machine_line()}",
        "",
        f"{data['rounds']} decisions of each kind, one after another, through the SDK and real "
        "HTTP to the departments' gateways (SQLite, receipts durable before each answer), "
        "decision stored in the insurer's / bank's database. Latency from the call to the "
        "stored decision. Baseline: one verified query in the same run.",
        "",
        "| decision | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for case in data["cases"]:
        p = case["percentiles"]
        lines.append(
            f"| {case['label']} | {p['p50']:.1f} | {p['p95']:.1f} | {p['p99']:.1f} | "
            f"{p['max']:.1f} |"
        )
    worst = max(c["percentiles"]["p99"] for c in data["cases"] if not c["baseline"])
    verdict = "met" if worst <= 1000 else "NOT met"
    lines += [
        "",
        image("decisions", "p50, p95 and p99 of each decision beside one verified query"),
        "",
        f"Target (decision p99 ≤ 1 s): **{verdict}** (worst p99 {worst:.0f} ms).",
        "",
        "Reproduce: `.venv/bin/python -m benchmarks.decision_bench` (or `make bench`).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    add_output_args(parser)
    args = parser.parse_args()
    apply_output_args(args)
    rounds = 3 if args.quick else args.rounds
    size = (200, 20) if args.quick else (PEOPLE, BUSINESSES)  # the cast needs only its own
    data = results(rounds, run(rounds, *size))
    text = render(data)
    print(text)
    if not args.no_write:
        publish("decisions", text, data, quick=args.quick)


if __name__ == "__main__":
    main()
