"""Errors of the chain-lifecycle tooling (all under :class:`quancheng.errors.ChainError`)."""

from __future__ import annotations

from pathlib import Path

from quancheng.errors import ChainError, ConfigError


class NodeError(ChainError):
    """The local node could not be started, stopped or reached."""

    code = "NODE_ERROR"


class PortInUse(NodeError):
    """The port the node should listen on is taken by another process."""

    code = "NODE_PORT_IN_USE"

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        super().__init__(
            f"{host}:{port} is already in use by another process; "
            f"stop it or choose another port (--port / QC_NODE_PORT)"
        )


class NodeStartTimeout(NodeError):
    """The node did not answer JSON-RPC within its start timeout."""

    code = "NODE_START_TIMEOUT"

    def __init__(self, seconds: float, log_file: Path, log_tail: str) -> None:
        self.seconds, self.log_file = seconds, log_file
        super().__init__(
            f"the node did not answer within {seconds:.0f} s; last lines of {log_file}:\n{log_tail}"
        )


class NodeExited(NodeError):
    """The node process exited while starting."""

    code = "NODE_EXITED"

    def __init__(self, returncode: int, log_file: Path, log_tail: str) -> None:
        self.returncode, self.log_file = returncode, log_file
        super().__init__(
            f"the node exited with code {returncode} while starting; "
            f"last lines of {log_file}:\n{log_tail}"
        )


class NodeStateRefused(NodeExited):
    """The node refused the chain state on disk (tampered, corrupt, or another chain's)."""

    code = "NODE_STATE_REFUSED"

    #: What the node found, as it reports it (``refused JOURNAL_DIVERGED: ...`` in its log).
    REASONS = (
        "JOURNAL_FORMAT",
        "JOURNAL_FOREIGN",
        "JOURNAL_CORRUPT",
        "JOURNAL_DIVERGED",
        "JOURNAL_MISSING",
        "ARCHIVE_FORMAT",
        "ARCHIVE_FOREIGN",
        "ARCHIVE_CORRUPT",
        "ARCHIVE_MISSING",
        "ARCHIVE_BEHIND",
    )

    def __init__(self, reason: str, detail: str, returncode: int, log_file: Path) -> None:
        self.reason, self.detail = reason, detail
        self.returncode, self.log_file = returncode, log_file
        NodeError.__init__(
            self,
            f"the node refused its state ({reason}): {detail}; the chain was not served. "
            f"Restore the state directory from a trusted copy, or move it away to start an "
            f"empty chain",
        )


class NodeNotInstalled(ConfigError):
    """The Node.js dependencies of hardhat-network/ are not installed."""

    code = "NODE_NOT_INSTALLED"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        super().__init__(
            f"{directory}/node_modules is missing: run `npm ci` in {directory} (or `make setup`)"
        )


#: The code with which a node's archive refuses a read at a block whose state it no longer
#: holds: a snapshot since then may have changed it (``hardhat-network/scripts/archive.js``).
STATE_NOT_KEPT = "ARCHIVE_STATE_NOT_KEPT"


def state_not_kept(exc: BaseException) -> bool:
    """True if ``exc`` is a node's refusal of a historical read its archive no longer holds.

    EDR hands the archive's error on as text only, and for ``eth_call`` as a revert, so the
    stable code is looked for in the message.
    """
    return STATE_NOT_KEPT in str(exc)
