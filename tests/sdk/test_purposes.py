"""The purpose catalogue and its tiers, and the Python mirrors of every Solidity enum.

The helpers are checked against the deployed contract for all 256 codes in
``tests/sdk/client/test_tiers.py``; here, their meaning and the documents that carry them.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from quancheng.chain.abi import ABIS
from quancheng.chain.types import ENUMS
from quancheng.protocol import (
    GrantTier,
    Purpose,
    QueryRequest,
    Receipt,
    covered_purposes,
    covers,
    tier_name,
    tier_of,
)

INTERFACES = Path(__file__).resolve().parents[2] / "contracts" / "interfaces"
ENUM = re.compile(r"\benum\s+(\w+)\s*\{([^}]*)\}")
INSURANCE = {Purpose.MOTOR_CLAIM, Purpose.LIFE_CLAIM, Purpose.MEDICAL_CLAIM, Purpose.UNDERWRITING}
CREDIT = {Purpose.SME_CREDIT, Purpose.PERSONAL_CREDIT, Purpose.POST_LOAN}


def _solidity_enums() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(INTERFACES.glob("*.sol")):
        text = re.sub(r"//[^\n]*", "", path.read_text(encoding="utf-8"))
        for name, body in ENUM.findall(text):
            found[name] = [m.strip() for m in body.split(",") if m.strip()]
    return found


def test_every_python_enum_mirrors_its_solidity_enum_member_for_member() -> None:
    solidity = _solidity_enums()

    assert set(solidity) == set(ENUMS)
    for name, members in solidity.items():
        assert [(m.name, m.value) for m in ENUMS[name]] == [(m, i) for i, m in enumerate(members)]


def test_every_enum_the_abis_use_has_a_python_mirror() -> None:
    used: set[str] = set()

    def walk(params: list[dict[str, object]]) -> None:
        for p in params:
            internal = str(p.get("internalType", ""))
            if internal.startswith("enum "):
                used.add(internal.rsplit(".", 1)[-1])
            walk(p.get("components", []))  # type: ignore[arg-type]

    for abi in ABIS.values():
        for entry in abi:
            walk(entry.get("inputs", []) + entry.get("outputs", []))

    assert "GrantTier" in used
    assert used <= set(ENUMS)


@pytest.mark.parametrize(
    ("purpose", "tier", "covered"),
    [
        (Purpose.MOTOR_CLAIM, GrantTier.SCENARIO, {Purpose.MOTOR_CLAIM}),
        (Purpose.POST_LOAN, GrantTier.SCENARIO, {Purpose.POST_LOAN}),
        (Purpose.INSURANCE_DOMAIN, GrantTier.DOMAIN, INSURANCE),
        (Purpose.CREDIT_DOMAIN, GrantTier.DOMAIN, CREDIT),
        (Purpose.COMPREHENSIVE, GrantTier.COMPREHENSIVE, INSURANCE | CREDIT),
    ],
)
def test_each_tier_covers_its_scenarios(
    purpose: Purpose, tier: GrantTier, covered: set[Purpose]
) -> None:
    assert (purpose.tier, tier_of(purpose), covered_purposes(purpose)) == (tier, tier, covered)
    assert purpose.scenarios == tuple(sorted(covered))
    assert all(covers(purpose, p) for p in covered)
    assert not any(covers(purpose, p) for p in set(Purpose) - covered)


@pytest.mark.parametrize("code", [0, 8, 99, 102, 150, 199, 201, 255])
def test_codes_outside_the_catalogue_follow_the_contract(code: int) -> None:
    scenario = 0 < code < 100  # the contract treats every code 1..99 as a scenario
    assert tier_of(code) is (GrantTier.SCENARIO if scenario else GrantTier.NONE)
    assert covered_purposes(code) == ({code} if scenario else set())


def test_labels_name_the_tier_plainly() -> None:
    assert Purpose.CREDIT_DOMAIN.label == "信贷领域（小微企业信贷、个人信贷、贷后管理）"
    assert Purpose.COMPREHENSIVE.label == "综合授权（所有场景）"
    assert Purpose.INSURANCE_DOMAIN.label.startswith("保险领域（车险理赔")
    assert tier_name(Purpose.SME_CREDIT) == "SCENARIO"
    with pytest.raises(ValueError, match="no tier"):
        tier_name(150)


def _request(purpose: int) -> dict[str, object]:
    return {
        "request_id": str(uuid.uuid4()), "grant_id": "0x" + "11" * 32, "consumer": "bank.a",
        "resource": "tax.records", "fields": ["paid"], "purpose": purpose, "issued_at_ms": 1,
        "channel": None, "seal": False,
    }  # fmt: skip


@pytest.mark.parametrize("purpose", [100, 101, 200])
def test_a_query_or_receipt_naming_a_domain_or_comprehensive_code_does_not_parse(
    purpose: int,
) -> None:
    QueryRequest.model_validate(_request(Purpose.SME_CREDIT))
    with pytest.raises(ValidationError, match="not a scenario purpose"):
        QueryRequest.model_validate(_request(purpose))
    receipt = {
        "receipt_id": str(uuid.uuid4()), "grant_id": "0x" + "11" * 32,
        "consumer": "bank.a", "provider": "jinan.tax", "resource": "tax.records",
        "purpose": purpose, "tier": "DOMAIN", "request_hash": "0x" + "22" * 32,
        "response_hash": "0x" + "33" * 32, "served_at_ms": 1, "mode": "RAW", "view_block": 1,
    }  # fmt: skip
    with pytest.raises(ValidationError, match="not a scenario purpose"):
        Receipt.model_validate(receipt)
    with pytest.raises(ValidationError, match="tier"):
        Receipt.model_validate({**receipt, "purpose": 5, "tier": "NONE"})
    assert Receipt.model_validate({**receipt, "purpose": 5}).type == "quancheng.receipt/4"
