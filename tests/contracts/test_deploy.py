"""Deployment: the manifest it writes, and reruns that must not hide a live deployment."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from pydantic import ValidationError

from quancheng.chain import ContractSet, Manifest, ManifestError, make_web3
from quancheng.chain.manifest import CONTRACT_NAMES
from quancheng_node.compile import CompiledArtifacts
from quancheng_node.deploy import FoundingMember, deploy
from quancheng_node.manifest import DeploymentExists
from tests.contracts.conftest import FUNDER_INDEX
from tests.utils.chain_factories import TestNetwork, sm2_key


def _committee(net: TestNetwork) -> list[FoundingMember]:
    return [
        FoundingMember(id=m.code, name=m.code, account=m.address, sm2_public_key=m.sm2_public_key)
        for m in net.committee
    ]


@pytest.fixture
def deployer_key(chain_node) -> str:  # type: ignore[no-untyped-def]
    return str(chain_node.dev_private_keys[FUNDER_INDEX])


def test_deploy_writes_a_manifest_that_loads_back(
    net: TestNetwork,
    chain_node,
    deployer_key: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "manifest.json"
    manifest = deploy(
        chain_node.rpc_url, deployer_key, _committee(net), 2, 3600, manifest_path=path
    )
    assert Manifest.load(path) == manifest
    assert tuple(manifest.contracts) == CONTRACT_NAMES
    artifacts = CompiledArtifacts.load()
    assert manifest.artifacts_digest == artifacts.digest()
    assert manifest.compiler_version == artifacts.compiler_version == "0.8.30+commit.73712a01"
    assert manifest.chain_id == net.w3.eth.chain_id
    assert manifest.deployer == Account.from_key(deployer_key).address
    assert [m.id for m in manifest.founding_committee] == [m.code for m in net.committee]
    blocks = [r.block_number for r in manifest.contracts.values()]
    assert blocks == sorted(blocks)
    for name, record in manifest.contracts.items():
        receipt = net.w3.eth.get_transaction_receipt(record.tx_hash)
        assert receipt["contractAddress"] == record.address, name
        assert record.abi == artifacts.contracts[name].abi
    chain = ContractSet(make_web3(chain_node.rpc_url), manifest)
    assert chain.grants.functions.registry().call() == manifest.address_of("ConsortiumRegistry")
    assert chain.grants.functions.catalogue().call() == manifest.address_of("DataCatalogue")
    assert chain.grants.functions.ownerRegistry().call() == manifest.address_of("OwnerRegistry")
    assert chain.receipts.functions.registry().call() == manifest.address_of("ConsortiumRegistry")
    assert chain.registry.functions.votingPeriod().call() == 3600


def test_rerun_with_the_same_inputs_returns_the_live_deployment(
    net: TestNetwork,
    chain_node,
    deployer_key: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "manifest.json"
    first = deploy(chain_node.rpc_url, deployer_key, _committee(net), 2, 3600, manifest_path=path)
    block = net.w3.eth.block_number
    again = deploy(chain_node.rpc_url, deployer_key, _committee(net), 2, 3600, manifest_path=path)
    assert again == first
    assert net.w3.eth.block_number == block  # nothing was sent


def test_rerun_with_other_parameters_does_not_replace_a_live_deployment(
    net: TestNetwork,
    chain_node,
    deployer_key: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "manifest.json"
    first = deploy(chain_node.rpc_url, deployer_key, _committee(net), 2, 3600, manifest_path=path)
    with pytest.raises(DeploymentExists, match="different live deployment"):
        deploy(chain_node.rpc_url, deployer_key, _committee(net), 3, 3600, manifest_path=path)
    assert Manifest.load(path) == first
    forced = deploy(
        chain_node.rpc_url, deployer_key, _committee(net), 3, 3600, manifest_path=path, force=True
    )
    assert forced.threshold == 3 and Manifest.load(path) == forced


def test_manifest_of_another_chain_is_kept_unless_forced(
    net: TestNetwork,
    chain_node,
    deployer_key: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "manifest.json"
    elsewhere = deploy(chain_node.rpc_url, deployer_key, _committee(net), 2, 3600)
    elsewhere.model_copy(update={"chain_id": 1}).save(path)
    with pytest.raises(DeploymentExists, match="chain 1") as exc:
        deploy(chain_node.rpc_url, deployer_key, _committee(net), 2, 3600, manifest_path=path)
    assert exc.value.code == "DEPLOYMENT_EXISTS"
    assert Manifest.load(path).chain_id == 1
    replaced = deploy(
        chain_node.rpc_url, deployer_key, _committee(net), 2, 3600, manifest_path=path, force=True
    )
    assert Manifest.load(path).chain_id == replaced.chain_id == net.w3.eth.chain_id


def test_stale_manifest_of_a_reset_chain_is_replaced(
    net: TestNetwork,
    chain_node,
    deployer_key: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "manifest.json"
    live = deploy(chain_node.rpc_url, deployer_key, _committee(net), 2, 3600)
    gone = {
        name: record.model_copy(update={"address": Account.create().address})
        for name, record in live.contracts.items()
    }
    live.model_copy(update={"contracts": gone}).save(path)
    fresh = deploy(chain_node.rpc_url, deployer_key, _committee(net), 2, 3600, manifest_path=path)
    assert fresh.contracts["GrantRegistry"].address != gone["GrantRegistry"].address
    assert Manifest.load(path) == fresh


def test_invalid_manifest_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    with pytest.raises(ManifestError, match="no manifest"):
        Manifest.load(path)
    path.write_text('{"chain_id": 1}')
    with pytest.raises(ManifestError, match="not a valid manifest"):
        Manifest.load(path)


@pytest.mark.parametrize(
    ("field", "value"),
    [("sm2_public_key", b"\x04" * 64), ("sm2_public_key", b"\x02" + b"\x01" * 64),
     ("id", ""), ("id", "x" * 33), ("id", "有中文"), ("account", "0x1234")],
)  # fmt: skip
def test_founding_member_is_validated(field: str, value: object) -> None:
    fields: dict[str, object] = {
        "id": "jinan.bdb", "name": "济南市大数据局",
        "account": Account.create().address, "sm2_public_key": sm2_key().public_key().to_bytes(),
    }  # fmt: skip
    FoundingMember.model_validate(fields)
    with pytest.raises(ValidationError):
        FoundingMember.model_validate({**fields, field: value})
