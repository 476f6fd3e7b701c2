"""The local node's memory under concurrent heavy calls (hardhat-network/scripts/native-memory.js).

Every answer of EDR holds the raw trace of what it executed in native memory, ~20 MiB for an
eth_call that verifies an SM2 signature on chain.  Before the node bounded it, EDR's thread pool
grew to as many threads as requests were ever in flight, each keeping the last trace it
allocated, and dead answers waited for a V8 collection that a 15 MiB JavaScript heap seldom
needs: a test session's node grew past 7 GiB in four minutes and was killed in CI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from web3 import Web3
from web3.contract import Contract

from quancheng.crypto import SM2PrivateKey
from quancheng_node.process import HardhatNode
from tests.conftest import start_node
from tests.utils.sm2_onchain import DEPLOYER_INDEX, deploy_sm2_verifier

#: Clients calling at once: more than EDR's pool needs, as a test session's gateways are.
CLIENTS = 16
CALLS = 160
#: Measured here for 160 such calls from 16 clients: before the bound, 58 threads and the node
#: grew by 3,211 MiB; after it, 10 threads and 959-1,104 MiB.
MAX_POOL_THREADS = 16
MAX_GROWTH_MIB = 1_800


@pytest.fixture
def node(tmp_path: Path) -> Iterator[HardhatNode]:
    node = start_node(tmp_path / "chain")
    yield node
    node.stop()


def _threads(pid: int) -> Counter[str]:
    tasks = Path(f"/proc/{pid}/task")
    return Counter((task / "comm").read_text().strip() for task in tasks.iterdir())


def _rss_mib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def test_concurrent_sm2_calls_keep_the_pool_and_the_memory_bounded(node: HardhatNode) -> None:
    verifier: Contract = deploy_sm2_verifier(
        node.rpc_url, node.dev_private_keys(DEPLOYER_INDEX + 1)[DEPLOYER_INDEX]
    )
    key = SM2PrivateKey.generate()
    message = b"a grant view checks an owner's signature" * 3
    call = {
        "to": verifier.address,
        "data": verifier.encode_abi(
            "verify", args=[key.public_key().to_bytes(), message, key.sign(message)]
        ),
    }
    pid = node.pid
    assert pid is not None
    before = _rss_mib(pid)

    def verify(_: int) -> bool:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        return bool(int.from_bytes(w3.eth.call(call), "big"))  # type: ignore[arg-type]

    with ThreadPoolExecutor(CLIENTS) as clients:
        answers = list(clients.map(verify, range(CALLS)))

    assert answers == [True] * CALLS
    pool = _threads(pid)["tokio-runtime-w"]
    growth = _rss_mib(pid) - before
    assert pool <= MAX_POOL_THREADS, f"EDR's pool grew to {pool} threads"
    assert growth <= MAX_GROWTH_MIB, f"the node grew by {growth} MiB over {CALLS} calls"
