"""Gas of the main operations, printed from their receipts (``pytest -s`` shows the table).

Gas is free on this permissioned chain, but it measures storage and work: the budgets below
are a little above today's figures, so a change that doubles a write's storage shows up here.
"""

from __future__ import annotations

import secrets

from quancheng.chain import Role
from tests.utils.chain_factories import (
    Member,
    Owner,
    TestNetwork,
    admission_call,
    approve_grant,
    attest_owner,
    candidate,
    grant_document,
    grant_terms,
    proposal_id,
    register_resource,
    terms_tuple,
)

#: Operation → gas budget (today's figure plus ~15 %).
BUDGETS = {
    "proposeAdmission (1st vote)": 420_000,
    "vote → admission executed": 430_000,
    "register resource (3 fields)": 440_000,
    # The next four verify SM2 (and hash with SM3) in Solidity: the attester's signature, the
    # consumer's and the document's digest, the owner's (test documents of ~300 bytes).
    "attest owner": 875_000,
    "request (1 resource)": 1_095_000,
    "request (3 resources)": 1_260_000,
    "approve": 945_000,
    "recordUses": 102_000,
    "recordUses → EXHAUSTED": 137_000,
    "recordUsesBatch (10 entries)": 187_000,
    "anchor (first batch)": 310_000,
    "anchor (next batch)": 290_000,
}


def test_gas_of_the_main_operations(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner
) -> None:
    gas: dict[str, int] = {}
    cand = candidate(net, Role.PROVIDER)
    receipt = net.send(net.committee[0], admission_call(net, cand))
    gas["proposeAdmission (1st vote)"] = receipt["gasUsed"]
    pid = proposal_id(net, receipt)
    gas["vote → admission executed"] = net.send(net.committee[1], net.registry.functions.vote(pid))[
        "gasUsed"
    ]

    resources = [register_resource(net, provider) for _ in range(3)]
    gas["register resource (3 fields)"] = _last_gas(net)
    attest_owner(net)
    gas["attest owner"] = _last_gas(net)

    def request(resource_ids: list[bytes], **terms: int) -> bytes:
        t = grant_terms(net, owner, resource_ids, **terms)
        document = grant_document(t)
        fn = net.grants.functions.request(terms_tuple(t), document, consumer.sm2.sign(document))
        net.send(consumer, fn)
        net.documents[t["grantId"]] = document
        return bytes(t["grantId"])

    grant_id = request(resources[:1], maxUses=100)
    gas["request (1 resource)"] = _last_gas(net)
    request(resources)
    gas["request (3 resources)"] = _last_gas(net)
    gas["approve"] = approve_grant(net, grant_id, owner)["gasUsed"]
    record = net.grants.functions.recordUses
    gas["recordUses"] = net.send(provider, record(grant_id, resources[0], 1))["gasUsed"]
    small = request(resources[:1], maxUses=1)
    approve_grant(net, small, owner)
    gas["recordUses → EXHAUSTED"] = net.send(provider, record(small, resources[0], 1))["gasUsed"]
    batch = net.grants.functions.recordUsesBatch([grant_id] * 10, [resources[0]] * 10, [1] * 10)
    gas["recordUsesBatch (10 entries)"] = net.send(provider, batch)["gasUsed"]

    signature = provider.sm2.sign(b"anchor document")
    root0, root1 = secrets.token_bytes(32), secrets.token_bytes(32)
    anchor = net.receipts.functions.anchor
    gas["anchor (first batch)"] = net.send(
        provider, anchor(provider.id, 0, root0, 128, b"\x00" * 32, signature)
    )["gasUsed"]
    gas["anchor (next batch)"] = net.send(
        provider, anchor(provider.id, 1, root1, 128, root0, signature)
    )["gasUsed"]

    print("\n  gas used per operation")
    for name, used in gas.items():
        print(f"  {name:<42} {used:>9,}  (budget {BUDGETS[name]:,})")
    over = {name: used for name, used in gas.items() if used > BUDGETS[name]}
    assert not over, f"over budget: {over}"
    assert set(gas) == set(BUDGETS)


def _last_gas(net: TestNetwork) -> int:
    block = net.w3.eth.get_block("latest")
    return int(net.w3.eth.get_transaction_receipt(block["transactions"][-1])["gasUsed"])
