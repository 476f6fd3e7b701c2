"""The gas figures a topology is checked against, measured again on the real contracts.

A topology refuses a block gas limit under the anchor of a full gateway batch
(:func:`quancheng_gateway.gas.anchor_gas_bound`); the bound is only as good as its
figures. This measures ``ReceiptLedger.anchorWithUses`` in the costliest shape known: each
entry the provider's resource listed last among a grant's 16 (the longest scan), using the
grant's last use while the other providers already spent theirs (the grant becomes EXHAUSTED
after a check of every resource). Gas is linear in the entries (each entry's work is its
own), so one entry and a few more give the fixed part and the cost per entry; a change of the
contracts that makes either dearer fails here instead of on site.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from quancheng.chain import GrantStatus, Role
from quancheng_gateway.gas import (
    ANCHOR_GAS_FIXED,
    ANCHOR_GAS_PER_ENTRY,
    GATEWAY_BATCH_SIZE,
    anchor_gas_bound,
)
from tests.utils.chain_factories import (
    Member,
    TestNetwork,
    active_grant,
    admit,
    attest_owner,
    deploy_test_network,
    register_resource,
)

pytestmark = [pytest.mark.chain, pytest.mark.slow]

#: Resources of a grant at most (``GrantRegistry.MAX_RESOURCES``).
MAX_RESOURCES = 16
#: Entries of the larger measured anchor.
ENTRIES = 3


def _anchor(net: TestNetwork, member: Member, uses: list[tuple[bytes, bytes, int]]) -> int:
    ledger = net.receipts.functions
    seq = net.contracts.next_seq(member.id)
    args = (member.id, seq, secrets.token_bytes(32), len(uses), ledger.lastRoot(member.id).call())
    fn = ledger.anchorWithUses(*args, b"\x30" * 71, uses)
    return int(net.send(member, fn, gas=30_000_000)["gasUsed"])


@pytest.fixture(scope="module")
def measured(chain_node: Any) -> dict[int, int]:
    """Gas of anchorWithUses with 1 and with ENTRIES entries of the costliest shape."""
    net = deploy_test_network(chain_node.rpc_url, chain_node.dev_private_keys[9])
    provider, other = admit(net, Role.PROVIDER), admit(net, Role.PROVIDER)
    consumer, owner = admit(net, Role.CONSUMER), attest_owner(net)
    theirs = [register_resource(net, other) for _ in range(MAX_RESOURCES - 1)]
    mine = register_resource(net, provider)
    # One grant for the provider's first batch (which also makes its chain head), one for the
    # anchor of one entry, ENTRIES for the larger one.
    grants = [
        active_grant(net, consumer, owner, [*theirs, mine], maxUses=1) for _ in range(2 + ENTRIES)
    ]
    for gid in grants:
        assert net.grants.functions.getGrant(gid).call()[3][-1] == mine  # scanned last
    _anchor(net, provider, [(grants[0], mine, 1)])
    _anchor(net, other, [(g, r, 1) for g in grants for r in theirs])
    gas = {
        1: _anchor(net, provider, [(grants[1], mine, 1)]),
        ENTRIES: _anchor(net, provider, [(g, mine, 1) for g in grants[2:]]),
    }
    assert all(net.contracts.grant_status(g) is GrantStatus.EXHAUSTED for g in grants)
    return gas


def test_an_anchor_of_one_entry_costs_no_more_than_the_fixed_figure(
    measured: dict[int, int],
) -> None:
    assert measured[1] <= ANCHOR_GAS_FIXED


def test_each_further_entry_costs_no_more_than_the_figure_per_entry(
    measured: dict[int, int],
) -> None:
    per_entry = (measured[ENTRIES] - measured[1]) / (ENTRIES - 1)
    assert 0 < per_entry <= ANCHOR_GAS_PER_ENTRY


def test_the_bound_of_a_full_batch_holds_what_the_contracts_measure(
    measured: dict[int, int],
) -> None:
    per_entry = (measured[ENTRIES] - measured[1]) / (ENTRIES - 1)
    full = measured[1] + (GATEWAY_BATCH_SIZE - 1) * per_entry
    assert full < anchor_gas_bound(GATEWAY_BATCH_SIZE) < 60_000_000  # the default gas limit
