"""Reading the chain's side of the trail: every event of the deployment, with its time and
sender, the grants' stored terms, and the contracts' code and wiring at the last block read.

Logs come from ``eth_getLogs`` over the five contracts in ranges of blocks; block times,
transaction senders and grant terms are fetched with JSON-RPC batch requests, so an audit of
a long chain costs a few round trips per thousand events, not one per event.

The grants and the deployment are read at the last block collected.  A node that took a
snapshot meanwhile may no longer hold the state there (``ARCHIVE_STATE_NOT_KEPT``): the
collection then moves its end to the new head, reading the events since, and reads again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import Any, TypeVar

from web3.exceptions import Web3Exception

from quancheng.chain import ContractSet
from quancheng.chain.records import GrantRecord, from_struct
from quancheng_audit.errors import SourceUnavailable
from quancheng_audit.evidence import (
    ChainEvent,
    ChainEvidence,
    ChainGrant,
    ContractRef,
    DeploymentEvidence,
)
from quancheng_audit.progress import NO_PROGRESS, Progress, Task
from quancheng_node.deployed import ManifestClaims, read_deployment
from quancheng_node.errors import state_not_kept

__all__ = ["collect_chain"]

#: AccessControl bookkeeping: the registry's own events say the same, with the institution.
_SKIPPED = frozenset({"RoleGranted", "RoleRevoked", "RoleAdminChanged"})
#: How many times a collection moves its end forward when a snapshot took the state at it.
_MOVES = 3
_T = TypeVar("_T")


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, IntEnum):
        return int(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _chunks(items: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def collect_chain(
    contracts: ContractSet,
    *,
    from_block: int | None = None,
    to_block: int | None = None,
    block_range: int = 5000,
    progress: Progress = NO_PROGRESS,
    clock: Callable[[], float] = time.time,
) -> ChainEvidence:
    """The chain evidence of the deployment, from its first block (or ``from_block``).

    Raises:
        SourceUnavailable: The node could not be reached or refused a request.
    """
    w3 = contracts.w3
    url = str(getattr(w3.provider, "endpoint_uri", "the chain node"))
    try:
        return _collect(contracts, from_block, to_block, block_range, progress, clock)
    except (OSError, Web3Exception) as exc:
        raise SourceUnavailable(url, f"{type(exc).__name__}: {exc}") from None


def _collect(
    contracts: ContractSet,
    from_block: int | None,
    to_block: int | None,
    block_range: int,
    progress: Progress,
    clock: Callable[[], float],
) -> ChainEvidence:
    w3 = contracts.w3
    manifest = contracts.manifest
    start = (
        min(c.block_number for c in manifest.contracts.values())
        if from_block is None
        else from_block
    )
    end = int(w3.eth.block_number) if to_block is None else to_block
    task = progress.task("chain events", total=max(1, end - start + 1))
    raw = _logs(contracts, start, end, block_range, task)
    for moves in range(_MOVES + 1):
        grant_ids = [_hex(d.args["grantId"]) for *_, d in raw if d.name == "GrantRequested"]
        try:
            grants = _grants(contracts, grant_ids, end)
            deployment = _deployment(contracts, end)
            break
        except Web3Exception as exc:
            # A snapshot landed after ``end`` was chosen, and the node no longer holds the
            # state at ``end``: the collection moves its end to the new head, reading the
            # events since too, unless the caller chose the block or it keeps happening.
            if not state_not_kept(exc) or to_block is not None or moves == _MOVES:
                raise
            head = int(w3.eth.block_number)
            raw += _logs(contracts, end + 1, head, block_range, task)
            end = head
    blocks = sorted({b for b, _, _, _ in raw} | {end})
    times = _block_times(contracts, blocks)
    events = [
        ChainEvent(
            block=block,
            time=times[block],
            tx=tx,
            log_index=index,
            contract=decoded.contract,
            name=decoded.name,
            args={k: _jsonable(v) for k, v in decoded.args.items()},
        )
        for block, tx, index, decoded in sorted(raw, key=lambda r: (r[0], r[2]))
    ]
    return ChainEvidence(
        chain_id=int(w3.eth.chain_id),
        contracts={
            name: ContractRef(address=rec.address, block_number=rec.block_number)
            for name, rec in manifest.contracts.items()
        },
        from_block=start,
        to_block=end,
        head_time=times[end],
        collected_at_ms=int(clock() * 1000),
        events=events,
        senders=_senders(contracts, sorted({e.tx for e in events})),
        grants=grants,
        deployment=deployment,
    )


def _logs(
    contracts: ContractSet, start: int, end: int, block_range: int, task: Task
) -> list[tuple[int, str, int, Any]]:
    """The deployment's events in blocks ``start``..``end``: (block, tx, log index, event)."""
    w3 = contracts.w3
    addresses = [c.address for c in contracts.by_name.values()]
    raw: list[tuple[int, str, int, Any]] = []
    for lo in range(start, end + 1, block_range):
        hi = min(end, lo + block_range - 1)
        for log in w3.eth.get_logs({"fromBlock": lo, "toBlock": hi, "address": addresses}):
            decoded = contracts.decode_log(log)
            if decoded is None or decoded.name in _SKIPPED:
                continue
            where = (int(log["blockNumber"]), _hex(log["transactionHash"]), int(log["logIndex"]))
            raw.append((*where, decoded))
        task.advance(hi - lo + 1)
    return raw


def _deployment(contracts: ContractSet, block: int) -> DeploymentEvidence:
    """The code at the manifest's addresses, checked offline by the deployment rule."""
    claims = ManifestClaims.of(contracts.manifest)
    return DeploymentEvidence(
        claims=claims, code=read_deployment(contracts.w3, claims.addresses, block)
    )


def _block_times(contracts: ContractSet, blocks: list[int]) -> dict[int, int]:
    times: dict[int, int] = {}
    w3 = contracts.w3
    for chunk in _chunks(blocks, 500):
        with w3.batch_requests() as batch:
            for number in chunk:
                batch.add(w3.eth.get_block(number))
            results = batch.execute()
        for number, block in zip(chunk, results, strict=True):
            found: Any = block
            times[number] = int(found["timestamp"])
    return times


def _senders(contracts: ContractSet, txs: list[str]) -> dict[str, str]:
    senders: dict[str, str] = {}
    w3 = contracts.w3
    for chunk in _chunks(txs, 500):
        with w3.batch_requests() as batch:
            for tx in chunk:
                batch.add(w3.eth.get_transaction(tx))  # type: ignore[arg-type]
            results = batch.execute()
        for tx, result in zip(chunk, results, strict=True):
            found: Any = result
            senders[tx] = str(found["from"])
    return senders


def _grants(contracts: ContractSet, grant_ids: list[str], block: int) -> dict[str, ChainGrant]:
    grants: dict[str, ChainGrant] = {}
    fn = contracts.grants.functions.getGrant
    for gid in grant_ids:
        raw = fn(bytes.fromhex(gid[2:])).call(block_identifier=block)
        record = from_struct(GrantRecord, raw)
        grants[gid] = ChainGrant(
            grant_id=gid,
            owner_pseudonym=_hex(record.owner_pseudonym),
            consumer_id=_hex(record.consumer_id),
            resource_ids=[_hex(r) for r in record.resource_ids],
            purpose=record.purpose,
            data_from=record.data_from,
            data_to=record.data_to,
            not_before=record.not_before,
            not_after=record.not_after,
            max_uses=record.max_uses,
            mode=int(record.mode),
            document_digest=_hex(record.document_digest),
            owner_signature=_hex(record.owner_signature),
        )
    return grants
