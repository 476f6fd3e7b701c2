"""Deployments for the checks of deployed code: honest, and the ways a deployer could cheat."""

from __future__ import annotations

from datetime import UTC, datetime

from eth_account import Account
from web3 import Web3

from quancheng.chain import make_web3, send_transaction
from quancheng.chain.client import load_account
from quancheng.chain.manifest import ContractRecord, Manifest
from quancheng.chain.types import code32
from quancheng_node.compile import CompiledArtifacts
from quancheng_node.deploy import FoundingMember, deploy
from tests.utils.chain_factories import sm2_key, unique_code

#: The session node's dev account these tests deploy from (no other test uses index 13).
DEPLOYER_INDEX = 13
VOTING_PERIOD = 3600


def founders() -> list[FoundingMember]:
    """One founding member (threshold 1): nothing here votes."""
    return [
        FoundingMember(
            id=unique_code("committee"),
            name="委员会成员",
            account=Account.create().address,
            sm2_public_key=sm2_key().public_key().to_bytes(),
        )
    ]


def deploy_clean(rpc_url: str, deployer_key: str) -> Manifest:
    """An honest deployment by ``quancheng_node.deploy``."""
    return deploy(rpc_url, deployer_key, founders(), 1, VOTING_PERIOD)


def pointing(manifest: Manifest, name: str, at: str) -> Manifest:
    """``manifest`` with contract ``name`` at the address of contract ``at``."""
    contracts = dict(manifest.contracts)
    contracts[name] = contracts[name].model_copy(update={"address": manifest.address_of(at)})
    return manifest.model_copy(update={"contracts": contracts})


def deploy_with_rogue_ledger(
    rpc_url: str, deployer_key: str, members: list[FoundingMember] | None = None
) -> tuple[Manifest, str]:
    """The build's contracts, but the grant registry bound to a second, unlisted ledger.

    The rogue ledger is a real ``ReceiptLedger`` naming this registry back (``bindLedger``
    accepts nothing else), bound before the one the manifest lists: it could record uses for
    any provider. Returns the manifest (listing the honest-looking ledger) and the rogue's address.
    """
    w3: Web3 = make_web3(rpc_url)
    deployer = load_account(deployer_key)
    artifacts = CompiledArtifacts.load()
    records: dict[str, ContractRecord] = {}

    def create(name: str, *args: object, listed: bool = True) -> str:
        artifact = artifacts.contracts[name]
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = send_transaction(w3, deployer, factory.constructor(*args))
        address = str(receipt["contractAddress"])
        if listed:
            records[name] = ContractRecord(
                address=address,
                abi=artifact.abi,
                block_number=receipt["blockNumber"],
                tx_hash=receipt["transactionHash"].to_0x_hex(),
            )
        return address

    members = members or founders()
    rows = [(code32(m.id), m.name, m.account, m.sm2_public_key) for m in members]
    sm2 = create("Sm2Verifier")
    registry = create("ConsortiumRegistry", rows, 1, VOTING_PERIOD)
    catalogue = create("DataCatalogue", registry)
    owners = create("OwnerRegistry", registry, sm2)
    grants = create("GrantRegistry", registry, catalogue, owners, sm2)
    rogue = create("ReceiptLedger", registry, grants, listed=False)
    grant_registry = w3.eth.contract(address=grants, abi=artifacts.contracts["GrantRegistry"].abi)  # type: ignore[call-overload]
    send_transaction(w3, deployer, grant_registry.functions.bindLedger(rogue))
    create("ReceiptLedger", registry, grants)
    manifest = Manifest(
        chain_id=w3.eth.chain_id,
        contracts=records,
        deployer=deployer.address,
        compiler_version=artifacts.compiler_version,
        artifacts_digest=artifacts.digest(),
        founding_committee=[m.record() for m in members],
        threshold=1,
        voting_period=VOTING_PERIOD,
        created_at=datetime.now(UTC).replace(microsecond=0),
    )
    return manifest, rogue
