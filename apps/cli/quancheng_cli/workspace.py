"""Where the ``quancheng`` command keeps its files: ``./var``, under the working directory.

- **One manifest default** for the CLI, the gateways and the owner portal:
  ``var/manifest.json`` (``GatewaySettings.manifest_path`` and ``PortalSettings.manifest_path``
  say the same, and a test holds them to it). ``quancheng deploy`` used to write
  ``var/deployment.json``; when that file is all there is, it is still read, with a note.
- **Relative paths** on the command line are taken against the working directory, also
  where a child process (the node, which runs in ``hardhat-network/``) is given them.
- **The node ``chain up`` started** is recorded in ``var/node.json`` (its URL, port and
  state directory), so ``deploy``, ``chain status``, ``chain down`` and the next ``chain up``
  find it without repeating ``--port`` / ``--state-dir``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = [
    "DEFAULT_KEYS_DIR",
    "DEFAULT_MANIFEST",
    "LEGACY_MANIFEST",
    "NODE_RECORD",
    "NodeRecord",
    "absolute",
    "adopt_legacy_manifest",
    "recorded_node",
]

VAR_DIR = Path("var")
#: The manifest ``deploy`` writes and the gateways and the portal read by default.
DEFAULT_MANIFEST = VAR_DIR / "manifest.json"
#: The name ``deploy`` used before: read when it is all there is.
LEGACY_MANIFEST = VAR_DIR / "deployment.json"
#: The local development consortium's keys.
DEFAULT_KEYS_DIR = VAR_DIR / "consortium"
#: The node ``chain up`` started last from this directory.
NODE_RECORD = VAR_DIR / "node.json"


def absolute(path: Path) -> Path:
    """``path`` (``~`` expanded) against the working directory, ``..`` folded away."""
    return Path(os.path.abspath(path.expanduser()))


class NodeRecord(BaseModel):
    """The local node ``quancheng chain up`` started: what later commands target by default."""

    model_config = ConfigDict(frozen=True)

    #: Its JSON-RPC URL.
    rpc_url: str
    #: The port it listens on.
    port: int
    #: Its state directory (absolute).
    state_dir: Path

    def save(self, path: Path = NODE_RECORD) -> None:
        """Write the record atomically."""
        path = absolute(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)


def recorded_node(path: Path = NODE_RECORD) -> NodeRecord | None:
    """The recorded node, or None when there is no (readable) record."""
    try:
        return NodeRecord.model_validate_json(absolute(path).read_bytes())
    except (OSError, ValidationError):
        return None


def adopt_legacy_manifest(note: Callable[[str], None]) -> None:
    """Copy ``var/deployment.json`` to ``var/manifest.json`` when only the former exists.

    ``deploy`` then finds the deployment it recorded under the former name (and reuses it
    if it is live); ``note`` tells the user what happened, once.
    """
    manifest, legacy = absolute(DEFAULT_MANIFEST), absolute(LEGACY_MANIFEST)
    if manifest.exists() or not legacy.is_file():
        return
    manifest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(legacy, manifest)
    note(
        f"read {LEGACY_MANIFEST}, the manifest's former default name; the manifest is now "
        f"{DEFAULT_MANIFEST}, which the gateways and the portal read too "
        f"({LEGACY_MANIFEST} can be removed)"
    )
