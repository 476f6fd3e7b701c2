"""The sandbox's ports: a fixed layout from a base port (``state.DEFAULT_BASE_PORT``), or any
free ones; checked before use."""

from __future__ import annotations

import socket

from quancheng_demo.sandbox.errors import SandboxPortsInUse
from quancheng_demo.stack import DEPARTMENTS

__all__ = ["check_free", "component_names", "plan_ports"]


def component_names() -> list[str]:
    """Every component that listens, in the order the sandbox starts them."""
    return ["chain", *(f"gateway {code}" for code in DEPARTMENTS), "portal", "claims", "credit"]


def plan_ports(base: int) -> dict[str, int]:
    """Each component's port: ``base`` and up, or any free ports when ``base`` is 0."""
    names = component_names()
    if base:
        offsets = [*range(len(DEPARTMENTS) + 1), 10, 11, 12]
        return dict(zip(names, (base + o for o in offsets), strict=True))
    chosen: dict[str, int] = {}
    for name in names:
        port = _free_port()
        while port in chosen.values():
            port = _free_port()
        chosen[name] = port
    return chosen


def check_free(ports: dict[str, int], *, resuming: bool) -> None:
    """Refuse, naming every taken port, unless all of ``ports`` can be bound on loopback.

    Raises:
        SandboxPortsInUse: Some are taken.
    """
    taken = [(name, port) for name, port in ports.items() if not _bindable(port)]
    if taken:
        raise SandboxPortsInUse(taken, resuming=resuming)


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers do: a port left in TIME_WAIT is free, one with a listener is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
