"""The deployment manifest, and the rules for writing one next to an existing one.

The model itself lives in the SDK (:mod:`quancheng.chain.manifest`), because every client
reads it; this module adds what only deployment needs: deciding whether an existing manifest
describes a live deployment that must not be silently replaced, and (from
:mod:`quancheng_node.deployed`) whether the contracts at its addresses are this build's,
correctly wired.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from web3 import Web3

from quancheng.chain.manifest import (
    CONTRACT_NAMES,
    ContractRecord,
    FoundingMemberRecord,
    Manifest,
    ManifestError,
)
from quancheng_node.deployed import DeploymentMismatch, Mismatch, MismatchKind, verify_deployment

__all__ = [
    "CONTRACT_NAMES",
    "ContractRecord",
    "DeploymentExists",
    "DeploymentMismatch",
    "ExistingDeployment",
    "FoundingMemberRecord",
    "Manifest",
    "ManifestError",
    "Mismatch",
    "MismatchKind",
    "existing_deployment",
    "verify_deployment",
]


class DeploymentExists(ManifestError):
    """A manifest at the target path describes a deployment that deploying would hide."""

    code = "DEPLOYMENT_EXISTS"

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}; pass force=True (--force) to replace it")


class ExistingDeployment(Enum):
    """What an existing manifest is, seen from the chain at hand."""

    NONE = "none"  # no manifest at the path
    STALE = "stale"  # same chain id, but its contracts are gone (the chain was reset)
    LIVE = "live"  # same chain id, every contract has code
    OTHER_CHAIN = "other_chain"  # written for another chain id


def existing_deployment(w3: Web3, path: Path) -> tuple[ExistingDeployment, Manifest | None]:
    """Classify the manifest at ``path`` against the chain ``w3`` talks to.

    Raises:
        ManifestError: the file exists but is not a valid manifest.
    """
    if not path.exists():
        return ExistingDeployment.NONE, None
    manifest = Manifest.load(path)
    if manifest.chain_id != w3.eth.chain_id:
        return ExistingDeployment.OTHER_CHAIN, manifest
    for record in manifest.contracts.values():
        if not w3.eth.get_code(Web3.to_checksum_address(record.address)):
            return ExistingDeployment.STALE, manifest
    return ExistingDeployment.LIVE, manifest
