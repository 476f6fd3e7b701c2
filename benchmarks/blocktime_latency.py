"""What a block period costs: owner decisions, claim/loan decisions, anchoring, the audit.

For each block time (0: instant mining; N: the node seals every N s, as QBFT does) it starts
a fresh local node, deploys the test scenario, runs its gateway in this process and measures:

- approval → first answer and revoke → first refusal, timed from the owner's signed decision
  being sent to the first changed answer of a query repeated every 50 ms, split into inclusion
  (send → receipt: waiting for the block) and view (receipt → changed answer: the follower);
- anchoring: a burst of verified queries, then the receipts anchored/s until the backlog is
  empty, its peak, the time to drain after the last answer, anchor transactions and blocks;
- the audit of that gateway's whole trail: per-source view lag (max, p99), i.e. the clock
  tolerance the audit needs, and whether it passes with the default bounds;
- claim and loan decisions end to end (:func:`benchmarks.decision_bench.run`, the demo's
  stack on a node at the same block time): p50/p99 per kind.

Written through :func:`benchmarks.report.publish` (section ``blocktime``, rendered by
:mod:`benchmarks.blocktime_report`)::

    .venv/bin/python -m benchmarks.blocktime_latency [--block-times 0 2] [--trials 5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

from fastapi.testclient import TestClient
from web3.types import TxReceipt

from benchmarks import decision_bench
from benchmarks.blocktime_report import render, timing_summary
from benchmarks.blocktime_trail import (
    FIELDS,
    MAX_USES,
    VR,
    anchoring_burst,
    audit_trail,
    status,
    wait,
)
from benchmarks.report import add_output_args, apply_output_args, publish
from quancheng.chain.client import ChainUnavailable
from quancheng.evidence import EVIDENCE_DIR_ENV
from quancheng.protocol import GrantAction
from quancheng_demo.__main__ import BUSINESSES, PEOPLE
from quancheng_gateway.main import create_app
from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode
from tests.utils.blocktime import NODE_ENV_VAR
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
)


@dataclass
class Timing:
    """One decision: seconds from its send to its receipt, and to the gateway's first change;
    and how far its block's timestamp lies behind the wall clock at the send (the node's
    clock offset: positive means block times run behind this machine's clock)."""

    included_s: float
    changed_s: float
    stamped_behind_s: float


def _timed(sc: Scenario, send: Callable[[], TxReceipt], changed: Callable[[], bool]) -> Timing:
    """Send in a thread; poll ``changed`` from the same instant until it holds."""
    receipts: list[tuple[float, TxReceipt]] = []
    failed: list[BaseException] = []
    wall, started = time.time(), time.perf_counter()

    def run() -> None:
        try:
            receipt = send()
        except BaseException as exc:  # re-raised below, in the measuring thread
            failed.append(exc)
            return
        receipts.append((time.perf_counter(), receipt))

    sender = threading.Thread(target=run)
    sender.start()
    wait(lambda: bool(failed) or changed(), "the gateway's answer changing")
    seen = time.perf_counter()
    sender.join()
    if failed:
        raise failed[0]
    receipt_at, receipt = receipts[0]
    stamped = int(sc.net.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    return Timing(receipt_at - started, seen - started, wall - stamped)


@contextmanager
def _stack(block_time_s: float, work: Path) -> Iterator[tuple[Scenario, TestClient]]:
    """A fresh node sealing every ``block_time_s``, the test scenario, its gateway in process."""
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


def _trial(sc: Scenario, client: TestClient, subject: str) -> tuple[Timing, Timing]:
    """One approval and one revocation of ``subject``'s grants, timed from their sends."""
    owner = owner_for(sc, subject)
    pending = grant_document(sc, owner, {VR: FIELDS}, max_uses=MAX_USES)
    request_grant(sc, pending)
    approval = _timed(
        sc, lambda: approve(sc, pending, owner), lambda: status(client, sc, pending) == 200
    )
    live = active_grant(sc, subject, {VR: FIELDS}, max_uses=MAX_USES)
    wait(lambda: status(client, sc, live) == 200, "the grant reaching the view")
    revocation = _timed(
        sc,
        lambda: act(sc, live, owner, GrantAction.REVOKE),
        lambda: status(client, sc, live) == 403,
    )
    return approval, revocation


@dataclass(frozen=True)
class Sizes:
    """How much each block time measures (``decision_rounds`` 0: no claim/loan decisions)."""

    trials: int
    burst: int
    decision_rounds: int
    people: int = PEOPLE
    businesses: int = BUSINESSES


def decisions(block_time_s: float, sizes: Sizes) -> dict[str, Any]:
    """Claim and loan decisions on the demo's stack at ``block_time_s``: p50/p99 per kind.

    One retry: the stack's SDK clients can lose a keep-alive connection the node just closed
    (``ChainUnavailable``, connection reset); the error is kept beside the figures.
    """
    errors: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="qc-blocktime-evidence-") as evidence,
        # The demo's stack builds its node's settings from the environment; each run deploys
        # the same addresses on chain id 5310, so the consumers' evidence stores must be
        # fresh too (an old run's receipts at the same log indices read as equivocation).
        patch.dict(os.environ, {NODE_ENV_VAR: f"{block_time_s:g}", EVIDENCE_DIR_ENV: evidence}),
    ):
        for _attempt in range(2):
            try:
                decided = decision_bench.run(sizes.decision_rounds, sizes.people, sizes.businesses)
            except ChainUnavailable as exc:
                errors.append(str(exc))
                continue
            return decision_bench.results(sizes.decision_rounds, decided) | {"errors": errors}
    return {"rounds": sizes.decision_rounds, "cases": [], "errors": errors}


def _timings(values: list[Timing]) -> dict[str, Any]:
    changed = [round(t.changed_s * 1000, 1) for t in values]
    included = [round(t.included_s * 1000, 1) for t in values]
    return {
        "changed_ms": changed,
        "included_ms": included,
        "stamped_behind_s": [round(t.stamped_behind_s, 3) for t in values],
        "summary": timing_summary(changed, included),
    }


def measure(block_time_s: float, sizes: Sizes) -> dict[str, Any]:
    """Every figure of one block time, each stack fresh and sealing every ``block_time_s``."""
    run: dict[str, Any] = {"block_time_s": block_time_s, "loadavg_before": os.getloadavg()}
    stages: dict[str, float] = {}
    timings: dict[str, list[Timing]] = {"approve": [], "revoke": []}
    began = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="qc-blocktime-") as tmp,
        _stack(block_time_s, Path(tmp)) as (sc, client),
    ):
        stages["deploy"] = time.perf_counter() - began
        for subject in sc.subjects[: sizes.trials]:
            for kind, timing in zip(timings, _trial(sc, client, subject), strict=True):
                timings[kind].append(timing)
        stages["trials"] = time.perf_counter() - began - sum(stages.values())
        run["anchoring"] = anchoring_burst(sc, client, sizes.burst)
        stages["burst"] = time.perf_counter() - began - sum(stages.values())
        run["audit"] = audit_trail(sc, client)
        stages["audit"] = time.perf_counter() - began - sum(stages.values())
    run |= {kind: _timings(values) for kind, values in timings.items()}
    if sizes.decision_rounds:
        run["decisions"] = decisions(block_time_s, sizes)
        stages["decisions"] = time.perf_counter() - began - sum(stages.values())
    return run | {"stages_s": stages, "loadavg_after": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--block-times", type=float, nargs="+", help="seconds (default: 0 2; --quick: 0 1)"
    )
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--burst", type=int, default=600, help="verified queries to anchor")
    parser.add_argument("--rounds", type=int, default=20, help="decisions of each kind (0: none)")
    add_output_args(parser)
    args = parser.parse_args(argv)
    apply_output_args(args)
    # SIGTERM unwinds like Ctrl-C, so the nodes and gateways started here are stopped too.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(128 + signal.SIGTERM))
    # --quick: the demo's eight-gateway stack is decision_bench's own to check; not here.
    sizes = (
        Sizes(trials=1, burst=20, decision_rounds=0)
        if args.quick
        else Sizes(trials=args.trials, burst=args.burst, decision_rounds=args.rounds)
    )
    runs = []
    for seconds in args.block_times or ([0.0, 1.0] if args.quick else [0.0, 2.0]):
        print(f"block time {seconds:g} s (load average {os.getloadavg()})", flush=True)
        runs.append(measure(seconds, sizes))
        print(f"  stages, s: {runs[-1]['stages_s']}", flush=True)
    data = {
        "trials": sizes.trials,
        "burst": sizes.burst,
        "decision_rounds": sizes.decision_rounds,
        "runs": runs,
    }
    text = render(data)
    print(text)
    if not args.no_write:
        publish("blocktime", text, data, quick=args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
