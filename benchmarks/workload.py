"""What the gateway benchmarks ask and how they wait: one resource, two fields, signed bodies.

Shared by ``gateway_bench``, ``gateway_openloop``, ``transport_bench``, ``gateway_profile`` and
``blocktime_trail`` so that their figures are of the same query, and so that none of them
reaches into another's private helpers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from quancheng_gateway.process import GatewayProcess
from tests.utils.scenario import signed_request

__all__ = ["FIELDS", "VR", "health", "request_bodies", "wait_for_view", "wait_until"]

#: The resource every gateway benchmark queries, and the fields it asks for.
VR = "vehicle.registration"
FIELDS = ("plate_no", "status")


def request_bodies(
    sc: Any,
    docs: Sequence[Any],
    n: int,
    *,
    channel: str | None = None,
    sealed: bool = False,
) -> list[bytes]:
    """``n`` request bodies signed by the scenario's consumer, cycling through ``docs``'
    grants: canonical JSON, as the SDK sends them."""
    return [
        signed_request(sc.consumer, docs[i % len(docs)], VR, FIELDS, channel=channel, seal=sealed)
        .canonical()
        for i in range(n)
    ]  # fmt: skip


def health(proc: GatewayProcess) -> dict[str, Any]:
    """The gateway's ``/healthz`` document (it must answer)."""
    found = proc.health()
    assert found is not None, "the gateway did not answer /healthz"
    return found


def wait_until(predicate: Callable[[], bool], timeout: float) -> None:
    """Poll ``predicate`` every 50 ms until it holds or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)


def wait_for_view(proc: GatewayProcess, head: int, timeout: float = 30) -> None:
    """Until the gateway's chain view has applied block ``head``."""
    wait_until(lambda: health(proc)["view_block"] >= head, timeout)
