"""Deploy the contracts and record them in a manifest.

Transactions are signed locally with the deployer's key and sent raw; the registry goes
first and the other contracts receive its address (the grant registry also the catalogue's
and the owner registry's, the receipt ledger also the grant registry's). Last, the deployer
binds the receipt ledger to the grant registry (``GrantRegistry.bindLedger``, once and for
good), so that a gateway anchors a batch and records its uses in one transaction.

Re-running a deployment is safe: if the manifest at the target path describes a live
deployment of the same build, committee and parameters on this chain, it is returned as is;
a manifest of another chain, or of a different live deployment, is never replaced unless
``force`` is given; a stale one (the chain was reset) is replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from web3 import Web3

from quancheng.chain.client import load_account, make_web3, send_transaction
from quancheng.chain.manifest import Address, ContractRecord, FoundingMemberRecord, Manifest
from quancheng.chain.types import code32
from quancheng.errors import ChainError
from quancheng_node.compile import DEPLOYABLE, CompiledArtifacts
from quancheng_node.manifest import (
    DeploymentExists,
    DeploymentMismatch,
    ExistingDeployment,
    existing_deployment,
    verify_deployment,
)

__all__ = ["DeployError", "FoundingMember", "deploy"]


class DeployError(ChainError):
    """A contract could not be deployed."""

    code = "DEPLOY_ERROR"


def _sm2_point(value: bytes) -> bytes:
    if len(value) != 65 or value[0] != 0x04:
        raise ValueError("an SM2 public key must be 65 bytes starting 0x04 (uncompressed)")
    return value


class FoundingMember(BaseModel):
    """A founding committee member: admitted by the registry's constructor, without a vote."""

    model_config = ConfigDict(frozen=True)

    #: Institution code, 1–32 printable ASCII characters (e.g. "jinan.bdb").
    id: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[\x21-\x7e]+$")]
    #: Display name (e.g. "济南市大数据局").
    name: Annotated[str, Field(min_length=1)]
    #: The chain account that signs its transactions.
    account: Address
    #: Uncompressed SM2 public key, 65 bytes starting 0x04.
    sm2_public_key: Annotated[bytes, AfterValidator(_sm2_point)]

    def record(self) -> FoundingMemberRecord:
        """The member as the manifest records it."""
        return FoundingMemberRecord(
            id=self.id,
            name=self.name,
            account=self.account,
            sm2_public_key="0x" + self.sm2_public_key.hex(),
        )


def deploy(
    rpc_url: str,
    deployer_private_key: str,
    committee: Sequence[FoundingMember],
    threshold: int,
    voting_period: int,
    *,
    manifest_path: Path | None = None,
    artifacts: CompiledArtifacts | None = None,
    force: bool = False,
) -> Manifest:
    """Deploy the contracts and return (and, with ``manifest_path``, write) their manifest.

    Args:
        rpc_url: JSON-RPC URL of the node.
        deployer_private_key: secp256k1 key of a funded account (hex).
        committee: The founding committee (1 ≤ threshold ≤ len(committee)).
        threshold: Votes a committee proposal needs.
        voting_period: Seconds a proposal stays open (e.g. 7 * 24 * 3600).
        manifest_path: Where to write the manifest; see the module docstring for reruns.
        artifacts: The compiled contracts; the committed ``contracts/build`` by default.
        force: Replace a manifest of another chain or of a different live deployment.

    Raises:
        DeploymentExists: the manifest at ``manifest_path`` must not be replaced.
        RevertError: a constructor reverted (e.g. ConsortiumRegistryThresholdOutOfRange).
        DeployError: a deployment transaction produced no contract.
    """
    artifacts = artifacts or CompiledArtifacts.load()
    w3 = make_web3(rpc_url)
    members = [m.record() for m in committee]
    if manifest_path is not None:
        reused = _reusable(w3, manifest_path, artifacts, members, threshold, voting_period, force)
        if reused is not None:
            return reused

    deployer = load_account(deployer_private_key)
    founders = [(code32(m.id), m.name, m.account, m.sm2_public_key) for m in committee]
    records: dict[str, ContractRecord] = {}

    def _deploy(name: str, *args: object) -> str:
        artifact = artifacts.contracts[name]
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = send_transaction(w3, deployer, factory.constructor(*args))
        address = receipt["contractAddress"]
        if address is None:  # pragma: no cover - a successful creation always has one
            raise DeployError(f"{name}: no contract address in {receipt['transactionHash']!r}")
        records[name] = ContractRecord(
            address=address,
            abi=artifact.abi,
            block_number=receipt["blockNumber"],
            tx_hash=receipt["transactionHash"].to_0x_hex(),
        )
        return str(address)

    sm2 = _deploy("Sm2Verifier")
    registry = _deploy("ConsortiumRegistry", founders, threshold, voting_period)
    catalogue = _deploy("DataCatalogue", registry)
    owners = _deploy("OwnerRegistry", registry, sm2)
    grants = _deploy("GrantRegistry", registry, catalogue, owners, sm2)
    ledger = _deploy("ReceiptLedger", registry, grants)
    assert tuple(records) == DEPLOYABLE
    grant_registry = w3.eth.contract(address=grants, abi=records["GrantRegistry"].abi)  # type: ignore[call-overload]
    send_transaction(w3, deployer, grant_registry.functions.bindLedger(ledger))

    manifest = Manifest(
        chain_id=w3.eth.chain_id,
        contracts=records,
        deployer=deployer.address,
        compiler_version=artifacts.compiler_version,
        artifacts_digest=artifacts.digest(),
        founding_committee=members,
        threshold=threshold,
        voting_period=voting_period,
        created_at=datetime.now(UTC).replace(microsecond=0),
    )
    if manifest_path is not None:
        manifest.save(manifest_path)
    return manifest


def _reusable(
    w3: Web3,
    path: Path,
    artifacts: CompiledArtifacts,
    members: list[FoundingMemberRecord],
    threshold: int,
    voting_period: int,
    force: bool,
) -> Manifest | None:
    """The existing manifest if it already is this deployment; raise if it must be kept.

    "Already is" is checked on chain, not taken from the manifest: the code at each address
    must be this build's, wired as the manifest says (:func:`verify_deployment`).
    """
    state, existing = existing_deployment(w3, path)
    if existing is None or state is ExistingDeployment.STALE or force:
        return None
    if state is ExistingDeployment.OTHER_CHAIN:
        raise DeploymentExists(
            path, f"it describes chain {existing.chain_id}, not {w3.eth.chain_id}"
        )
    same = (
        existing.artifacts_digest == artifacts.digest()
        and existing.founding_committee == members
        and existing.threshold == threshold
        and existing.voting_period == voting_period
    )
    if not same:
        raise DeploymentExists(path, "it describes a different live deployment on this chain")
    mismatches = verify_deployment(w3, existing, artifacts)
    if mismatches:
        raise DeploymentMismatch(str(path), mismatches)
    return existing
