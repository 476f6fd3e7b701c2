"""A node snapshot landing while the auditor collects does not fail the audit, nor fake a finding.

The node's archive keeps each account's and slot's state from the snapshot that last wrote it:
once a snapshot lands after the collection chose its last block, reads at that block of what
the epoch touched are refused (``ARCHIVE_STATE_NOT_KEPT``).  The collection then reads on to
the new head; a caller who named the block gets the refusal, clearly.
"""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3
from web3.types import Wei

from quancheng.chain import ContractSet
from quancheng_audit import audit
from quancheng_audit.collect_chain import collect_chain
from quancheng_audit.errors import SourceUnavailable
from quancheng_node.errors import STATE_NOT_KEPT
from tests.audit.trail import Trail


class _SnapshotMidway:
    """Progress that, on the first page of events, makes the chain move on and snapshots it."""

    def __init__(self, chain_node: Any, w3: Web3, touched: str) -> None:
        self.chain_node, self.w3, self.touched = chain_node, w3, touched
        self.end: int | None = None  # the block the collection had chosen as its last

    def task(self, description: str, total: int) -> _SnapshotMidway:
        return self

    def advance(self, amount: int = 1) -> None:
        if self.end is not None:
            return
        self.end = int(self.w3.eth.block_number)
        me = self.w3.eth.accounts[0]
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_transaction({"from": me, "to": me, "value": Wei(1)})
        )
        assert receipt["status"] == 1
        # The new network fetches the registry from the archive: the snapshot rewrites it.
        assert self.w3.eth.get_code(Web3.to_checksum_address(self.touched)) != b""
        assert self.chain_node.node.snapshot() is not None


def test_a_snapshot_during_collection_moves_its_end_to_the_new_head(
    chain_node: Any, trail: Trail
) -> None:
    net = trail.sc.net
    contracts = ContractSet(net.w3, net.manifest)
    registry = contracts.grants.address
    midway = _SnapshotMidway(chain_node, net.w3, registry)
    evidence = collect_chain(contracts, progress=midway)
    assert midway.end is not None
    # The move was needed: the state at the chosen block is gone from the node.
    with pytest.raises(Exception, match=STATE_NOT_KEPT):
        net.w3.eth.get_code(registry, midway.end)
    assert evidence.to_block > midway.end
    assert evidence.deployment is not None and evidence.deployment.code.block == evidence.to_block
    assert evidence.grants.keys() == trail.chain.grants.keys() != set()
    assert evidence.grants == trail.chain.grants  # stored terms do not change
    report = audit(evidence, trail.logs, trail.config)
    assert [f.line() for f in report.findings if f.area == "deployment"] == []


def test_a_block_named_by_the_caller_is_refused_when_the_node_no_longer_holds_it(
    chain_node: Any, trail: Trail
) -> None:
    net = trail.sc.net
    contracts = ContractSet(net.w3, net.manifest)
    midway = _SnapshotMidway(chain_node, net.w3, contracts.grants.address)
    midway.advance()
    assert midway.end is not None
    with pytest.raises(SourceUnavailable, match=STATE_NOT_KEPT):
        collect_chain(contracts, to_block=midway.end)
