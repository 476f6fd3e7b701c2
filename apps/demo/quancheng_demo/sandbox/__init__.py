"""A 泉城链 sandbox that stays up, for a bank's or an insurer's engineer to integrate against.

``python -m quancheng_demo.sandbox up`` starts, as detached processes that outlive the command,
the chain node (its journal in the sandbox's directory), the contracts, the consortium, the
development CA, seeded department data, every gateway, the owner portal and — when their
packages are installed — the claims and credit services; it seeds a few citizens and
enterprises with attested wallet keys and, for the bank and the insurer, one ACTIVE and one
PENDING grant each; it writes the credentials an SDK user needs (``credentials/sandbox.json``,
``sandbox.env``) and prints every endpoint. ``status`` says what runs; ``down`` stops it all
(``--purge``: and deletes its directory). How to use it: docs/sandbox.md.

Directory layout (``--dir``, default ``var/sandbox``)::

    state.json        what runs (pids, ports, URLs); removed by ``down``
    launch.json       how to start it all again over the same data and ports
    stack/            chain journal, consortium keys, development CA, department data, gateways
    services/         the portal's and the claims/credit services' databases and logs
    credentials/      keys, certificates, manifest, sandbox.json, sandbox.env
    evidence/         the consumers' evidence stores (QC_EVIDENCE_DIR in sandbox.env)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quancheng_demo.sandbox.errors import (
    SandboxDirNotOurs,
    SandboxError,
    SandboxPartlyRunning,
    SandboxPortsInUse,
    SandboxStateInvalid,
)
from quancheng_demo.sandbox.stop import down

if TYPE_CHECKING:
    from quancheng_demo.sandbox.lifecycle import up


def __getattr__(name: str) -> Any:
    # ``status`` and ``down`` need none of the stack: it is imported with ``up`` only.
    if name == "up":
        from quancheng_demo.sandbox.lifecycle import up

        return up
    raise AttributeError(f"module 'quancheng_demo.sandbox' has no attribute {name!r}")


__all__ = [
    "SandboxDirNotOurs",
    "SandboxError",
    "SandboxPartlyRunning",
    "SandboxPortsInUse",
    "SandboxStateInvalid",
    "down",
    "up",
]
