"""The audit of tiered grants: a real gateway serves a credit-domain, a comprehensive and a
scenario grant (the trail is clean), then a provider's forged receipts claim a tier or a purpose
their grant does not have (each is named).

The forged receipts are signed with the provider's real key and sit in a log of their own, so
only the rules about purpose and tier can object to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from quancheng.chain import ContractSet
from quancheng.protocol import Answer, GrantDocument, GrantMode, Purpose
from quancheng_audit import AuditConfig, AuditReport, ReceiptLog, audit, collect
from tests.audit.tamper import Key, fresh_fields, keys, on_receipt, signed
from tests.audit.trail import FUNDER_INDEX, VR, _settle, _sync, chain_offset, running_gateway
from tests.utils.scenario import Scenario, active_grant, build_scenario, signed_request

COUNT = ("vehicle_count",)
#: (grant, purpose) of each honest query, in log order.
SERVED = [
    ("credit", Purpose.SME_CREDIT),
    ("credit", Purpose.PERSONAL_CREDIT),
    ("all", Purpose.MOTOR_CLAIM),
    ("all", Purpose.SME_CREDIT),
    ("motor", Purpose.MOTOR_CLAIM),
]


@dataclass
class TierTrail:
    sc: Scenario
    chain: Any
    log: ReceiptLog
    config: AuditConfig
    grants: dict[str, GrantDocument]

    def forged(self, changes: list[tuple[int, dict[str, Any]]]) -> ReceiptLog:
        """A log of receipts re-issued from entries of the honest one with ``changes``, signed
        with the provider's key."""
        entries = [
            signed(
                fresh_fields(self.log.entries[i]["receipt"], log_index=i, **c),
                self.sc.provider.sm2,
            )
            for i, c in changes
        ]
        return ReceiptLog(
            provider=self.log.provider, source="exported file", exported_at_ms=0,
            total=len(entries), entries=entries,
        )  # fmt: skip

    def run(self, log: ReceiptLog) -> AuditReport:
        return audit(self.chain, [log], self.config)


@pytest.fixture(scope="module")
def tiers(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> TierTrail:
    work = tmp_path_factory.mktemp("tiers")
    sc = build_scenario(
        chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX], work / "sc", people=30
    )
    config = AuditConfig(clock_tolerance_s=30.0 + chain_offset(sc))
    purposes = {"credit": Purpose.CREDIT_DOMAIN, "all": Purpose.COMPREHENSIVE, "motor": 1}
    with running_gateway(sc, work / "gateway.db", sc.provider.sm2) as gw:
        docs = {
            name: active_grant(
                sc, sc.subjects[i], {VR: COUNT}, purpose=p, mode=GrantMode.DERIVED, max_uses=10
            )
            for i, (name, p) in enumerate(purposes.items())
        }
        _sync(gw)
        entries = []
        for name, purpose in SERVED:
            body = signed_request(sc.consumer, docs[name], VR, COUNT, purpose=purpose)
            resp = gw.post("/v1/query", content=body.model_dump_json())
            assert resp.status_code == 200, resp.text
            entries.append(Answer.model_validate_json(resp.content).receipt)
        _settle(gw)
    # The log as the gateway holds it (a fresh gateway: its answers' receipts, in order).
    assert [e.log_index for e in entries] == list(range(len(SERVED)))
    log = ReceiptLog(
        provider=sc.provider.code, source="exported file", exported_at_ms=0,
        total=len(entries), entries=[e.model_dump(mode="json") for e in entries],
    )  # fmt: skip
    chain, _ = collect(ContractSet(sc.net.w3, sc.net.manifest), gateways=[], logs=[log])
    return TierTrail(sc, chain, log, config, docs)


def test_receipts_under_every_tier_audit_clean(tiers: TierTrail) -> None:
    report = tiers.run(tiers.log)

    assert [f.line() for f in report.findings] == []
    assert [(e["receipt"]["purpose"], e["receipt"]["tier"]) for e in tiers.log.entries] == [
        (5, "DOMAIN"), (6, "DOMAIN"), (1, "COMPREHENSIVE"), (5, "COMPREHENSIVE"), (1, "SCENARIO"),
    ]  # fmt: skip


def test_forged_receipts_claiming_an_uncovered_purpose_or_another_tier_are_named(
    tiers: TierTrail,
) -> None:
    log = tiers.forged(
        [
            (0, {"purpose": int(Purpose.MOTOR_CLAIM)}),  # an insurance use of a credit grant
            (1, {"tier": "SCENARIO"}),  # a domain grant's use passed off as a scenario grant's
            (4, {"tier": "COMPREHENSIVE"}),  # a scenario grant's use as a comprehensive one's
            (4, {"purpose": int(Purpose.UNDERWRITING)}),  # another scenario of a scenario grant
            (2, {"purpose": int(Purpose.POST_LOAN)}),  # covered by comprehensive: no finding
            (3, {"mode": "RAW"}),  # under a DERIVED grant: raw fields passed off as indicators
        ]
    )

    report = tiers.run(log)

    e = log.entries
    expected: set[Key] = {
        on_receipt("RECEIPT_PURPOSE_NOT_GRANTED", log, e[0]),
        on_receipt("RECEIPT_TIER_MISMATCH", log, e[1]),
        on_receipt("RECEIPT_TIER_MISMATCH", log, e[2]),
        on_receipt("RECEIPT_PURPOSE_NOT_GRANTED", log, e[3]),
        on_receipt("RECEIPT_MODE_MISMATCH", log, e[5]),
    }
    assert {k for k in keys(report) if k[0] in {c for c, _ in expected}} == expected
    by_code = {(f.code, f.subject.log_index): f for f in report.findings}
    assert (
        by_code["RECEIPT_PURPOSE_NOT_GRANTED", 0].expected,
        by_code["RECEIPT_PURPOSE_NOT_GRANTED", 0].found,
    ) == ([5, 6, 7], 1)
    assert (
        by_code["RECEIPT_TIER_MISMATCH", 1].expected,
        by_code["RECEIPT_TIER_MISMATCH", 1].found,
    ) == ("DOMAIN", "SCENARIO")
