"""Attacks on the contracts: writes by outsiders, by the wrong role, and rigged votes.

Each is refused by its exact custom error, before anything is mined (the sender's nonce and
balance do not move), and the state it aimed at — proposals, institutions, the resource,
the grant and its history, the owner, the receipt ledger — reads the same afterwards.

The attacks run on a deployment of their own with a 2-of-3 committee, so that a proposal can
stay open to be voted on twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from quancheng.chain import InstitutionStatus, Role
from quancheng.chain.abi import ABIS
from quancheng.chain.errors import (
    ConsortiumRegistryAlreadyVoted,
    ConsortiumRegistryInstitutionNotActive,
    ConsortiumRegistryNotEnoughVotes,
    ConsortiumRegistryNotIdentityAuthority,
    ConsortiumRegistryUnknownAccount,
    ConsortiumRegistryWrongRole,
    GrantRegistryCallerNotLedger,
    GrantRegistryInvalidOwnerSignature,
    GrantRegistryNotDeployer,
    GrantRegistryNotResourceProvider,
    ReceiptLedgerForeignAnchor,
    RevertError,
)
from quancheng.chain.types import code32
from quancheng.crypto import SM2PrivateKey
from tests.attacks.support import FUNDER_INDEX
from tests.utils.chain_factories import (
    Member,
    Owner,
    TestNetwork,
    active_grant,
    admission_call,
    admit,
    attest_owner,
    candidate,
    deploy_test_network,
    fresh_account,
    grant_document,
    grant_terms,
    pass_proposal,
    proposal_id,
    register_resource,
    terms_tuple,
)

WRITES = sorted(
    (contract, entry["name"])
    for contract, abi in ABIS.items()
    for entry in abi
    if entry["type"] == "function" and entry["stateMutability"] in ("nonpayable", "payable")
)


@dataclass
class Targets:
    """Real objects every attack aims at, so that a missing guard would change them."""

    net: TestNetwork
    provider: Member
    other_provider: Member
    consumer: Member
    resource: bytes
    owner: Owner
    grant: bytes
    open_proposal: int


@pytest.fixture(scope="module")
def t(chain_node: Any) -> Targets:
    net = deploy_test_network(chain_node.rpc_url, chain_node.dev_private_keys[FUNDER_INDEX])
    provider, other = admit(net, Role.PROVIDER), admit(net, Role.PROVIDER)
    consumer = admit(net, Role.CONSUMER)
    resource = register_resource(net, provider)
    owner = attest_owner(net)
    grant = active_grant(net, consumer, owner, [resource])
    pid = proposal_id(net, net.send(net.committee[0], admission_call(net, candidate(net))))
    return Targets(net, provider, other, consumer, resource, owner, grant, pid)


def chain_state(t: Targets, *accounts: str) -> tuple[Any, ...]:
    """Everything the attacks aim at, read from the contracts, and the senders' accounts."""
    r, c, g, o, led = (
        t.net.registry.functions,
        t.net.catalogue.functions,
        t.net.grants.functions,
        t.net.owners.functions,
        t.net.receipts.functions,
    )
    w3 = t.net.w3
    return (
        r.proposalCount().call(),
        r.threshold().call(),
        r.committeeSize().call(),
        r.getProposal(t.open_proposal).call(),
        *(r.getInstitution(m.id).call() for m in (t.consumer, t.provider, t.other_provider)),
        c.getResource(t.resource).call(),
        c.resourceIds().call(),
        g.getGrant(t.grant).call(),
        len(g.statusHistory(t.grant).call()),
        o.getOwner(t.owner.pseudonym).call(),
        led.nextSeq(t.provider.id).call(),
        led.totalReceipts(t.provider.id).call(),
        *((w3.eth.get_transaction_count(a), w3.eth.get_balance(a)) for a in accounts),  # type: ignore[arg-type]
    )


def attempt(t: Targets, sender: Member | LocalAccount, call: Any, error: type[RevertError]) -> Any:
    """Send ``call``: it must raise ``error`` and change nothing, the sender's nonce included."""
    address = sender.address
    before = chain_state(t, address)
    with pytest.raises(error) as caught:
        t.net.send(sender, call)
    assert chain_state(t, address) == before
    return caught.value


# ----------------------------------------------------------------------- non-members


def _argument(t: Targets, entry: Any, stranger: str) -> Any:
    name, kind = entry["name"], entry["type"]
    key = SM2PrivateKey.generate().public_key().to_bytes()
    by_name: dict[str, Any] = {
        "proposalId": t.open_proposal,
        "institutionId": t.consumer.id,
        "role": int(Role.COMMITTEE),
        "account": stranger,
        "newAccount": stranger,
        "sm2PublicKey": key,
        "newSm2PublicKey": key,
        "newThreshold": 1,
        "resourceId": t.resource,
        "providerId": t.provider.id,
        "grantId": t.grant,
        "grantIds": [t.grant],
        "resourceIds": [t.resource],
        "counts": [1],
        "uses": [(t.grant, t.resource, 1)],
        "ledger": stranger,
        "count": 1,
        "pseudonym": t.owner.pseudonym,
        "reason": code32("attack"),
        "endpoint": "https://evil.example",
        "allowedPurposes": 2**8 - 2,
        "seq": t.net.receipts.functions.nextSeq(t.provider.id).call(),
    }
    if name in by_name:
        return by_name[name]
    if kind == "tuple":  # GrantRequest: a new grant over the real owner and resource
        return terms_tuple(grant_terms(t.net, t.owner, [t.resource]))
    if kind == "bytes32[]":
        return [code32("name")]
    if kind == "bytes32":
        return b"\x11" * 32
    if kind == "bytes":
        return grant_document(grant_terms(t.net, t.owner, [t.resource]))
    if kind == "string":
        return "攻击"
    if kind.startswith("uint"):
        return 1
    if kind == "bool":
        return True
    raise AssertionError(f"no argument for {name}: {kind}")


#: Wiring between contracts, guarded by who deployed them and which ledger is bound.
WIRING: dict[str, type[RevertError]] = {
    "bindLedger": GrantRegistryNotDeployer,
    "recordUsesFrom": GrantRegistryCallerNotLedger,
}


def test_every_write_of_every_contract_is_attacked() -> None:
    # The SM2/SM3 verifier is stateless: it has no write to attack (its inputs are fuzzed in
    # tests/contracts/test_sm2_onchain.py).
    assert {c for c, _ in WRITES} == set(ABIS) - {"Sm2Verifier"} and len(WRITES) >= 20


@pytest.mark.parametrize(("contract", "function"), WRITES, ids=[f"{c}.{f}" for c, f in WRITES])
def test_write_by_an_account_of_no_institution_is_refused(
    t: Targets, contract: str, function: str
) -> None:
    stranger = fresh_account(t.net)
    target = t.net.contracts.by_name[contract]
    entry = next(e for e in target.abi if e.get("name") == function and e["type"] == "function")
    args = [_argument(t, i, stranger.address) for i in entry["inputs"]]
    call = getattr(target.functions, function)(*args)
    if function in WIRING:  # no member may call these either
        assert attempt(t, stranger, call, WIRING[function]).caller == stranger.address
        return
    error = attempt(t, stranger, call, ConsortiumRegistryUnknownAccount)
    assert error.account == stranger.address


# -------------------------------------------------------------------------- wrong role


WRONG_ROLE = {
    "consumer-proposes-a-threshold": ("consumer", "registry", "proposeThreshold", Role.COMMITTEE),
    "consumer-moves-a-resource-endpoint": ("consumer", "catalogue", "setEndpoint", Role.PROVIDER),
    "provider-registers-a-resource": ("provider", "catalogue", "register", Role.COMMITTEE),
    "consumer-records-uses": ("consumer", "grants", "recordUses", Role.PROVIDER),
    "consumer-anchors-receipts": ("consumer", "receipts", "anchor", Role.PROVIDER),
    "provider-requests-a-grant": ("provider", "grants", "request", Role.CONSUMER),
}


@pytest.mark.parametrize("case", list(WRONG_ROLE))
def test_write_by_a_member_in_the_wrong_role_is_refused(t: Targets, case: str) -> None:
    who, contract, function, required = WRONG_ROLE[case]
    sender = t.consumer if who == "consumer" else t.provider
    target = getattr(t.net, contract)
    entry = next(e for e in target.abi if e.get("name") == function and e["type"] == "function")
    args = [_argument(t, i, sender.address) for i in entry["inputs"]]
    error = attempt(
        t, sender, getattr(target.functions, function)(*args), ConsortiumRegistryWrongRole
    )
    assert (error.institution_id, error.required, error.actual) == (
        sender.id,
        required,
        sender.role,
    )


@pytest.mark.parametrize("function", ["attest", "revokeAttestation"])
def test_owner_keys_by_a_member_that_is_no_identity_authority_are_refused(
    t: Targets, function: str
) -> None:
    """A consumer (or any member the committee did not vote identity authority) binds nothing."""
    entry = next(
        e for e in t.net.owners.abi if e.get("name") == function and e["type"] == "function"
    )
    args = [_argument(t, i, t.consumer.address) for i in entry["inputs"]]
    call = getattr(t.net.owners.functions, function)(*args)
    error = attempt(t, t.consumer, call, ConsortiumRegistryNotIdentityAuthority)
    assert error.institution_id == t.consumer.id


def test_owner_decisions_relayed_by_any_member_still_need_the_owners_signature(t: Targets) -> None:
    """Relaying confers no power: a provider relaying a revocation it signed itself is refused."""
    seq = t.net.grants.functions.decisionSeq(t.grant).call()
    call = t.net.grants.functions.revoke(t.grant, seq, 1, t.provider.sm2.sign(b"revoke"))
    error = attempt(t, t.provider, call, GrantRegistryInvalidOwnerSignature)
    assert error.grant_id == t.grant


def test_anchor_in_another_providers_name_is_refused(t: Targets) -> None:
    seq = t.net.receipts.functions.nextSeq(t.provider.id).call()
    call = t.net.receipts.functions.anchor(
        t.provider.id, seq, b"\x01" * 32, 1, b"\x00" * 32, b"\x30\x00"
    )
    error = attempt(t, t.other_provider, call, ReceiptLedgerForeignAnchor)
    assert (error.provider_id, error.caller_id) == (t.provider.id, t.other_provider.id)


def test_uses_recorded_by_a_provider_that_does_not_serve_the_resource_are_refused(
    t: Targets,
) -> None:
    call = t.net.grants.functions.recordUses(t.grant, t.resource, 1)
    error = attempt(t, t.other_provider, call, GrantRegistryNotResourceProvider)
    assert (error.resource_id, error.caller_id) == (t.resource, t.other_provider.id)


# ------------------------------------------------------------------------------- votes


def test_double_vote_is_refused(t: Targets) -> None:
    proposer = t.net.committee[0]
    error = attempt(
        t, proposer, t.net.registry.functions.vote(t.open_proposal), ConsortiumRegistryAlreadyVoted
    )
    assert (error.proposal_id, error.member_id) == (t.open_proposal, proposer.id)


@pytest.mark.parametrize("who", ["consumer", "provider"])
def test_vote_by_a_member_outside_the_committee_is_refused(t: Targets, who: str) -> None:
    voter = t.consumer if who == "consumer" else t.provider
    error = attempt(
        t, voter, t.net.registry.functions.vote(t.open_proposal), ConsortiumRegistryWrongRole
    )
    assert (error.institution_id, error.required) == (voter.id, Role.COMMITTEE)


def test_vote_by_an_account_of_no_institution_is_refused(t: Targets) -> None:
    stranger = fresh_account(t.net)
    attempt(
        t,
        stranger,
        t.net.registry.functions.vote(t.open_proposal),
        ConsortiumRegistryUnknownAccount,
    )


def test_execution_without_enough_votes_is_refused(t: Targets) -> None:
    error = attempt(
        t,
        t.net.committee[1],
        t.net.registry.functions.execute(t.open_proposal),
        ConsortiumRegistryNotEnoughVotes,
    )
    assert (error.votes, error.threshold) == (1, 2)


@pytest.fixture(scope="module")
def voted_out(t: Targets) -> Iterator[dict[str, Member]]:
    """A committee member suspended, a consumer suspended and one removed, by 2-of-3 votes."""
    members = {
        "committee": admit(t.net, Role.COMMITTEE),
        "suspended": admit(t.net, Role.CONSUMER),
        "removed": admit(t.net, Role.CONSUMER),
    }
    for key, vote in (
        ("committee", "proposeSuspension"),
        ("suspended", "proposeSuspension"),
        ("removed", "proposeRemoval"),
    ):
        pass_proposal(t.net, getattr(t.net.registry.functions, vote)(members[key].id))
    yield members


def test_vote_by_a_suspended_committee_member_is_refused(
    t: Targets, voted_out: dict[str, Member]
) -> None:
    member = voted_out["committee"]
    error = attempt(
        t,
        member,
        t.net.registry.functions.vote(t.open_proposal),
        ConsortiumRegistryInstitutionNotActive,
    )
    assert (error.institution_id, error.status) == (member.id, InstitutionStatus.SUSPENDED)


@pytest.mark.parametrize(
    ("who", "status"),
    [("suspended", InstitutionStatus.SUSPENDED), ("removed", InstitutionStatus.REMOVED)],
)
def test_grant_request_by_a_member_voted_out_is_refused(
    t: Targets, voted_out: dict[str, Member], who: str, status: InstitutionStatus
) -> None:
    member = voted_out[who]
    terms = grant_terms(t.net, t.owner, [t.resource])
    document = grant_document(terms)
    call = t.net.grants.functions.request(terms_tuple(terms), document, member.sm2.sign(document))
    error = attempt(t, member, call, ConsortiumRegistryInstitutionNotActive)
    assert (error.institution_id, error.status) == (member.id, status)
