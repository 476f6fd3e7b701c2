"""The node's journal: read streamed (no size cliff), and refused with a typed reason."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from quancheng_node.config import HARDHAT_DIR
from quancheng_node.errors import NodeStateRefused
from quancheng_node.process import HardhatNode
from tests.conftest import start_node
from tests.utils.evm import RawSender

#: Node 20 cannot hold a string longer than 2**29 - 24 characters: the old whole-file read
#: (readFileSync(..., "utf8")) threw on any journal larger than this.
NODE_STRING_LIMIT = 2**29 - 24


@pytest.fixture
def node(tmp_path: Path) -> Iterator[HardhatNode]:
    node = start_node(tmp_path / "chain")
    yield node
    node.stop()


def _fill(node: HardhatNode, txs: int) -> tuple[Web3, str]:
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    sender = RawSender(w3, node.dev_private_keys(1)[0])
    address = sender.deploy_counter()
    for i in range(txs):
        sender.send(address, f"call {i}".encode())
    return w3, address


def _history(w3: Web3, address: str) -> tuple[object, ...]:
    head = w3.eth.get_block("latest")
    logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": address})
    return (head["number"], head["hash"], [(g["blockNumber"], g["transactionHash"]) for g in logs])


def _read_lines(path: Path, chunk_size: int) -> list[dict[str, object]]:
    script = (
        "const { readLines } = require('./scripts/lines');"
        "const out = [...readLines(process.argv[1], { chunkSize: +process.argv[2] })];"
        "process.stdout.write(JSON.stringify(out));"
    )
    done = subprocess.run(
        ["node", "-e", script, str(path), str(chunk_size)],
        cwd=HARDHAT_DIR,
        capture_output=True,
        check=True,
        text=True,
    )
    result: list[dict[str, object]] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1 << 20])
def test_lines_are_split_with_byte_offsets_whatever_the_chunk_size(
    tmp_path: Path, chunk_size: int
) -> None:
    lines = ['{"m":"泉城链"}', "", '{"a":1}', '{"torn":"济']
    data = "\n".join(lines).encode()
    path = tmp_path / "j.jsonl"
    path.write_bytes(data)
    read = _read_lines(path, chunk_size)
    assert [r["text"] for r in read] == lines
    assert [r["terminated"] for r in read] == [True, True, True, False]
    for r in read:  # offsets index the bytes of the file, multi-byte characters included
        start, end = int(str(r["start"])), int(str(r["end"]))
        assert data[start:end].decode() == r["text"]


def test_a_journal_larger_than_a_node_string_restarts(node: HardhatNode) -> None:
    # The journal is made past the old cliff, through the real node, with entries it really
    # journals (evm_setNextBlockTimestamp) and replays as no-ops (block times come from the
    # blocks' own entries).  Each carries an extra field (ignored, as unknown fields are) that
    # brings it to ~1.1 KB, the size of a block's entry: ~500,000 lines, not 8 million tiny
    # ones, so JSON parsing does not dominate and the test takes seconds, not a minute.
    w3, address = _fill(node, txs=3)
    before = _history(w3, address)
    node.stop()
    header, *entries = node.journal_file.read_bytes().splitlines(keepends=True)
    filler = (
        json.dumps(
            {
                "m": "evm_setNextBlockTimestamp",
                "p": [1767225600],
                "b": 0,
                "n": 0,
                "w": 0,
                "note": "f" * 1024,
            },
            separators=(",", ":"),
        ).encode()
        + b"\n"
    )
    block = filler * (1 << 10)
    with node.journal_file.open("wb") as f:
        f.write(header)
        while f.tell() < NODE_STRING_LIMIT + (16 << 20):
            f.write(block)
        f.writelines(entries)
    try:
        assert node.journal_file.stat().st_size > NODE_STRING_LIMIT
        node.start()
        assert _history(w3, address) == before
        assert "replayed" in node.log_file.read_text()
    finally:
        node.stop()
        node.journal_file.unlink()  # 530 MB is not left behind in the pytest temp directory


def test_a_corrupt_entry_inside_the_journal_is_refused(node: HardhatNode) -> None:
    _fill(node, txs=2)
    node.stop()
    lines = node.journal_file.read_text().splitlines()
    lines[2] = lines[2][: len(lines[2]) // 2]  # complete line (newline kept), broken JSON
    node.journal_file.write_text("\n".join(lines) + "\n")
    with pytest.raises(NodeStateRefused) as err:
        node.start()
    assert err.value.reason == "JOURNAL_CORRUPT"
    assert "corrupt journal entry at byte" in str(err.value)


def test_a_file_that_is_not_a_journal_is_refused(node: HardhatNode) -> None:
    node.stop()
    node.journal_file.write_text('{"format":"something-else/1"}\n')
    with pytest.raises(NodeStateRefused) as err:
        node.start()
    assert err.value.reason == "JOURNAL_FORMAT"
    assert "not a quancheng-node-journal/1 journal" in str(err.value)
