"""The largest transaction a gateway sends, against a network's block gas limit.

A gateway anchors each batch of receipts with the uses they record in one transaction,
``ReceiptLedger.anchorWithUses``: at most one use entry per receipt, so a full batch of
``QC_GW_BATCH_SIZE`` receipts is the largest transaction of the system. A block gas limit
under it would make anchoring fail on site, for good, so a topology refuses it.

The figures below were measured on the real contracts, and ``tests/node/test_topology_gas.py``
measures them again (it fails when a contract change makes them stale). Gas grows linearly in
the entries: each entry checks its grant, finds its resource in the grant's list and writes
its counter, whatever the other entries did.
"""

from __future__ import annotations

import math

__all__ = [
    "ANCHOR_GAS_FIXED",
    "ANCHOR_GAS_MARGIN",
    "ANCHOR_GAS_PER_ENTRY",
    "GATEWAY_BATCH_SIZE",
    "anchor_gas_bound",
    "largest_batch",
]

#: ``QC_GW_BATCH_SIZE``'s default (``apps/gateway/quancheng_gateway/core/config.py``).
GATEWAY_BATCH_SIZE = 256
# Measured 2026-12-06 on the local node (Cancun), the costliest shape known: every entry of
# another grant of 16 resources (``GrantRegistry.MAX_RESOURCES``), the provider's listed last
# (the longest scan), taking the grant's last use after the other providers spent theirs (so
# the registry checks every resource and marks the grant EXHAUSTED). An anchor of 1 entry used
# 427,129 gas, of 12 entries 2,191,691: 160,415 per further entry, so a full batch of 256
# ~41.3 M. The shape ``benchmarks/gas_bench.py`` reports (16 grants x 16 resources, nothing
# exhausted) measured 9,937,004 gas for 256 entries: about a fifth of the bound.
# ``tests/node/test_topology_gas.py`` measures the same shape again on every run. Both figures
# are rounded up to the next thousand: ids and roots are random, and calldata costs 16 gas a
# byte but 4 a zero byte, so a run varies by up to 12 gas per zero byte. The test's 3-entry
# anchor measured 157,605-157,617 per further entry in six runs alone (2026-12-07), and once
# 161,806 within the whole suite's run on the shared node (8,400 gas more for the 3 entries:
# four cold storage reads' worth, cause not found); the figure per entry is that run's,
# rounded up with the same headroom. Should a batch ever need more than the bound, the anchor's
# ``eth_call`` runs out of gas and the anchorer signs it with the node's estimate instead.
#: Gas of an ``anchorWithUses`` of 1 entry (a provider's later batch; its first also makes
#: its chain head): measured 427,129.
ANCHOR_GAS_FIXED = 428_000
#: Gas of each further entry: measured 157,605-161,806 (above).
ANCHOR_GAS_PER_ENTRY = 163_000
#: Headroom over the measured figures (a contract or compiler change, another client's pricing).
ANCHOR_GAS_MARGIN = 1.2


def anchor_gas_bound(batch_size: int) -> int:
    """Upper bound of the gas of one ``anchorWithUses`` of ``batch_size`` receipts.

    Raises:
        ValueError: ``batch_size`` is below 1.
    """
    if batch_size < 1:
        raise ValueError(f"batch size {batch_size}: a batch holds at least 1 receipt")
    measured = ANCHOR_GAS_FIXED + (batch_size - 1) * ANCHOR_GAS_PER_ENTRY
    return math.ceil(measured * ANCHOR_GAS_MARGIN)


def largest_batch(gas_limit: int) -> int:
    """The largest batch whose anchor fits in a block of ``gas_limit`` (0: not even one)."""
    spare = gas_limit / ANCHOR_GAS_MARGIN - ANCHOR_GAS_FIXED
    if spare < 0:
        return 0
    size = 1 + int(spare // ANCHOR_GAS_PER_ENTRY)
    while size > 0 and anchor_gas_bound(size) > gas_limit:  # float rounding at the edge
        size -= 1
    return size
