"""The deployment manifest: where the contracts of one chain are, and how they were built.

Written by ``quancheng_node.deploy.deploy()``, read by every client (SDK, gateways, CLI,
auditors) to find the contracts and their ABIs.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from eth_utils.address import is_hex_address, to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from quancheng.errors import ConfigError

__all__ = [
    "CONTRACT_NAMES",
    "Address",
    "ContractRecord",
    "FoundingMemberRecord",
    "Manifest",
    "ManifestError",
]

#: The contracts of a deployment, in deployment order.
CONTRACT_NAMES: tuple[str, ...] = (
    "Sm2Verifier",
    "ConsortiumRegistry",
    "DataCatalogue",
    "OwnerRegistry",
    "GrantRegistry",
    "ReceiptLedger",
)


class ManifestError(ConfigError):
    """A manifest is missing, malformed, or does not describe the chain it is used with."""

    code = "MANIFEST_ERROR"


def _checksum(value: str) -> str:
    if not is_hex_address(value):
        raise ValueError(f"not an address: {value!r}")
    return str(to_checksum_address(value))


#: An EVM address, normalised to its EIP-55 checksum form.
Address = Annotated[str, AfterValidator(_checksum)]


class ContractRecord(BaseModel):
    """One deployed contract."""

    model_config = ConfigDict(frozen=True)

    address: Address
    abi: list[dict[str, Any]]
    block_number: int = Field(ge=0)
    tx_hash: str


class FoundingMemberRecord(BaseModel):
    """A founding committee member as the registry's constructor admitted it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1)
    account: Address
    #: Uncompressed SM2 public key, 0x-hex of 65 bytes.
    sm2_public_key: str = Field(pattern=r"^0x04[0-9a-f]{128}$")


class Manifest(BaseModel):
    """Everything a client needs to talk to one deployment."""

    model_config = ConfigDict(frozen=True)

    format: Literal["quancheng-manifest/1"] = "quancheng-manifest/1"
    chain_id: int = Field(ge=1)
    contracts: dict[str, ContractRecord]
    deployer: Address
    compiler_version: str
    #: SM3 (hex) of the compiled artifacts file the bytecode came from.
    artifacts_digest: str
    founding_committee: list[FoundingMemberRecord]
    threshold: int = Field(ge=1)
    voting_period: int = Field(ge=1)
    created_at: datetime

    @field_validator("contracts")
    @classmethod
    def _all_contracts(cls, value: dict[str, ContractRecord]) -> dict[str, ContractRecord]:
        missing = [name for name in CONTRACT_NAMES if name not in value]
        if missing:
            raise ValueError(f"missing contracts: {', '.join(missing)}")
        return value

    def address_of(self, contract: str) -> str:
        """The address of ``contract`` (one of :data:`CONTRACT_NAMES`)."""
        return self.contracts[contract].address

    def to_json(self) -> str:
        """Sorted, indented JSON with a trailing newline."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=2) + "\n"

    def save(self, path: Path) -> None:
        """Write the manifest atomically (a reader never sees half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read a manifest.

        Raises:
            ManifestError: the file is missing or is not a valid manifest.
        """
        try:
            return cls.model_validate_json(path.read_bytes())
        except FileNotFoundError as exc:
            raise ManifestError(f"no manifest at {path}: deploy first") from exc
        except ValueError as exc:
            raise ManifestError(f"{path} is not a valid manifest: {exc}") from exc
