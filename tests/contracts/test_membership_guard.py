"""Every write of every contract refuses an account that belongs to no institution.

The list of writes comes from the ABIs, so a new write function is covered (and must be
refused) without anyone remembering to add it here.
"""

from __future__ import annotations

from typing import Any

import pytest

from quancheng.chain.abi import ABIS
from quancheng.chain.errors import (
    ConsortiumRegistryRoleManagedByVote,
    ConsortiumRegistryUnknownAccount,
    GrantRegistryCallerNotLedger,
    GrantRegistryNotDeployer,
    RevertError,
)
from tests.utils.chain_factories import TestNetwork, fresh_account

#: AccessControl's role management is disabled for everyone, members included.
DISABLED = {"grantRole", "revokeRole", "renounceRole"}
#: Wiring between contracts: guarded by who deployed them and which ledger is bound, not by
#: membership (no member may call them either).
WIRING: dict[str, type[RevertError]] = {
    "bindLedger": GrantRegistryNotDeployer,
    "recordUsesFrom": GrantRegistryCallerNotLedger,
}

WRITES = sorted(
    (contract, entry["name"])
    for contract, abi in ABIS.items()
    for entry in abi
    if entry["type"] == "function" and entry["stateMutability"] in ("nonpayable", "payable")
)


def _dummy(entry: dict[str, Any], account: str) -> Any:
    kind = entry["type"]
    if kind.endswith("[]"):
        return [_dummy({**entry, "type": kind[:-2]}, account)]
    if kind == "tuple":
        return tuple(_dummy(c, account) for c in entry["components"])
    if kind == "address":
        return account
    if kind == "bytes32":
        return b"\x01" * 32
    if kind == "bytes":
        return b"\x04" + b"\x01" * 64
    if kind == "string":
        return "x"
    if kind == "bool":
        return True
    if kind.startswith(("uint", "int")):
        return 1
    raise AssertionError(f"no dummy value for {kind}")


def test_every_contract_has_writes_to_guard() -> None:
    # The SM2/SM3 verifier is stateless: it has nothing to guard.
    assert {contract for contract, _ in WRITES} == set(ABIS) - {"Sm2Verifier"}


@pytest.mark.parametrize(("contract", "function"), WRITES, ids=[f"{c}.{f}" for c, f in WRITES])
def test_write_by_an_account_of_no_institution_is_refused(
    net: TestNetwork, contract: str, function: str
) -> None:
    stranger = fresh_account(net)
    web3_contract = net.contracts.by_name[contract]
    entry = next(
        e for e in web3_contract.abi if e.get("name") == function and e["type"] == "function"
    )
    args = [_dummy(i, stranger.address) for i in entry["inputs"]]
    fn = getattr(web3_contract.functions, function)(*args)
    if function in DISABLED:
        with pytest.raises(ConsortiumRegistryRoleManagedByVote):
            net.send(stranger, fn)
        return
    if function in WIRING:
        with pytest.raises(WIRING[function]) as wired:
            net.send(stranger, fn)
        assert wired.value.caller == stranger.address
        return
    with pytest.raises(ConsortiumRegistryUnknownAccount) as exc:
        net.send(stranger, fn)
    assert exc.value.account == stranger.address


def test_refused_transaction_mined_anyway_is_reported_with_its_error(net: TestNetwork) -> None:
    """With an explicit gas limit nothing is estimated: the revert comes from the mined tx."""
    stranger = fresh_account(net)
    block = net.w3.eth.block_number
    with pytest.raises(ConsortiumRegistryUnknownAccount) as exc:
        net.send(stranger, net.registry.functions.proposeThreshold(1), gas=300_000)
    assert exc.value.account == stranger.address
    assert net.w3.eth.block_number > block  # it was mined, and failed
    assert net.w3.eth.get_transaction_count(stranger.address) == 1
