"""What the sandbox writes about itself: where its files are, how to start it again, what runs.

``launch.json`` (kept until ``down --purge``, mode 0600: it holds the services' settings,
keys included) says how to start every process again over the same data and ports: the
gateways' endpoints are registered on chain, so the ports are the sandbox's for good.
``state.json`` (written by ``up``, removed by ``down``) lists what runs: pid, start time
(so a recycled pid is never mistaken for ours), URL and health probe of each process.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ValidationError

from quancheng_demo.sandbox.errors import SandboxStateInvalid

__all__ = [
    "DEFAULT_BASE_PORT",
    "ChainSpec",
    "LaunchPlan",
    "Layout",
    "RunningProcess",
    "SandboxState",
    "ServiceKind",
    "ServiceSpec",
    "dump",
    "read_model",
    "write_private",
]

#: chain at the base, the gateways after it, then portal, claims, credit (base + 10, 11, 12).
#: Away from 8545 / 8700, so a developer's own node and portal keep theirs.
DEFAULT_BASE_PORT = 18545

ServiceKind = Literal["chain", "gateway", "portal", "claims", "credit"]


@dataclass(frozen=True)
class Layout:
    """The files of one sandbox directory."""

    root: Path

    @property
    def marker(self) -> Path:
        """Says the directory is a sandbox's (``down --purge`` removes only such a one)."""
        return self.root / ".quancheng-sandbox"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def launch_file(self) -> Path:
        return self.root / "launch.json"

    @property
    def stack_dir(self) -> Path:
        """The chain, consortium keys, development CA, department data and gateways."""
        return self.root / "stack"

    @property
    def services_dir(self) -> Path:
        """The portal's and the claims/credit services' databases and logs."""
        return self.root / "services"

    @property
    def credentials_dir(self) -> Path:
        """What an SDK user needs: keys, certificates, manifest, sandbox.json / .env."""
        return self.root / "credentials"

    @property
    def evidence_dir(self) -> Path:
        """Where the consumers' evidence stores go (``QC_EVIDENCE_DIR`` in sandbox.env)."""
        return self.root / "evidence"


class ChainSpec(BaseModel):
    """The local node: its port and the directory of its journal."""

    port: int
    state_dir: Path


class ServiceSpec(BaseModel):
    """One served app, as it is started again: its process and settings classes and values."""

    name: str
    kind: ServiceKind
    #: ``module:Class`` of the :class:`~quancheng_appkit.managed_server.ManagedServer` that runs it.
    process_class: str
    #: ``module:Class`` of its settings; ``settings`` are their values as text.
    settings_class: str
    settings: dict[str, str]
    log_file: Path
    #: The CA its certificate is verified against (None: plain HTTP on loopback).
    ca_file: Path | None = None


class LaunchPlan(BaseModel):
    """Everything ``up`` needs to start a sandbox again over its data."""

    format: Literal["quancheng.sandbox-launch/1"] = "quancheng.sandbox-launch/1"
    tls: bool
    ports: dict[str, int]
    chain: ChainSpec
    services: list[ServiceSpec]
    #: Optional services that were not available, and why.
    unavailable: dict[str, str] = {}


class RunningProcess(BaseModel):
    """A process the sandbox started, and how to tell it is still the same one."""

    name: str
    kind: ServiceKind
    pid: int
    #: Its start time in clock ticks since boot (``/proc/PID/stat``, field 22).
    start_ticks: int
    url: str
    log_file: Path


class SandboxState(BaseModel):
    """What runs (``state.json``)."""

    format: Literal["quancheng.sandbox-state/1"] = "quancheng.sandbox-state/1"
    root: Path
    started_at: str
    tls: bool
    ca_file: Path | None
    processes: list[RunningProcess]
    unavailable: dict[str, str] = {}

    @property
    def rpc_url(self) -> str:
        return next(p.url for p in self.processes if p.kind == "chain")


Model = TypeVar("Model", bound=BaseModel)


def read_model(path: Path, model: type[Model]) -> Model | None:
    """The model in ``path``, or None when the file does not exist.

    Raises:
        SandboxStateInvalid: The file exists but is not such a model.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SandboxStateInvalid(path, f"cannot read it ({exc.strerror})") from exc
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        problem = f"not a {model.__name__} ({exc.error_count()} errors)"
        raise SandboxStateInvalid(path, problem) from exc


def write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically (rename over), readable by this user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def dump(model: BaseModel) -> str:
    """The model as indented JSON (Chinese kept readable)."""
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
