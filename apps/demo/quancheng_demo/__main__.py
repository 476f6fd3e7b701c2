"""``make demo``: 泉城链 end to end on the embedded default, then everything stopped.

Local chain → contracts → institutions admitted by committee vote → department data and
gateways → owners enrolled → grants signed by owners → motor, life and medical claims
settled → two loans decided → refused queries (revoked grant; field not granted) →
receipts anchored and proven against the chain → the whole trail audited (audit.json,
audit.html in the demo's directory) → summary.

Every gateway serves HTTPS and asks for client certificates of a development CA made in the
demo's directory (``tls/``); each bank's queries are bound to its certificate and the data of
sensitive resources arrives sealed to its SM2 key. ``QC_DEMO_TLS=0`` runs it in plain HTTP on
loopback instead.
"""

from __future__ import annotations

import itertools
import os
import socket
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

from quancheng import ConsumerClient
from quancheng.authority import IdentityAuthority
from quancheng.protocol.refusals import FieldNotGranted, GrantRevoked, Refusal
from quancheng_datagen import DEFAULT_AS_OF, demo_cast
from quancheng_demo.audit_step import audit_demo
from quancheng_demo.report import Report
from quancheng_demo.scenarios import Owner, RecordingClient, authorize, enrol
from quancheng_demo.stack import DemoStack
from quancheng_finance.credit.personal import PersonalApplication
from quancheng_finance.credit.service import CreditService
from quancheng_finance.credit.sme import SmeApplication
from quancheng_finance.credit.templates import GRANT_TEMPLATES as CREDIT_TEMPLATES
from quancheng_gateway.process import GatewayProcess
from quancheng_insurance.claims.life import LifeClaim
from quancheng_insurance.claims.medical import MedicalClaim
from quancheng_insurance.claims.motor import MotorClaim
from quancheng_insurance.claims.service import ClaimsService
from quancheng_insurance.claims.templates import GRANT_TEMPLATES as CLAIM_TEMPLATES
from quancheng_node.config import PROJECT_ROOT

SEED = 20261121
PEOPLE, BUSINESSES = 3_000, 300
AS_OF: date = DEFAULT_AS_OF
WAN = 1_000_000  # 1 万元 in fen


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ports() -> Iterator[int]:
    return (_free_port() for _ in itertools.count())


def main() -> int:
    # A pipe or CI log has no width of its own: give the summary table room.
    console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 132)
    report = Report(console)
    started = time.perf_counter()
    cast = demo_cast(SEED, people=PEOPLE, businesses=BUSINESSES)
    workdir = Path(os.environ.get("QC_DEMO_DIR") or PROJECT_ROOT / "var" / "demo")
    tls = os.environ.get("QC_DEMO_TLS", "1") != "0"
    stack = DemoStack(workdir, SEED, PEOPLE, BUSINESSES, _ports(), say=report.step, tls=tls)
    with stack:
        # The consumers' own evidence (every receipt they received) stays with the demo's state.
        os.environ.setdefault("QC_EVIDENCE_DIR", str(workdir / "evidence"))
        authority = IdentityAuthority(
            stack.institution("jinan.bdb"), stack.consortium.pseudonym_key,  # type: ignore[union-attr]
            stack.manifest_path, stack.rpc_url,
        )  # fmt: skip
        insurer_client = ConsumerClient(
            stack.institution("ins.qilu"), stack.manifest_path, stack.rpc_url,
            tls=stack.tls_for("ins.qilu") if stack.tls else None,
        )  # fmt: skip
        bank_client = ConsumerClient(
            stack.institution("bank.quancheng"), stack.manifest_path, stack.rpc_url,
            tls=stack.tls_for("bank.quancheng") if stack.tls else None,
        )  # fmt: skip
        insurer, bank = RecordingClient(insurer_client), RecordingClient(bank_client)

        people = {
            role: enrol(authority, p.name, "resident_id", p.id_number)
            for role, p in cast.people.items()
            if role
            in (
                "motor_claimant",
                "drunk_driver",
                "deceased_insured",
                "inpatient",
                "sme_owner",
                "arrears",
            )
        }
        firms = {
            role: enrol(authority, b.name, "uscc", b.uscc) for role, b in cast.businesses.items()
        }
        enrolled = len(people) + len(firms)
        report.step(f"身份认证机构（大数据局）实名核验，在链上认证 {enrolled} 位数据主体的钱包公钥")

        # ------------------------------------------------------------ 政保通 / 保医通
        claims = ClaimsService(insurer, f"sqlite:///{workdir / 'insurer.db'}")
        motor_t, life_t, medical_t = (
            CLAIM_TEMPLATES[k] for k in ("motor_claim", "life_claim", "medical_claim")
        )
        for role in ("motor_claimant", "drunk_driver"):
            authorize(insurer_client, authority, people[role], motor_t, as_of=AS_OF)
        authorize(insurer_client, authority, people["deceased_insured"], life_t, as_of=AS_OF)
        authorize(insurer_client, authority, people["inpatient"], medical_t, as_of=AS_OF)
        report.step(
            "保险公司发起 4 项授权请求；数据主体在钱包中用 SM2 签名同意，经认证机构上链生效"
        )

        accident = AS_OF - timedelta(days=5)
        for role in ("motor_claimant", "drunk_driver"):
            person = cast.people[role]
            decision = claims.settle_motor_claim(
                people[role].grants["motor_claim"],
                MotorClaim(claim_no=f"CLM-MOTOR-{person.ordinal:04d}", plate_no=person.plates[0],
                           accident_date=accident, assessed_loss_fen=3 * WAN + 860_000,
                           policy_limit_fen=50 * WAN, deductible_fen=50_000),
            )  # fmt: skip
            report.decision("车险理赔", person.name, decision)
        decision = claims.settle_life_claim(
            people["deceased_insured"].grants["life_claim"],
            LifeClaim(claim_no="CLM-LIFE-0001", policy_start=AS_OF - timedelta(days=3 * 365),
                      policy_end=AS_OF + timedelta(days=20 * 365), sum_insured_fen=50 * WAN),
        )  # fmt: skip
        report.decision("寿险身故理赔", cast.people["deceased_insured"].name, decision)
        decision = claims.settle_medical_claim(
            people["inpatient"].grants["medical_claim"],
            MedicalClaim(claim_no="CLM-MED-0001", policy_start=AS_OF - timedelta(days=200),
                         policy_end=AS_OF + timedelta(days=165), deductible_fen=0,
                         reimbursement_bp=10_000, limit_fen=200 * WAN),
        )  # fmt: skip
        report.decision("商业医疗险理赔", cast.people["inpatient"].name, decision)

        # ------------------------------------------------------------ 泉城链 + 普惠金融
        credit = CreditService(bank, f"sqlite:///{workdir / 'bank.db'}")
        sme_t, personal_t = CREDIT_TEMPLATES["sme_credit"], CREDIT_TEMPLATES["personal_credit"]
        authorize(bank_client, authority, firms["sme_good"], sme_t, as_of=AS_OF)
        authorize(bank_client, authority, people["arrears"], personal_t, as_of=AS_OF)
        report.step("银行发起 2 项授权请求（只要衍生指标，不取明细），企业与个人签名同意")
        loan = credit.assess_sme(
            firms["sme_good"].grants["sme_credit"],
            SmeApplication(application_no="LOAN-SME-0001", requested_fen=200 * WAN),
        )
        report.decision("小微企业信用贷", cast.businesses["sme_good"].name, loan)
        loan = credit.assess_personal(
            people["arrears"].grants["personal_credit"],
            PersonalApplication(application_no="LOAN-P-0001", requested_fen=10 * WAN),
        )
        report.decision("个人信用贷", cast.people["arrears"].name, loan)

        # ------------------------------------------------------------ refusals
        _refusals(report, stack, insurer_client, authority, people)

        # ------------------------------------------------------------ anchoring and proofs
        report.step("等待网关把回执批量上链（Merkle 根 + SM2 签名），逐条验证包含证明")
        for answer in [*insurer.answers, *bank.answers]:
            client = insurer_client if answer in insurer.answers else bank_client
            inclusion = client.wait_for_anchor(answer, timeout=60, poll_interval=0.5)
            report.proof(answer, inclusion)

        # ------------------------------------------------------------ the auditor
        report.step("审计机构核验全链路：链上事件与各网关回执日志，离线验 SM2 签名、重算 Merkle 根")
        report.audit(audit_demo(stack, workdir), workdir)
        report.summary(time.perf_counter() - started)
    return 0 if report.ok else 1


def _refusals(
    report: Report,
    stack: DemoStack,
    insurer: ConsumerClient,
    authority: IdentityAuthority,
    people: dict[str, Owner],
) -> None:
    """A field outside the grant, then a revoked grant: both refused, no data, no receipt."""
    owner = people["deceased_insured"]
    grant_id = owner.grants["life_claim"]
    try:
        insurer.query(grant_id, "death.registration", ["issuing_institution"])
        report.refusal("查询授权范围外的字段 issuing_institution", "（竟然答复了）", ok=False)
    except FieldNotGranted as exc:
        report.refusal("查询授权范围外的字段 issuing_institution", exc.code, ok=True)
    record = insurer.grant(grant_id)
    seq = authority.contracts.decision_seq(record.grant_id)
    document, signature = owner.wallet.revoke(grant_id, record.document_digest, seq=seq)
    relayed = authority.relay_action(document, signature)
    _wait_for_view(stack.gateways["jinan.civil"], relayed.block_number)
    try:
        insurer.query(grant_id, "death.registration", ["deceased"])
        report.refusal("数据主体撤销授权后再次查询", "（竟然答复了）", ok=False)
    except GrantRevoked as exc:
        report.refusal("数据主体撤销授权后再次查询", exc.code, ok=True)
    except Refusal as exc:
        report.refusal("数据主体撤销授权后再次查询", exc.code, ok=False)


def _wait_for_view(gateway: GatewayProcess, block: int, timeout: float = 10.0) -> None:
    """Until the gateway's view of the chain includes ``block`` (milliseconds, in practice)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = gateway.health() or {}
        if (health.get("view_block") or 0) >= block:
            return
        time.sleep(0.02)
    raise TimeoutError(f"gateway view did not reach block {block} in {timeout} s")


if __name__ == "__main__":
    sys.exit(main())
