"""``quancheng chain up|down|status``, ``deploy`` and ``build`` through the real executable."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

from tests.utils.ports import free_port

QUANCHENG = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "quancheng")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([QUANCHENG, *args], capture_output=True, text=True, timeout=120)


def test_chain_lifecycle_and_deploy_survive_a_restart(tmp_path: Path) -> None:
    port, state = str(free_port()), str(tmp_path / "chain")
    manifest = tmp_path / "deployment.json"
    node = ("--port", port, "--state-dir", state)
    assert _run("chain", "status", *node).returncode == 3  # not running
    up = _run("chain", "up", *node)
    assert up.returncode == 0, up.stderr
    try:
        deployed = _run(
            "deploy", "--port", port, "--manifest", str(manifest),
            "--keys-dir", str(tmp_path / "keys"),
        )  # fmt: skip
        assert deployed.returncode == 0, deployed.stderr
        first = json.loads(manifest.read_text())
        assert _run("chain", "down", *node).returncode == 0
        assert _run("chain", "up", *node).returncode == 0
        # The same deployment is found live after the restart: nothing is redeployed.
        again = _run(
            "deploy", "--port", port, "--manifest", str(manifest),
            "--keys-dir", str(tmp_path / "keys"),
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert json.loads(manifest.read_text())["contracts"] == first["contracts"]
        status = json.loads(_run("chain", "status", *node, "--json").stdout)
        assert status["running"] is True and status["chain_id"] == 5310
        assert status["block_number"] == 6  # one block per contract (automine)
    finally:
        _run("chain", "down", *node)
    assert _run("chain", "status", *node).returncode == 3


def test_chain_up_on_a_taken_port_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = _run("chain", "up", "--port", port, "--state-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith("error: NODE_PORT_IN_USE: ")
    assert f":{port} is already in use" in result.stderr


def test_build_check_confirms_the_committed_artifacts() -> None:
    result = _run("build", "--check")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
