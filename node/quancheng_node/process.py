"""The local EVM node as a managed subprocess.

:class:`HardhatNode` starts Hardhat network behind its JSON-RPC server
(``hardhat-network/scripts/node.js``) with a write-ahead journal in the state directory, so
that the chain survives a stop and start: on start the journal is replayed block by block
and every block hash is checked against the record (a journal it cannot rebuild the same
chain from is refused: :class:`NodeStateRefused`).  With ``snapshot_every`` > 0 (the
default) the node writes the chain into its archive (``STATE/archive``) every that many
journal entries, and after a deployment, and starts a new journal there, so a start replays
only the journal since the last snapshot, whatever the chain's length.
With ``block_time_s`` > 0 the node seals the pooled transactions every N seconds, as a QBFT
network does, instead of one block per transaction.  The process is detached and tracked by
a pid file, so ``quancheng chain up`` can return while the node keeps running and
``quancheng chain down`` can stop it later.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quancheng_node.config import NodeSettings
from quancheng_node.errors import (
    NodeError,
    NodeExited,
    NodeNotInstalled,
    NodeStartTimeout,
    NodeStateRefused,
    PortInUse,
)

#: The exit code and log line of a node that refused its state on disk (scripts/node.js).
REFUSED_EXIT = 3
_REFUSED_LINE = re.compile(r"\[quancheng-node\] refused (?P<reason>[A-Z_]+): (?P<detail>.*)$")

#: Accounts derived from this mnemonic are funded in the local node (development only).
DEV_MNEMONIC = "test test test test test test test test test test test junk"


class HardhatNode:
    """A local Hardhat network node whose state persists in ``settings.state_dir``."""

    def __init__(self, settings: NodeSettings | None = None) -> None:
        self.settings = settings or NodeSettings()
        self._proc: subprocess.Popen[bytes] | None = None

    # -- files ---------------------------------------------------------------------------
    @property
    def state_dir(self) -> Path:
        return self.settings.state_dir

    @property
    def journal_file(self) -> Path:
        return self.state_dir / "journal.jsonl"

    @property
    def archive_dir(self) -> Path:
        return self.state_dir / "archive"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "node.log"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "node.pid"

    @property
    def genesis_file(self) -> Path:
        return self.state_dir / "genesis.json"

    @property
    def rpc_url(self) -> str:
        return self.settings.rpc_url

    # -- lifecycle -----------------------------------------------------------------------
    def build_command(self) -> list[str]:
        """The command line that runs the node."""
        s = self.settings
        archive = ["--archive", str(self.archive_dir), "--snapshot-every", str(s.snapshot_every)]
        return [*self._base_command(), *(archive if s.snapshot_every > 0 else [])]

    def _base_command(self) -> list[str]:
        s = self.settings
        return [
            s.node_binary,
            str(s.hardhat_dir / "scripts" / "node.js"),
            "--host", s.host,
            "--port", str(s.port),
            "--journal", str(self.journal_file),
            "--fsync", s.fsync,
            "--block-time", f"{s.block_time_s:g}",
        ]  # fmt: skip

    def build_env(self) -> dict[str, str]:
        """The environment of the node: the chain's settings and its fixed genesis date."""
        s = self.settings
        env = dict(os.environ)
        env.update(
            QC_CHAIN_ID=str(s.chain_id),
            QC_HARDFORK=s.hardfork,
            QC_BLOCK_GAS_LIMIT=str(s.block_gas_limit),
            QC_GENESIS_DATE=self._genesis_date(),
            QC_DEV_MNEMONIC=DEV_MNEMONIC,
            HARDHAT_DISABLE_TELEMETRY_PROMPT="true",
        )
        return env

    def start(self) -> None:
        """Start the node (replaying its journal) and wait until it answers JSON-RPC.

        Raises:
            PortInUse: another process listens on the configured port.
            NodeNotInstalled: ``npm ci`` has not been run in hardhat-network/.
            NodeExited: the node died while starting (its log tail is in the message).
            NodeStartTimeout: it did not answer within ``start_timeout``.
        """
        if self.is_running:
            return
        s = self.settings
        if not (s.hardhat_dir / "node_modules" / "hardhat").is_dir():
            raise NodeNotInstalled(s.hardhat_dir)
        if _port_in_use(s.host, s.port):
            raise PortInUse(s.host, s.port)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                self.build_command(),
                cwd=s.hardhat_dir,
                env=self.build_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives the CLI that started it; not hit by Ctrl-C
            )
        self.pid_file.write_text(str(self._proc.pid))
        self._wait_until_ready()

    def snapshot(self) -> dict[str, Any] | None:
        """Take a snapshot into the archive now; what it wrote, or None if nothing was due.

        Raises:
            NodeError: the node is not reachable or refused (its message says why).
        """
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "quancheng_snapshot", "params": []})
        req = urllib.request.Request(
            self.rpc_url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=300) as resp:
                reply = json.loads(resp.read(1 << 20))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise NodeError(f"snapshot of the node at {self.rpc_url} failed: {exc}") from exc
        if "error" in reply:
            raise NodeError(f"the node refused the snapshot: {reply['error'].get('message')}")
        result: dict[str, Any] | None = reply.get("result")
        return result

    def stop(self) -> None:
        """Stop the node gracefully (SIGTERM, journal flushed); SIGKILL after ``stop_timeout``."""
        pid = self.pid
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not self._wait_exit(pid, self.settings.stop_timeout):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._wait_exit(pid, 5.0)
        self.pid_file.unlink(missing_ok=True)
        self._proc = None

    def kill(self) -> None:
        """Kill the node with SIGKILL, as a crash would (for fault tests)."""
        pid = self.pid
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self._wait_exit(pid, 5.0)
        self.pid_file.unlink(missing_ok=True)
        self._proc = None

    def restart(self) -> None:
        """Stop, then start again from the journal."""
        self.stop()
        self.start()

    @property
    def pid(self) -> int | None:
        """The pid of the running node, from this object or the state directory's pid file."""
        if self._proc is not None and self._proc.poll() is None:
            return self._proc.pid
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    @property
    def is_running(self) -> bool:
        """True when the node's process is alive and answers JSON-RPC."""
        return self.pid is not None and self._rpc("eth_chainId") is not None

    def status(self) -> dict[str, Any]:
        """A summary for ``quancheng chain status``."""
        running = self.is_running
        info: dict[str, Any] = {
            "running": running,
            "rpc_url": self.rpc_url,
            "pid": self.pid,
            "state_dir": str(self.state_dir),
            "journal_bytes": self.journal_file.stat().st_size if self.journal_file.exists() else 0,
            "archive_head": self._journal_base(),
            "archive_bytes": _tree_bytes(self.archive_dir),
            "snapshot_every": self.settings.snapshot_every,
            "block_time_s": self.settings.block_time_s,
        }
        if running:
            chain_id, block = self._rpc("eth_chainId"), self._rpc("eth_blockNumber")
            info["chain_id"] = int(chain_id, 16) if isinstance(chain_id, str) else None
            info["block_number"] = int(block, 16) if isinstance(block, str) else None
        return info

    def _journal_base(self) -> int | None:
        """The archive block the journal continues from (None: from genesis, or no journal)."""
        try:
            with self.journal_file.open("rb") as f:
                header = json.loads(f.readline(1 << 16))
        except (OSError, ValueError):
            return None
        base = header.get("base") if isinstance(header, dict) else None
        return int(base["number"]) if isinstance(base, dict) else None

    def dev_private_keys(self, count: int = 10) -> list[str]:
        """Private keys of the funded development accounts (local node only)."""
        from eth_account import Account

        Account.enable_unaudited_hdwallet_features()
        return [
            Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key.to_0x_hex()
            for i in range(count)
        ]

    # -- internals -----------------------------------------------------------------------
    def _genesis_date(self) -> str:
        """The chain's genesis date: fixed at first start, so replays rebuild the same chain."""
        if self.genesis_file.exists():
            return str(json.loads(self.genesis_file.read_text())["genesis_date"])
        self.state_dir.mkdir(parents=True, exist_ok=True)
        date = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        self.genesis_file.write_text(json.dumps({"genesis_date": date}) + "\n")
        return date

    def _wait_until_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.settings.start_timeout
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                self.pid_file.unlink(missing_ok=True)
                raise self._exit_error(code)
            if self._rpc("eth_chainId") is not None:
                return
            time.sleep(0.1)
        self.stop()
        raise NodeStartTimeout(self.settings.start_timeout, self.log_file, self._log_tail())

    def _exit_error(self, code: int) -> NodeExited:
        """The typed error for a node that exited while starting (a refusal names its reason)."""
        tail = self._log_tail()
        if code == REFUSED_EXIT:
            for line in reversed(tail.splitlines()):
                match = _REFUSED_LINE.search(line)
                if match and match["reason"] in NodeStateRefused.REASONS:
                    return NodeStateRefused(match["reason"], match["detail"], code, self.log_file)
        return NodeExited(code, self.log_file, tail)

    def _wait_exit(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.pid == pid:
                if self._proc.poll() is not None:
                    return True
            elif not _pid_alive(pid):
                return True
            time.sleep(0.05)
        return False

    def _rpc(self, method: str) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
        req = urllib.request.Request(
            self.rpc_url, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=2) as resp:
                return json.loads(resp.read()).get("result")
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _tree_bytes(directory: Path) -> int:
    """The bytes of the files under ``directory`` (0 when it does not exist)."""
    if not directory.is_dir():
        return 0
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


__all__ = ["DEV_MNEMONIC", "HardhatNode", "NodeError"]
