"""The evidence an audit reads: the chain's events and each provider's receipt log.

Both are plain JSON files, so an audit can be re-run with no node and no gateway up
(``quancheng audit --evidence DIR``), and so the tamper suite can edit them:

* ``chain.json`` (:class:`ChainEvidence`): every event of the contracts from the
  deployment block, with its block time and the account that sent its transaction, the
  grants' terms as stored on chain, and the contracts' runtime code with the manifest's
  claims about it (:class:`DeploymentEvidence`), so the check that they are the project's
  audited contracts, correctly wired, is re-done offline too;
* ``logs/<provider>.json`` (:class:`ReceiptLog`): a gateway's receipt log, page by page as
  ``GET /v1/receipts`` serves it, its batch records (``GET /v1/batches/{seq}``) and the
  refusal counters of its ``/metrics``.

Log entries and batch records stay raw JSON objects: an entry that is not a signed receipt is
a finding of the audit, not an error reading the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quancheng.chain.types import decode_code32
from quancheng_audit.errors import EvidenceError
from quancheng_node.deployed import DeployedCode, ManifestClaims

__all__ = [
    "CHAIN_FILE",
    "LOGS_DIR",
    "ChainEvent",
    "ChainEvidence",
    "ChainGrant",
    "ContractRef",
    "DeploymentEvidence",
    "ReceiptLog",
    "load_evidence",
    "load_receipt_log",
    "save_evidence",
]

CHAIN_FILE = "chain.json"
LOGS_DIR = "logs"


class ChainEvent(BaseModel):
    """One decoded event: bytes as ``0x`` hex, enums as integers.

    Attributes:
        block: Block number.
        time: Block timestamp (unix seconds).
        tx: Transaction hash.
        log_index: Position of the log in its block.
        contract: The contract that emitted it (manifest name).
        name: Event name.
        args: Decoded arguments by their Solidity names.
    """

    model_config = ConfigDict(frozen=True)

    block: int
    time: int
    tx: str
    log_index: int
    contract: str
    name: str
    args: dict[str, Any]

    def hex(self, name: str) -> str:
        """A bytes argument as lower-case ``0x`` hex."""
        return str(self.args[name]).lower()

    def raw(self, name: str) -> bytes:
        """A bytes argument as bytes."""
        return bytes.fromhex(self.hex(name).removeprefix("0x"))

    def code(self, name: str) -> str:
        """A bytes32 code argument as its text (``jinan.vmo``), or its hex if not a code."""
        return decode_code32(self.raw(name)) or self.hex(name)

    def num(self, name: str) -> int:
        """An integer (or enum) argument."""
        return int(self.args[name])


class ContractRef(BaseModel):
    """Where a contract of the deployment lives."""

    address: str
    block_number: int


class ChainGrant(BaseModel):
    """A grant's terms as stored on chain (``GrantRegistry.getGrant``)."""

    grant_id: str
    owner_pseudonym: str
    consumer_id: str
    resource_ids: list[str]
    purpose: int
    data_from: int
    data_to: int
    not_before: int
    not_after: int
    max_uses: int
    mode: int
    document_digest: str
    owner_signature: str


class DeploymentEvidence(BaseModel):
    """The deployed contracts as read from the chain, and what the manifest says they hold.

    Attributes:
        claims: The manifest's addresses, deployer and voting period.
        code: Each contract's runtime code and the storage cross-references, at ``to_block``.
    """

    claims: ManifestClaims
    code: DeployedCode


class ChainEvidence(BaseModel):
    """Everything read from the chain for an audit.

    Attributes:
        chain_id: The chain's id.
        contracts: The deployment's contracts.
        from_block: First block read.
        to_block: Last block read (the audit is "as of" this block).
        head_time: Timestamp of ``to_block``.
        collected_at_ms: When the evidence was collected (auditor's clock).
        events: The contracts' events, in chain order.
        senders: Transaction hash → the account that sent it.
        grants: Grant id → its terms on chain.
        deployment: The deployed code and wiring (None in evidence saved before it was
            collected: the deployment check is then not made).
    """

    format: Literal["quancheng.chain-evidence/1"] = "quancheng.chain-evidence/1"
    chain_id: int
    contracts: dict[str, ContractRef]
    from_block: int
    to_block: int
    head_time: int
    collected_at_ms: int
    events: list[ChainEvent] = Field(default_factory=list)
    senders: dict[str, str] = Field(default_factory=dict)
    grants: dict[str, ChainGrant] = Field(default_factory=dict)
    deployment: DeploymentEvidence | None = None


class ReceiptLog(BaseModel):
    """One gateway's receipt log as exported.

    Attributes:
        provider: The provider's institution code.
        source: Where it came from (the gateway's URL, or a file).
        exported_at_ms: When it was read.
        total: The log size the gateway reported.
        entries: The log's entries in log order (signed receipts as JSON objects).
        batches: The gateway's batch records (``BatchPublic`` as JSON objects), by seq.
        refusals: Refused queries by refusal code, from the gateway's metrics (None if unknown).
        answered: Queries answered, from the metrics (None if unknown).
    """

    format: Literal["quancheng.receipt-log/1"] = "quancheng.receipt-log/1"
    provider: str
    source: str
    exported_at_ms: int
    total: int
    entries: list[Any] = Field(default_factory=list)
    batches: list[Any] = Field(default_factory=list)
    refusals: dict[str, int] | None = None
    answered: int | None = None


def _read(path: Path, model: type[Any]) -> Any:
    try:
        return model.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise EvidenceError(path, f"cannot read it ({exc.strerror or exc})") from None
    except ValidationError as exc:
        reason = f"not a {model.__name__} file ({exc.error_count()} errors)"
        raise EvidenceError(path, reason) from None


def load_receipt_log(path: Path) -> ReceiptLog:
    """A receipt log exported to ``path``.

    Raises:
        EvidenceError: Missing, unreadable or not a receipt-log file.
    """
    log: ReceiptLog = _read(path, ReceiptLog)
    return log


def load_evidence(directory: Path) -> tuple[ChainEvidence, list[ReceiptLog]]:
    """The chain evidence and receipt logs saved in ``directory`` by :func:`save_evidence`.

    Raises:
        EvidenceError: A file is missing, unreadable or malformed.
    """
    chain: ChainEvidence = _read(directory / CHAIN_FILE, ChainEvidence)
    logs_dir = directory / LOGS_DIR
    files = sorted(logs_dir.glob("*.json")) if logs_dir.is_dir() else []
    logs = [load_receipt_log(p) for p in files]
    return chain, logs


def save_evidence(directory: Path, chain: ChainEvidence, logs: list[ReceiptLog]) -> None:
    """Write ``chain.json`` and ``logs/<provider>.json`` under ``directory``."""
    (directory / LOGS_DIR).mkdir(parents=True, exist_ok=True)
    (directory / CHAIN_FILE).write_text(chain.model_dump_json(indent=1), encoding="utf-8")
    for log in logs:
        target = directory / LOGS_DIR / f"{log.provider}.json"
        target.write_text(json.dumps(log.model_dump(mode="json"), ensure_ascii=False, indent=1))
