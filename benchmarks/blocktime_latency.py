"""How long an owner's decision takes to reach a gateway, instant mining against N-second blocks.

For each block time it starts a local node, deploys the test scenario and runs its gateway in
this process, then times, from the moment the owner's signed decision is sent:

- approval → first answer: the consumer's query, repeated every 50 ms, is first answered;
- revoke → first refusal: the same query is first refused with ``GRANT_REVOKED``.

The time splits into inclusion (send → receipt: waiting for the next block) and view (receipt →
the gateway's answer changes: the follower's lag). Figures are printed, not written anywhere.

    .venv/bin/python -m benchmarks.blocktime_latency [--block-times 0 2] [--trials 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from quancheng.protocol import GrantAction
from quancheng_gateway.main import create_app
from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode
from tests.utils.ports import free_port
from tests.utils.scenario import (
    Scenario,
    act,
    active_grant,
    approve,
    build_scenario,
    gateway_settings,
    grant_document,
    owner_for,
    request_grant,
    signed_request,
)

VR, FIELDS = "vehicle.registration", ("plate_no", "status")
POLL_S = 0.05
#: Every poll before the change is an answered (or refused) query: room for all of them.
MAX_USES = 100_000


@dataclass
class Timing:
    """One decision: seconds from its send to its receipt, and to the gateway's first change."""

    included_s: float
    changed_s: float


def _timed(send: Callable[[], Any], changed: Callable[[], bool]) -> Timing:
    """Send in a thread; poll ``changed`` from the same instant until it holds."""
    receipt_at: list[float] = []
    started = time.perf_counter()

    def run() -> None:
        send()
        receipt_at.append(time.perf_counter())

    sender = threading.Thread(target=run)
    sender.start()
    while not changed():
        if time.perf_counter() - started > 120:
            raise TimeoutError("the gateway's answer did not change within 120 s")
        time.sleep(POLL_S)
    seen = time.perf_counter()
    sender.join()
    return Timing(receipt_at[0] - started, seen - started)


@contextmanager
def _stack(block_time_s: float, work: Path) -> Iterator[tuple[Scenario, TestClient]]:
    node = HardhatNode(
        NodeSettings(port=free_port(), state_dir=work / "chain", block_time_s=block_time_s)
    )
    node.start()
    try:
        sc = build_scenario(node.rpc_url, node.dev_private_keys(1)[0], work / "sc")
        app = create_app(
            gateway_settings(sc, database_url=f"sqlite:///{work / 'gw.db'}"), configure_logs=False
        )
        with TestClient(app) as client:
            yield sc, client
    finally:
        node.stop()


def _status(client: TestClient, sc: Scenario, doc: Any) -> int:
    signed = signed_request(sc.consumer, doc, VR, FIELDS)
    return int(client.post("/v1/query", content=signed.model_dump_json()).status_code)


def _trial(sc: Scenario, client: TestClient, subject: str) -> tuple[Timing, Timing]:
    """One approval and one revocation of ``subject``'s grants, timed from their sends."""
    owner = owner_for(sc, subject)
    pending = grant_document(sc, owner, {VR: FIELDS}, max_uses=MAX_USES)
    request_grant(sc, pending)
    approval = _timed(
        lambda: approve(sc, pending, owner), lambda: _status(client, sc, pending) == 200
    )
    live = active_grant(sc, subject, {VR: FIELDS}, max_uses=MAX_USES)
    while _status(client, sc, live) != 200:  # the view has the grant before the revoke
        time.sleep(POLL_S)
    revocation = _timed(
        lambda: act(sc, live, owner, GrantAction.REVOKE),
        lambda: _status(client, sc, live) == 403,
    )
    return approval, revocation


def measure(block_time_s: float, trials: int) -> dict[str, list[Timing]]:
    """Approval and revocation timings on a fresh stack sealing every ``block_time_s``."""
    out: dict[str, list[Timing]] = {"approve": [], "revoke": []}
    with tempfile.TemporaryDirectory(prefix="qc-blocktime-") as tmp:
        work = Path(tmp)
        with _stack(block_time_s, work) as (sc, client):
            for subject in sc.subjects[:trials]:
                approval, revocation = _trial(sc, client, subject)
                out["approve"].append(approval)
                out["revoke"].append(revocation)
    return out


def _row(label: str, timings: list[Timing]) -> str:
    changed = [t.changed_s * 1000 for t in timings]
    included = [t.included_s * 1000 for t in timings]
    return (
        f"| {label} | {statistics.median(changed):.0f} | {max(changed):.0f} "
        f"| {statistics.median(included):.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block-times", type=float, nargs="+", default=[0.0, 2.0])
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args(argv)
    print("| block time, decision | to the gateway's first change, median ms | max ms "
          "| send → receipt, median ms |")  # fmt: skip
    print("|---|---|---|---|")
    for seconds in args.block_times:
        results = measure(seconds, args.trials)
        name = "instant" if seconds == 0 else f"{seconds:g} s"
        print(_row(f"{name}, approval → first answer", results["approve"]))
        print(_row(f"{name}, revoke → first refusal", results["revoke"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
