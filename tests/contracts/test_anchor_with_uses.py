"""ReceiptLedger.anchorWithUses: a batch and the uses of its receipts in one transaction, both
or neither; GrantRegistry.recordUsesFrom only from the ledger it was bound to, once."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from quancheng.chain import GrantStatus, Role
from quancheng.chain.client import send_transaction
from quancheng.chain.errors import (
    ConsortiumRegistryInstitutionNotActive,
    GrantRegistryCallerNotLedger,
    GrantRegistryInvalidLedger,
    GrantRegistryLedgerAlreadyBound,
    GrantRegistryLedgerMismatch,
    GrantRegistryNotActive,
    GrantRegistryNotDeployer,
    GrantRegistryNotResourceProvider,
    GrantRegistryUsesExceeded,
    ReceiptLedgerForeignAnchor,
    ReceiptLedgerOutOfSequence,
)
from quancheng_node.compile import CompiledArtifacts
from tests.utils.chain_factories import (
    Member,
    Owner,
    TestNetwork,
    active_grant,
    admit,
    fresh_account,
    owner_action,
    register_resource,
    suspend,
)

ZERO32 = b"\x00" * 32
ZERO_ADDRESS = "0x" + "00" * 20


def _anchor_with_uses(
    net: TestNetwork,
    provider: Member,
    uses: list[tuple[bytes, bytes, int]],
    *,
    provider_id: bytes | None = None,
    seq: int | None = None,
    size: int = 4,
    root: bytes | None = None,
) -> Any:
    pid = provider_id or provider.id
    seq = net.contracts.next_seq(pid) if seq is None else seq
    prev = net.receipts.functions.lastRoot(pid).call()
    fn = net.receipts.functions.anchorWithUses(
        pid, seq, root or secrets.token_bytes(32), size, prev, b"sig", uses
    )
    return net.send(provider, fn)


def _deploy(net: TestNetwork, deployer: LocalAccount, name: str, *args: object) -> Any:
    artifact = CompiledArtifacts.load().contracts[name]
    factory = net.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = send_transaction(net.w3, deployer, factory.constructor(*args))
    return net.w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def _fresh_grants(net: TestNetwork, deployer: LocalAccount) -> Any:
    """A GrantRegistry of the same consortium, deployed by ``deployer``, bound to nothing."""
    g = net.grants.functions
    return _deploy(
        net,
        deployer,
        "GrantRegistry",
        net.registry.address,
        g.catalogue().call(),
        g.ownerRegistry().call(),
        g.sm2Verifier().call(),
    )


# ------------------------------------------------------------------------- one transaction


def test_a_batch_and_its_uses_are_recorded_in_one_transaction(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    first = active_grant(net, consumer, owner, [resource], maxUses=3)
    second = active_grant(net, consumer, owner, [resource], maxUses=10)
    root = secrets.token_bytes(32)
    receipt = _anchor_with_uses(
        net, provider, [(first, resource, 3), (second, resource, 2)], size=5, root=root
    )
    events = net.events(receipt)
    signature = events[0].args.pop("signature")
    assert signature == b"sig"
    assert [(e.contract, e.name, e.args) for e in events] == [
        ("ReceiptLedger", "BatchAnchored", {
            "providerId": provider.id, "seq": 0, "root": root, "size": 5, "firstIndex": 0,
            "prevRoot": ZERO32,
        }),
        ("GrantRegistry", "GrantUsesRecorded", {
            "grantId": first, "resourceId": resource, "providerId": provider.id,
            "count": 3, "uses": 3,
        }),
        ("GrantRegistry", "GrantExhausted", {"grantId": first, "uses": 3}),
        ("GrantRegistry", "GrantUsesRecorded", {
            "grantId": second, "resourceId": resource, "providerId": provider.id,
            "count": 2, "uses": 2,
        }),
    ]  # fmt: skip
    assert net.contracts.next_seq(provider.id) == 1
    assert net.contracts.uses_of(second, resource) == 2
    assert net.contracts.grant_status(first) is GrantStatus.EXHAUSTED
    # The transaction was the provider's own: the audit's sender check sees its account.
    assert net.w3.eth.get_transaction(receipt["transactionHash"])["from"] == provider.address


def test_a_batch_without_uses_is_anchored_alone(net: TestNetwork, provider: Member) -> None:
    receipt = _anchor_with_uses(net, provider, [])
    assert [e.name for e in net.events(receipt)] == ["BatchAnchored"]
    assert net.contracts.next_seq(provider.id) == 1


def test_a_refused_use_leaves_the_batch_unanchored(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    good = active_grant(net, consumer, owner, [resource], maxUses=10)
    small = active_grant(net, consumer, owner, [resource], maxUses=1)
    with pytest.raises(GrantRegistryUsesExceeded) as exc:
        _anchor_with_uses(net, provider, [(good, resource, 3), (small, resource, 2)])
    assert (exc.value.grant_id, exc.value.uses, exc.value.count, exc.value.max_uses) == (
        small, 0, 2, 1,
    )  # fmt: skip
    assert net.contracts.next_seq(provider.id) == 0
    assert net.contracts.uses_of(good, resource) == 0


def test_uses_of_a_revoked_grant_leave_the_batch_unanchored(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = active_grant(net, consumer, owner, [resource], maxUses=10)
    owner_action(net, grant_id, owner, "revoke")
    with pytest.raises(GrantRegistryNotActive) as exc:
        _anchor_with_uses(net, provider, [(grant_id, resource, 1)])
    assert (exc.value.grant_id, exc.value.status) == (grant_id, GrantStatus.REVOKED)
    assert net.contracts.next_seq(provider.id) == 0


def test_a_refused_anchor_records_no_uses(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = active_grant(net, consumer, owner, [resource], maxUses=10)
    with pytest.raises(ReceiptLedgerOutOfSequence) as exc:
        _anchor_with_uses(net, provider, [(grant_id, resource, 1)], seq=1)
    assert (exc.value.seq, exc.value.expected_seq) == (1, 0)
    assert net.contracts.uses_of(grant_id, resource) == 0


# -------------------------------------------------------------------------------- attacks


def test_a_provider_cannot_record_uses_of_another_providers_resource(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    other = admit(net, Role.PROVIDER)
    grant_id = active_grant(net, consumer, owner, [resource], maxUses=10)
    # In its own batch: the ledger records the uses as the anchoring provider's.
    with pytest.raises(GrantRegistryNotResourceProvider) as exc:
        _anchor_with_uses(net, other, [(grant_id, resource, 1)])
    assert (exc.value.resource_id, exc.value.caller_id) == (resource, other.id)
    # Or in the owner's name: the anchor itself is refused.
    with pytest.raises(ReceiptLedgerForeignAnchor) as foreign:
        _anchor_with_uses(net, other, [(grant_id, resource, 1)], provider_id=provider.id)
    assert (foreign.value.provider_id, foreign.value.caller_id) == (provider.id, other.id)
    assert net.contracts.uses_of(grant_id, resource) == 0
    assert net.contracts.next_seq(other.id) == 0


def test_a_suspended_provider_cannot_anchor_with_uses(
    net: TestNetwork, consumer: Member, owner: Owner
) -> None:
    provider = admit(net, Role.PROVIDER)
    resource = register_resource(net, provider)
    grant_id = active_grant(net, consumer, owner, [resource], maxUses=10)
    suspend(net, provider)
    with pytest.raises(ConsortiumRegistryInstitutionNotActive):
        _anchor_with_uses(net, provider, [(grant_id, resource, 1)])
    assert net.contracts.uses_of(grant_id, resource) == 0


def test_only_the_bound_ledger_may_record_uses_from(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    grant_id = active_grant(net, consumer, owner, [resource], maxUses=10)
    ledger = net.receipts.address
    fn = net.grants.functions.recordUsesFrom(provider.id, [(grant_id, resource, 1)])
    stranger = fresh_account(net)
    for sender in (provider.account, net.committee[0].account, stranger, net.funder):
        with pytest.raises(GrantRegistryCallerNotLedger) as exc:
            net.send(sender, fn)
        assert (exc.value.caller, exc.value.ledger) == (sender.address, ledger)
    assert net.contracts.uses_of(grant_id, resource) == 0


def test_a_ledger_of_ones_own_cannot_record_uses(
    net: TestNetwork, provider: Member, consumer: Member, owner: Owner, resource: bytes
) -> None:
    # Anyone can deploy a ledger naming the real grant registry: it is not the bound one.
    registry, grants = net.registry.address, net.grants.address
    rogue = _deploy(net, provider.account, "ReceiptLedger", registry, grants)
    grant_id = active_grant(net, consumer, owner, [resource], maxUses=10)
    fn = rogue.functions.anchorWithUses(
        provider.id, 0, secrets.token_bytes(32), 1, ZERO32, b"sig", [(grant_id, resource, 1)]
    )
    with pytest.raises(GrantRegistryCallerNotLedger) as exc:
        net.send(provider, fn)
    assert (exc.value.caller, exc.value.ledger) == (rogue.address, net.receipts.address)
    assert net.contracts.uses_of(grant_id, resource) == 0


def test_the_binding_never_changes(net: TestNetwork, provider: Member) -> None:
    other = _deploy(net, net.funder, "ReceiptLedger", net.registry.address, net.grants.address)
    bind = net.grants.functions.bindLedger(other.address)
    with pytest.raises(GrantRegistryLedgerAlreadyBound) as exc:
        net.send(net.funder, bind)  # not even by the deployer
    assert exc.value.ledger == net.receipts.address
    with pytest.raises(GrantRegistryNotDeployer) as wrong:
        net.send(provider, bind)
    assert (wrong.value.caller, wrong.value.deployer) == (provider.address, net.funder.address)
    assert net.grants.functions.receiptLedger().call() == net.receipts.address


def test_the_deployment_binds_the_ledger_and_the_registry_to_each_other(net: TestNetwork) -> None:
    assert net.grants.functions.receiptLedger().call() == net.manifest.address_of("ReceiptLedger")
    assert net.receipts.functions.grantRegistry().call() == net.manifest.address_of("GrantRegistry")


# ----------------------------------------------------------------- binding a fresh registry


def test_an_unbound_registry_refuses_every_caller(net: TestNetwork, provider: Member) -> None:
    grants = _fresh_grants(net, net.funder)
    assert grants.functions.receiptLedger().call() == ZERO_ADDRESS
    fn = grants.functions.recordUsesFrom(provider.id, [(secrets.token_bytes(32), ZERO32, 1)])
    with pytest.raises(GrantRegistryCallerNotLedger) as exc:
        net.send(provider, fn)
    assert (exc.value.caller, exc.value.ledger) == (provider.address, ZERO_ADDRESS)


def test_only_the_deployer_binds_and_only_a_ledger_naming_it_back(net: TestNetwork) -> None:
    deployer = fresh_account(net)
    grants = _fresh_grants(net, deployer)
    registry = net.registry.address
    mine = _deploy(net, deployer, "ReceiptLedger", registry, grants.address)
    elsewhere = _deploy(net, deployer, "ReceiptLedger", registry, net.grants.address)
    bind = grants.functions.bindLedger

    with pytest.raises(GrantRegistryNotDeployer):
        net.send(net.funder, bind(mine.address))
    with pytest.raises(GrantRegistryLedgerMismatch) as exc:
        net.send(deployer, bind(elsewhere.address))
    assert (exc.value.ledger_grant_registry, exc.value.ledger_registry) == (
        net.grants.address, registry,
    )  # fmt: skip
    for not_a_ledger in (deployer.address, net.contracts.sm2.address):
        with pytest.raises(GrantRegistryInvalidLedger) as invalid:
            net.send(deployer, bind(not_a_ledger))
        assert invalid.value.ledger == not_a_ledger

    net.send(deployer, bind(mine.address))
    assert grants.functions.receiptLedger().call() == mine.address
    with pytest.raises(GrantRegistryLedgerAlreadyBound):
        net.send(deployer, bind(elsewhere.address))
