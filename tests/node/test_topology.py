"""The generated Besu QBFT network: well-formed, consistent everywhere, and deterministic.

Besu itself cannot run here, so every file is parsed as Besu would read it (TOML, JSON) and
cross-checked independently of the generator: validators are recovered from ``extraData``
and from the key files, enodes from the keys, and the RLP is checked against the examples
Besu's documentation publishes.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from eth_keys.datatypes import PrivateKey
from pydantic import ValidationError

from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.gas import GATEWAY_BATCH_SIZE, anchor_gas_bound, largest_batch
from quancheng_node.compile import SETTINGS
from quancheng_node.deployment import (
    MembersFile,
    TopologyError,
    TopologySpec,
    check_topology,
    decode_qbft_extra_data,
    encode_qbft_extra_data,
    generate_topology,
    read_env,
)
from quancheng_node.deployment.spec import CONTRACTS_EVM

ROOT = Path(__file__).resolve().parents[2]
QUANCHENG = str(ROOT / ".venv" / "bin" / "quancheng")
EXAMPLE = ROOT / "deploy" / "example"

# Besu docs, "Configure QBFT consensus" → Extra data: `besu rlp encode --type=QBFT_EXTRA_DATA`.
DOC_VALIDATORS = [
    "0x4592c8e45706cc08b8f44b11e43cba0cfc5892cb",
    "0x06e23768a0f59cf365e18c2e0c89e151bcdedc70",
    "0xc5327f96ee02d7bcbc1bf1236b8c15148971e1de",
    "0xab5e7f4061c605820d3744227eed91ff8e2c8908",
]
DOC_EXTRA_DATA = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f854944592c8e457"
    "06cc08b8f44b11e43cba0cfc5892cb9406e23768a0f59cf365e18c2e0c89e151bcdedc7094c5327f96ee02d7"
    "bcbc1bf1236b8c15148971e1de94ab5e7f4061c605820d3744227eed91ff8e2c8908c080c0"
)
# The same page's contract-validator genesis (no validators in extraData) and the IBFT 2.0
# genesis of "Genesis file" (round as 4 bytes, one validator): not a QBFT genesis.
DOC_CONTRACT_MODE = "0xe5a0" + "00" * 32 + "c0c080c0"
DOC_IBFT2 = "0xf83ea0" + "00" * 32 + "d5949811ebc35d7b06b3fa8dc5809a1f9c52751e1deb808400000000c0"

MEMBERS: dict[str, Any] = {
    "deployer": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "members": [
        {"id": "jinan.bdb", "name": "济南市大数据局", "role": "COMMITTEE",
         "account": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"},
        {"id": "jinan.vmo", "name": "车管所", "role": "PROVIDER",
         "account": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
         "department": "quancheng_insurance.departments:vehicle"},
        {"id": "bank.quancheng", "name": "泉城普惠银行", "role": "CONSUMER",
         "account": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"},
    ],
}  # fmt: skip
CHAIN_ID, GAS_LIMIT = 7716, 55_555_555


def spec(**overrides: Any) -> TopologySpec:
    values: dict[str, Any] = {
        "chain_id": CHAIN_ID,
        "gas_limit": GAS_LIMIT,
        "block_period_seconds": 3,
        "genesis_timestamp": 1_767_225_600,
        "seed": "test-topology",
        "members": MembersFile.model_validate(MEMBERS),
    }
    values.update(overrides)
    return TopologySpec(**values)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("topology") / "net"
    generate_topology(spec(), target)
    return target


def _toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _node_dirs(out: Path) -> list[Path]:
    return sorted((out / "nodes").iterdir())


def _key_of(node_dir: Path) -> PrivateKey:
    return PrivateKey(bytes.fromhex((node_dir / "key").read_text().strip()[2:]))


# --------------------------------------------------------------------------------- extraData


def test_extra_data_reproduces_besus_published_examples() -> None:
    assert encode_qbft_extra_data(DOC_VALIDATORS, sort=False) == DOC_EXTRA_DATA
    assert [a.lower() for a in decode_qbft_extra_data(DOC_EXTRA_DATA)] == DOC_VALIDATORS
    assert decode_qbft_extra_data(DOC_CONTRACT_MODE) == []
    # Sorted (as Besu's docs ask), the same validators give another but equally valid list.
    assert [a.lower() for a in decode_qbft_extra_data(encode_qbft_extra_data(DOC_VALIDATORS))] == (
        sorted(DOC_VALIDATORS)
    )


@pytest.mark.parametrize("extra", [DOC_IBFT2, "0x80", "0xzz"])
def test_extra_data_that_is_not_a_qbft_genesis_is_refused(extra: str) -> None:
    with pytest.raises(TopologyError):
        decode_qbft_extra_data(extra)


def test_extra_data_names_exactly_the_validator_nodes_keys(out: Path) -> None:
    genesis = _json(out / "genesis.json")
    validators = decode_qbft_extra_data(genesis["extraData"])
    from_keys = [
        _key_of(d).public_key.to_checksum_address()
        for d in _node_dirs(out)
        if d.name.startswith("validator-")
    ]
    assert len(validators) == 4 and validators == sorted(from_keys, key=str.lower)
    assert _json(out / "topology.json")["validators"] == validators


# ------------------------------------------------------------------------------ consistency


def test_every_enode_is_a_node_key_and_every_node_is_allowlisted(out: Path) -> None:
    enodes = {}
    for d in _node_dirs(out):
        config = _toml(d / "config.toml")
        node_id = bytes(_key_of(d).public_key.to_bytes()).hex()
        assert (d / "key.pub").read_text().strip() == "0x" + node_id
        assert (d / "key").stat().st_mode & 0o777 == 0o600
        enodes[d.name] = f"enode://{node_id}@{config['p2p-host']}:{config['p2p-port']}"
    allowlist = set(_toml(out / "permissions_config.toml")["nodes-allowlist"])
    assert allowlist == set(enodes.values())
    for d in _node_dirs(out):
        config = _toml(d / "config.toml")
        assert set(_json(d / "static-nodes.json")) == allowlist - {enodes[d.name]}
        validators = {v for k, v in enodes.items() if k.startswith("validator-") and k != d.name}
        assert set(config["bootnodes"]) == validators  # bootnodes must be allowlisted (Besu)
        assert (d / "permissions_config.toml").read_bytes() == (
            out / "permissions_config.toml"
        ).read_bytes()


def test_every_member_and_the_deployer_are_allowlisted_and_prefunded(out: Path) -> None:
    accounts = {MEMBERS["deployer"].lower()} | {m["account"].lower() for m in MEMBERS["members"]}
    assert set(_toml(out / "permissions_config.toml")["accounts-allowlist"]) == accounts
    alloc = _json(out / "genesis.json")["alloc"]
    assert {"0x" + a for a in alloc} == accounts
    assert all(int(v["balance"], 16) > 0 for v in alloc.values())


def test_chain_id_and_gas_limit_agree_in_genesis_configs_and_env_files(out: Path) -> None:
    genesis = _json(out / "genesis.json")
    assert genesis["config"]["chainId"] == CHAIN_ID and int(genesis["gasLimit"], 16) == GAS_LIMIT
    assert genesis["config"]["qbft"] == {
        "blockperiodseconds": 3,
        "epochlength": 30_000,
        "requesttimeoutseconds": 6,
    }
    assert genesis["config"]["zeroBaseFee"] is True and genesis["baseFeePerGas"] == "0x0"
    assert genesis["config"]["cancunTime"] == 0 and genesis["config"]["shanghaiTime"] == 0
    for d in _node_dirs(out):
        assert _json(d / "genesis.json") == genesis
        assert f"chain {CHAIN_ID}" in (d / "config.toml").read_text()
    envs = sorted((out / "env").glob("*.env"))
    assert {p.name for p in envs} >= {"gateway.jinan.vmo.env", "portal.env", "localnode.env"}
    for path in envs:
        header = path.read_text().splitlines()[1]
        assert f"chain {CHAIN_ID}:" in header and f"block gas limit {GAS_LIMIT}," in header
    local = read_env(out / "env" / "localnode.env")
    assert local == {
        "QC_NODE_CHAIN_ID": str(CHAIN_ID),
        "QC_NODE_BLOCK_TIME_S": "3",  # the local rehearsal seals like the network
        "QC_NODE_BLOCK_GAS_LIMIT": str(GAS_LIMIT),
        "QC_NODE_HARDFORK": "cancun",
    }


def test_gateways_reach_an_rpc_node_and_validators_keep_rpc_on_loopback(out: Path) -> None:
    topo = _json(out / "topology.json")
    rpc = next(n for n in topo["nodes"] if n["name"] == "rpc-1")
    env = read_env(out / "env" / "gateway.jinan.vmo.env")
    assert (env["QC_GW_RPC_URL"], env["QC_GW_WS_URL"]) == (rpc["rpc_url"], rpc["ws_url"])
    assert env["QC_GW_DATABASE_URL"].startswith("postgresql+psycopg://qc_gw_jinan_vmo@")
    assert not any(k.startswith("QC_NODE_") for k in env)
    assert "QC_GW_CHAIN_PRIVATE_KEY" not in env and "QC_GW_PSEUDONYM_KEY" not in env
    assert float(env["QC_GW_CHAIN_TIMEOUT_S"]) > 3 + 6  # a block period and a round change
    ports = set()
    for d in _node_dirs(out):
        c = _toml(d / "config.toml")
        assert (c["sync-mode"], c["data-storage-format"], c["min-gas-price"]) == (
            "FULL",
            "FOREST",
            0,
        )
        assert c["rpc-http-api"][:5] == ["ETH", "NET", "WEB3", "QBFT", "TXPOOL"]
        loopback = d.name.startswith("validator-")
        assert c["rpc-http-host"] == ("127.0.0.1" if loopback else c["p2p-host"])
        assert ("PERM" in c["rpc-http-api"]) is loopback  # operators only, never to gateways
        ports |= {(c["p2p-port"],), (c["rpc-http-port"],), (c["rpc-ws-port"],)}
    assert len(ports) == 3 * 5  # five nodes on one host: no port used twice


def test_without_rpc_nodes_validators_serve_clients_on_their_own_hosts(tmp_path: Path) -> None:
    hosts = ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")
    generate_topology(spec(rpc_nodes=0, hosts=hosts, storage="BONSAI"), tmp_path / "net")
    configs = [_toml(d / "config.toml") for d in _node_dirs(tmp_path / "net")]
    assert [c["rpc-http-host"] for c in configs] == list(hosts)
    assert all(c["rpc-http-api"] == ["ETH", "NET", "WEB3", "QBFT", "TXPOOL"] for c in configs)
    assert {(c["p2p-port"], c["rpc-http-port"], c["rpc-ws-port"]) for c in configs} == {
        (30303, 8545, 8546)  # one node per host: Besu's default ports
    }
    assert all(c["bonsai-limit-trie-logs-enabled"] is False for c in configs)  # FULL sync
    env = read_env(tmp_path / "net" / "env" / "gateway.jinan.vmo.env")
    assert env["QC_GW_RPC_URL"] in {f"https://{h}:8545" for h in hosts}
    assert all(c["rpc-http-tls-enabled"] is True for c in configs)  # they serve clients: TLS
    assert check_topology(tmp_path / "net").ok


def test_same_seed_gives_the_same_files_and_no_seed_fresh_keys(tmp_path: Path) -> None:
    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    generate_topology(spec(), tmp_path / "a")
    generate_topology(spec(), tmp_path / "b")
    assert files(tmp_path / "a") == files(tmp_path / "b")
    generate_topology(spec(seed=None), tmp_path / "c")
    generate_topology(spec(seed=None), tmp_path / "d")
    c, d = _json(tmp_path / "c" / "topology.json"), _json(tmp_path / "d" / "topology.json")
    assert not set(c["validators"]) & set(d["validators"])
    assert _json(tmp_path / "a" / "topology.json")["insecure_seeded_keys"] is True
    assert c["insecure_seeded_keys"] is False


def test_the_committed_example_is_what_the_generator_writes(tmp_path: Path) -> None:
    members = MembersFile.load(ROOT / "deploy" / "members.example.json")
    hosts = ("10.20.0.11", "10.20.0.12", "10.20.0.13", "10.20.0.14", "10.20.1.21", "10.20.1.22")
    example = TopologySpec(
        chain_id=5310, rpc_nodes=2, genesis_timestamp=1_767_225_600, seed="quancheng-example",
        hosts=hosts, members=members,
    )  # fmt: skip
    generate_topology(example, tmp_path / "ex")
    for path in (tmp_path / "ex").rglob("*"):
        if path.is_file() and path.name != "key":  # keys are not committed
            committed = EXAMPLE / path.relative_to(tmp_path / "ex")
            assert committed.read_bytes() == path.read_bytes(), committed
    # The committed example has no node keys (never committed): check the regenerated copy.
    report = check_topology(tmp_path / "ex")
    assert report.ok, report.problems


# ------------------------------------------------------------------- gas of a full batch


def test_the_topologys_batch_is_the_gateways_and_its_anchor_fits_the_block(out: Path) -> None:
    assert GatewaySettings.model_fields["batch_size"].default == GATEWAY_BATCH_SIZE
    topo = _json(out / "topology.json")
    assert topo["gateway_batch_size"] == GATEWAY_BATCH_SIZE
    assert topo["anchor_gas_bound"] == anchor_gas_bound(GATEWAY_BATCH_SIZE) <= GAS_LIMIT
    env = read_env(out / "env" / "gateway.jinan.vmo.env")
    assert env["QC_GW_BATCH_SIZE"] == str(GATEWAY_BATCH_SIZE)


def test_a_gas_limit_under_the_anchor_of_a_full_batch_is_refused() -> None:
    need = anchor_gas_bound(GATEWAY_BATCH_SIZE)
    fits = largest_batch(need - 1)
    assert 0 < fits < GATEWAY_BATCH_SIZE
    message = (
        f"block gas limit {need - 1:,} cannot hold the anchor of a full gateway batch "
        f"({GATEWAY_BATCH_SIZE} receipts: up to {need:,} gas in one anchorWithUses); "
        f"raise --gas-limit to at least {need} or lower --gateway-batch-size to {fits} or less"
    )
    with pytest.raises(ValidationError, match=re.escape(message)):
        spec(gas_limit=need - 1)
    assert spec(gas_limit=need).gas_limit == need
    assert spec(gas_limit=need - 1, gateway_batch_size=fits).gateway_batch_size == fits
    with pytest.raises(ValidationError, match=re.escape(f"lower --gateway-batch-size to {fits}")):
        spec(gas_limit=need - 1, gateway_batch_size=fits + 1)


@pytest.mark.parametrize("gas_limit", [1_000_000, 5_000_000, 12_345_678, 60_000_000])
def test_largest_batch_is_the_largest_whose_anchor_fits(gas_limit: int) -> None:
    fits = largest_batch(gas_limit)
    assert anchor_gas_bound(fits) <= gas_limit < anchor_gas_bound(fits + 1)


def test_the_bound_grows_with_the_batch_and_refuses_an_empty_one() -> None:
    assert anchor_gas_bound(1) < anchor_gas_bound(2) < anchor_gas_bound(GATEWAY_BATCH_SIZE)
    with pytest.raises(ValueError, match="a batch holds at least 1 receipt"):
        anchor_gas_bound(0)


def test_check_finds_a_gateway_batch_the_blocks_cannot_hold(tmp_path: Path) -> None:
    generate_topology(spec(), tmp_path / "net")
    path = tmp_path / "net" / "env" / "gateway.jinan.vmo.env"
    fits = largest_batch(GAS_LIMIT)
    text = path.read_text().replace(f"QC_GW_BATCH_SIZE={GATEWAY_BATCH_SIZE}", "QC_GW_BATCH_SIZE={}")
    path.write_text(text.format(fits))
    assert check_topology(tmp_path / "net").ok
    path.write_text(text.format(fits + 1))
    assert check_topology(tmp_path / "net").problems == [
        f"gateway.jinan.vmo.env: a batch of {fits + 1} receipts needs up to "
        f"{anchor_gas_bound(fits + 1):,} gas in one anchorWithUses, over the block gas limit "
        f"{GAS_LIMIT:,}: lower QC_GW_BATCH_SIZE or regenerate with a higher --gas-limit"
    ]
    path.write_text(text.format("many"))
    assert check_topology(tmp_path / "net").problems == [
        "gateway.jinan.vmo.env: QC_GW_BATCH_SIZE='many' is not a positive integer"
    ]


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("line", "edited", "problem"),
    [
        ("QC_NODE_BLOCK_TIME_S=3", "QC_NODE_BLOCK_TIME_S=3.0", None),  # 3.0 s is 3 s
        ("QC_NODE_BLOCK_TIME_S=3", "QC_NODE_BLOCK_TIME_S=0", "QC_NODE_BLOCK_TIME_S must be 3"),
        ("QC_NODE_BLOCK_TIME_S=3", "", "QC_NODE_BLOCK_TIME_S must be 3 (the network's), not None"),
        ("QC_NODE_HARDFORK=cancun", "QC_NODE_HARDFORK=shanghai", "QC_NODE_HARDFORK must be cancun"),
        ("QC_NODE_CHAIN_ID=7716", "QC_NODE_CHAIN_ID=7717", "QC_NODE_CHAIN_ID must be 7716"),
    ],
)
def test_check_finds_a_local_node_that_does_not_run_the_network(
    tmp_path: Path, line: str, edited: str, problem: str | None
) -> None:
    generate_topology(spec(), tmp_path / "net")
    path = tmp_path / "net" / "env" / "localnode.env"
    text = path.read_text()
    assert line + "\n" in text
    path.write_text(text.replace(line + "\n", edited + "\n" if edited else ""))
    problems = check_topology(tmp_path / "net").problems
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problems[0].startswith(f"localnode.env: {problem}"), problems


def test_check_finds_a_node_with_another_genesis_or_key(tmp_path: Path) -> None:
    generate_topology(spec(), tmp_path / "net")
    node = tmp_path / "net" / "nodes" / "validator-2"
    genesis = _json(node / "genesis.json")
    genesis["config"]["chainId"] = CHAIN_ID + 1
    (node / "genesis.json").write_text(json.dumps(genesis))
    (node / "key").write_text("0x" + "11" * 32)
    problems = check_topology(tmp_path / "net").problems
    assert "validator-2: genesis.json differs from the network's" in problems
    assert "validator-2: key does not give its address" in problems


def test_the_genesis_evm_is_the_one_the_contracts_are_compiled_for() -> None:
    assert CONTRACTS_EVM == SETTINGS["evmVersion"] == TopologySpec.model_fields["hardfork"].default


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hardfork": "london"}, "older than the contracts' EVM (cancun)"),
        ({"hosts": ("a", "b")}, "give 1 host or 5 (one per node), not 2"),
        ({"hosts": ("validator.example",)}, "give an IPv4 address"),
        ({"request_timeout_seconds": 3}, "request timeout must exceed the block period"),
    ],
)
def test_inconsistent_topologies_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        spec(**overrides)


def test_cli_generates_checks_and_refuses_to_overwrite(tmp_path: Path) -> None:
    members = tmp_path / "members.json"
    members.write_text(json.dumps(MEMBERS))
    args = ["--out", str(tmp_path / "net"), "--chain-id", "7716", "--members", str(members)]
    run = [QUANCHENG, "topology", "generate", *args]
    done = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "4 validators (tolerate 1 faulty), 1 RPC node(s)" in done.stdout
    checked = subprocess.run(
        [QUANCHENG, "topology", "check", str(tmp_path / "net"), "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert checked.returncode == 0 and json.loads(checked.stdout)["files"]["problems"] == []
    again = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1
    assert again.stderr.startswith("error: TOPOLOGY_ERROR: ") and "not empty" in again.stderr


def test_cli_refuses_a_gas_limit_under_a_full_batch_and_takes_a_smaller_batch(
    tmp_path: Path,
) -> None:
    fits = largest_batch(5_000_000)
    run = [QUANCHENG, "topology", "generate", "--chain-id", "7716", "--gas-limit", "5000000"]
    refused = subprocess.run(
        [*run, "--out", str(tmp_path / "a")], capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 1 and not (tmp_path / "a").exists()
    assert refused.stderr.startswith("error: TOPOLOGY_ERROR: block gas limit 5,000,000 cannot ")
    assert f"or lower --gateway-batch-size to {fits} or less" in refused.stderr
    done = subprocess.run(
        [*run, "--out", str(tmp_path / "b"), "--gateway-batch-size", str(fits)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    env = read_env(tmp_path / "b" / "env" / "gateway.example.env")
    assert env["QC_GW_BATCH_SIZE"] == str(fits)
    assert check_topology(tmp_path / "b").ok
