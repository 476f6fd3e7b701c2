"""The contracts at a manifest's addresses are checked against the build, not taken on trust:
code (immutables masked), the immutables' values and the ledger bound to the grant registry."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from quancheng.chain import make_web3
from quancheng.chain.manifest import Manifest
from quancheng_node.compile import CompiledArtifacts, ImmutableReference
from quancheng_node.deploy import deploy
from quancheng_node.deployed import (
    IMMUTABLES,
    DeployedCode,
    ManifestClaims,
    Mismatch,
    MismatchKind,
    check_deployment,
)
from quancheng_node.manifest import DeploymentMismatch, verify_deployment
from tests.node.deployments import (
    DEPLOYER_INDEX,
    VOTING_PERIOD,
    deploy_clean,
    deploy_with_rogue_ledger,
    founders,
    pointing,
)

ARTIFACTS = CompiledArtifacts.load()
CODE, WIRING = MismatchKind.CODE, MismatchKind.WIRING


# ------------------------------------------------------------------------ offline checks


def _claims() -> ManifestClaims:
    return ManifestClaims(
        addresses={name: Account.create().address for name in ARTIFACTS.contracts},
        deployer=Account.create().address,
        voting_period=VOTING_PERIOD,
    )


def _as_deployed(claims: ManifestClaims, artifacts: CompiledArtifacts = ARTIFACTS) -> DeployedCode:
    """The build's code with its immutables filled in as the claims say: an honest deployment."""
    codes = {}
    for name, artifact in artifacts.contracts.items():
        code = bytearray.fromhex(artifact.deployed_bytecode[2:])
        for variable, places in artifact.immutable_references.items():
            word, _ = claims.word(IMMUTABLES[(name, variable)][1])
            for p in places:
                code[p.start : p.start + p.length] = word
        codes[name] = "0x" + code.hex()
    ledger = "0x" + claims.word("ReceiptLedger")[0].hex()
    return DeployedCode(block=1, codes=codes, storage={"GrantRegistry.receiptLedger()": ledger})


def test_every_immutable_of_the_build_has_the_value_it_must_hold() -> None:
    named = {(n, v) for n, a in ARTIFACTS.contracts.items() for v in a.immutable_references}
    assert named == set(IMMUTABLES)
    refs = ARTIFACTS.contracts["ReceiptLedger"].immutable_references
    assert set(refs) == {"_registry", "_grants"}
    code = bytes.fromhex(ARTIFACTS.contracts["ReceiptLedger"].deployed_bytecode[2:])
    for place in (p for places in refs.values() for p in places):
        assert place.length == 32 and code[place.start : place.start + 32] == bytes(32)


def test_the_build_filled_in_as_the_manifest_claims_verifies() -> None:
    claims = _claims()
    assert check_deployment(_as_deployed(claims), claims, ARTIFACTS) == []


def test_one_changed_byte_of_code_is_other_code() -> None:
    claims = _claims()
    observed = _as_deployed(claims)
    code = observed.codes["OwnerRegistry"]
    flipped = code[:4] + ("00" if code[4:6] != "00" else "01") + code[6:]
    codes = {**observed.codes, "OwnerRegistry": flipped}
    [m] = check_deployment(observed.model_copy(update={"codes": codes}), claims, ARTIFACTS)
    assert (m.contract, m.kind, m.what) == ("OwnerRegistry", CODE, "runtime code")
    assert m.expected.startswith("the build's OwnerRegistry (")
    assert m.found.startswith("other code (")


def test_an_unbound_or_unreadable_ledger_is_a_wiring_mismatch() -> None:
    claims = _claims()
    observed = _as_deployed(claims)
    ledger = claims.addresses["ReceiptLedger"]
    for stored, found in (("0x" + "00" * 32, "zero"), (None, "the call failed")):
        tampered = observed.model_copy(
            update={"storage": {"GrantRegistry.receiptLedger()": stored}}
        )
        assert check_deployment(tampered, claims, ARTIFACTS) == [
            Mismatch(
                contract="GrantRegistry",
                kind=WIRING,
                what="receiptLedger()",
                expected=f"ReceiptLedger {ledger}",
                found=found,
            )
        ]


def test_an_immutable_nobody_said_what_it_holds_fails_closed() -> None:
    claims = _claims()
    sm2 = ARTIFACTS.contracts["Sm2Verifier"]
    extra = {"_new": [ImmutableReference(start=0, length=32)]}
    contracts = {
        **ARTIFACTS.contracts,
        "Sm2Verifier": sm2.model_copy(update={"immutable_references": extra}),
    }
    artifacts = ARTIFACTS.model_copy(update={"contracts": contracts})
    [m] = check_deployment(_as_deployed(claims), claims, artifacts)
    assert (m.contract, m.kind, m.what, m.expected) == (
        "Sm2Verifier",
        WIRING,
        "immutable _new",
        "an entry in IMMUTABLES",
    )


# ------------------------------------------------------------------- deployments on chain


@pytest.fixture(scope="module")
def deployer_key(chain_node: Any) -> str:
    return str(chain_node.dev_private_keys[DEPLOYER_INDEX])


@pytest.fixture(scope="module")
def w3(chain_node: Any) -> Web3:
    return make_web3(chain_node.rpc_url)


@pytest.fixture(scope="module")
def clean(chain_node: Any, deployer_key: str) -> Manifest:
    return deploy_clean(chain_node.rpc_url, deployer_key)


def test_a_clean_deployment_verifies(w3: Web3, clean: Manifest) -> None:
    assert verify_deployment(w3, clean) == []
    assert verify_deployment(w3, clean, ARTIFACTS) == []


def test_a_manifest_naming_the_sm2_verifier_as_grant_registry_is_flagged(
    w3: Web3, clean: Manifest
) -> None:
    sm2 = clean.address_of("Sm2Verifier")
    code, wiring = verify_deployment(w3, pointing(clean, "GrantRegistry", "Sm2Verifier"))
    assert (code.contract, code.kind, code.what) == ("GrantRegistry", CODE, "runtime code")
    assert code.expected.startswith("the build's GrantRegistry (")
    assert code.found == "the build's Sm2Verifier"
    # The real ledger names the real grant registry, not what the manifest says.
    assert wiring == Mismatch(
        contract="ReceiptLedger",
        kind=WIRING,
        what="grantRegistry() (immutable _grants)",
        expected=f"GrantRegistry {sm2}",
        found=clean.address_of("GrantRegistry"),
    )


def test_swapped_contracts_are_each_named(w3: Web3, clean: Manifest) -> None:
    contracts = dict(clean.contracts)
    contracts["DataCatalogue"], contracts["OwnerRegistry"] = (
        contracts["OwnerRegistry"],
        contracts["DataCatalogue"],
    )
    swapped = clean.model_copy(update={"contracts": contracts})
    found = {(m.contract, m.kind, m.what): m.found for m in verify_deployment(w3, swapped)}
    assert found == {
        ("DataCatalogue", CODE, "runtime code"): "the build's OwnerRegistry",
        ("OwnerRegistry", CODE, "runtime code"): "the build's DataCatalogue",
        ("GrantRegistry", WIRING, "catalogue() (immutable _catalogue)"): (
            f"OwnerRegistry {clean.address_of('DataCatalogue')}"
        ),
        ("GrantRegistry", WIRING, "ownerRegistry() (immutable _owners)"): (
            f"DataCatalogue {clean.address_of('OwnerRegistry')}"
        ),
    }


def test_an_address_without_code_is_flagged(w3: Web3, clean: Manifest) -> None:
    nowhere = Account.create().address
    contracts = dict(clean.contracts)
    contracts["ReceiptLedger"] = contracts["ReceiptLedger"].model_copy(update={"address": nowhere})
    mismatches = verify_deployment(w3, clean.model_copy(update={"contracts": contracts}))
    assert [(m.contract, m.kind, m.what, m.found) for m in mismatches] == [
        ("GrantRegistry", WIRING, "receiptLedger()", clean.address_of("ReceiptLedger")),
        ("ReceiptLedger", CODE, "runtime code", "no code"),
    ]


def test_a_deployer_or_voting_period_the_code_contradicts_is_flagged(
    w3: Web3, clean: Manifest
) -> None:
    other = Account.create().address
    claimed = clean.model_copy(update={"deployer": other, "voting_period": 2 * VOTING_PERIOD})
    assert verify_deployment(w3, claimed) == [
        Mismatch(
            contract="ConsortiumRegistry",
            kind=WIRING,
            what="votingPeriod() (immutable _votingPeriod)",
            expected=str(2 * VOTING_PERIOD),
            found=str(VOTING_PERIOD),
        ),
        Mismatch(
            contract="GrantRegistry",
            kind=WIRING,
            what="immutable _deployer",
            expected=f"deployer {other}",
            found=clean.deployer,
        ),
    ]


def test_a_grant_registry_bound_to_a_rogue_ledger_is_a_wiring_mismatch(
    chain_node: Any, w3: Web3, deployer_key: str
) -> None:
    manifest, rogue = deploy_with_rogue_ledger(chain_node.rpc_url, deployer_key)
    assert verify_deployment(w3, manifest) == [
        Mismatch(
            contract="GrantRegistry",
            kind=WIRING,
            what="receiptLedger()",
            expected=f"ReceiptLedger {manifest.address_of('ReceiptLedger')}",
            found=rogue,
        )
    ]


# ------------------------------------------------------------- deploy over a manifest


def test_redeploy_over_a_manifest_whose_code_does_not_match_is_refused(
    chain_node: Any, w3: Web3, deployer_key: str, tmp_path: Path
) -> None:
    members, path = founders(), tmp_path / "manifest.json"
    honest = deploy(chain_node.rpc_url, deployer_key, members, 1, VOTING_PERIOD, manifest_path=path)
    pointing(honest, "GrantRegistry", "Sm2Verifier").save(path)
    block = w3.eth.block_number
    with pytest.raises(DeploymentMismatch) as caught:
        deploy(chain_node.rpc_url, deployer_key, members, 1, VOTING_PERIOD, manifest_path=path)
    assert caught.value.code == "DEPLOYMENT_MISMATCH"
    assert [(m.contract, m.kind) for m in caught.value.mismatches] == [
        ("GrantRegistry", CODE),
        ("ReceiptLedger", WIRING),
    ]
    assert "GrantRegistry runtime code: expected the build's GrantRegistry" in str(caught.value)
    assert "--force" in str(caught.value)
    assert w3.eth.block_number == block  # nothing was sent
    fresh = deploy(
        chain_node.rpc_url, deployer_key, members, 1, VOTING_PERIOD, manifest_path=path, force=True
    )
    assert Manifest.load(path) == fresh and verify_deployment(w3, fresh) == []


def test_redeploy_over_a_rogue_ledger_deployment_is_refused(
    chain_node: Any, deployer_key: str, tmp_path: Path
) -> None:
    members, path = founders(), tmp_path / "manifest.json"
    manifest, rogue = deploy_with_rogue_ledger(chain_node.rpc_url, deployer_key, members)
    manifest.save(path)
    with pytest.raises(DeploymentMismatch) as caught:
        deploy(chain_node.rpc_url, deployer_key, members, 1, VOTING_PERIOD, manifest_path=path)
    [m] = caught.value.mismatches
    assert (m.contract, m.what, m.found) == ("GrantRegistry", "receiptLedger()", rogue)


def test_a_clean_manifest_is_reused_after_verifying(
    chain_node: Any, w3: Web3, deployer_key: str, tmp_path: Path
) -> None:
    members, path = founders(), tmp_path / f"{secrets.token_hex(4)}.json"
    first = deploy(chain_node.rpc_url, deployer_key, members, 1, VOTING_PERIOD, manifest_path=path)
    block = w3.eth.block_number
    again = deploy(chain_node.rpc_url, deployer_key, members, 1, VOTING_PERIOD, manifest_path=path)
    assert again == first and w3.eth.block_number == block
