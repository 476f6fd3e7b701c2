"""``quancheng chain up|down|status``, ``deploy`` and ``build`` through the real executable.

Every run happens in a temporary working directory: the CLI's defaults (``var/manifest.json``,
``var/node.json``, ``var/consortium``) and relative paths are taken against it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.utils.ports import free_port

QUANCHENG = str(Path(sys.executable).with_name("quancheng"))
HARDHAT_DIR = Path(__file__).resolve().parents[2] / "hardhat-network"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # The node's own environment variables would override what the test means.
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_NODE_")}
    return subprocess.run(
        [QUANCHENG, *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env
    )


def test_relative_state_dir_is_the_working_directorys_and_deploy_targets_that_node(
    tmp_path: Path,
) -> None:
    port = str(free_port())
    up = _run("chain", "up", "--port", port, "--state-dir", "var/mychain", cwd=tmp_path)
    try:
        assert up.returncode == 0, up.stderr
        assert (tmp_path / "var" / "mychain" / "journal.jsonl").is_file()
        assert not (HARDHAT_DIR / "var" / "mychain").exists()
        # No --port, no --rpc-url: deploy goes to the node `chain up` started, status reads it.
        deployed = _run("deploy", cwd=tmp_path)
        assert deployed.returncode == 0, deployed.stderr
        assert f"at http://127.0.0.1:{port};" in deployed.stdout
        manifest = json.loads((tmp_path / "var" / "manifest.json").read_text())
        assert manifest["chain_id"] == 5310
        status = json.loads(_run("chain", "status", "--json", cwd=tmp_path).stdout)
        assert status["running"] is True
        assert status["state_dir"] == str(tmp_path / "var" / "mychain")
        assert status["rpc_url"] == f"http://127.0.0.1:{port}"
    finally:
        down = _run("chain", "down", cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert _run("chain", "status", "--port", port, cwd=tmp_path).returncode == 3


def test_chain_lifecycle_and_deploy_survive_a_restart(tmp_path: Path) -> None:
    node = ("--port", str(free_port()), "--state-dir", str(tmp_path / "chain"))
    keys = ("--keys-dir", str(tmp_path / "keys"))
    assert _run("chain", "status", *node, cwd=tmp_path).returncode == 3  # not running
    up = _run("chain", "up", *node, cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    try:
        assert _run("deploy", *keys, cwd=tmp_path).returncode == 0
        first = json.loads((tmp_path / "var" / "manifest.json").read_text())
        assert _run("chain", "down", cwd=tmp_path).returncode == 0
        assert _run("chain", "up", cwd=tmp_path).returncode == 0  # the recorded node again
        # The same deployment is found live after the restart: nothing is redeployed.
        again = _run("deploy", *keys, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert json.loads((tmp_path / "var" / "manifest.json").read_text()) == first
        status = json.loads(_run("chain", "status", *node, "--json", cwd=tmp_path).stdout)
        assert status["running"] is True and status["chain_id"] == 5310
        assert status["block_number"] == 7  # 6 contracts + bindLedger (automine)
    finally:
        _run("chain", "down", *node, cwd=tmp_path)
    assert _run("chain", "status", *node, cwd=tmp_path).returncode == 3


def test_a_manifest_under_the_former_default_name_is_read_with_a_note(tmp_path: Path) -> None:
    node = ("--port", str(free_port()), "--state-dir", "chain")
    keys = ("--keys-dir", "keys")
    assert _run("chain", "up", *node, cwd=tmp_path).returncode == 0
    try:
        assert _run("deploy", *keys, cwd=tmp_path).returncode == 0
        var = tmp_path / "var"
        (var / "manifest.json").rename(var / "deployment.json")
        again = _run("deploy", *keys, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert again.stderr.startswith("note: read var/deployment.json, the manifest's former")
        # It was the live deployment: adopted under the one default name, not redeployed.
        assert (var / "manifest.json").read_text() == (var / "deployment.json").read_text()
    finally:
        _run("chain", "down", cwd=tmp_path)


def test_deploy_without_a_running_chain_names_the_fix_and_writes_nothing(tmp_path: Path) -> None:
    port = free_port()
    result = _run("deploy", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: CHAIN_NOT_RUNNING: no chain answers at http://127.0.0.1:{port}: is the chain "
        "running? start it with `quancheng chain up` (or give --rpc-url of a running node)\n"
    )
    assert not (tmp_path / "var").exists()  # no manifest, no consortium keys


def test_deploy_to_a_given_url_that_does_not_answer_says_to_check_it(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = _run("deploy", "--rpc-url", url, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: CHAIN_NOT_RUNNING: no chain answers at {url}: ")
    assert "check --rpc-url" in result.stderr


def test_chain_status_of_a_stopped_node_says_how_to_start_it(tmp_path: Path) -> None:
    result = _run("chain", "status", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr == "not running: start it with `quancheng chain up`\n"


def test_chain_up_on_a_taken_port_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = _run("chain", "up", "--port", port, "--state-dir", "chain", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: NODE_PORT_IN_USE: ")
    assert f":{port} is already in use" in result.stderr
    assert not (tmp_path / "var" / "node.json").exists()  # nothing was started


def test_build_check_confirms_the_committed_artifacts(tmp_path: Path) -> None:
    result = _run("build", "--check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
