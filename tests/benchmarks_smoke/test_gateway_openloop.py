"""The open-loop gateway benchmark: its load generator, its verdicts and its ``--quick`` run.

Correctness only, never timing: the quick run's figures mean nothing, but every request it
schedules must be answered 200 with a receipt that the SDK verifies, in every variant (four
of one process, one of two worker processes).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.gateway_loadgen import run_open, schedule
from benchmarks.gateway_openloop import VARIANTS, summarise
from benchmarks.gateway_openloop_report import predict, variant_name
from tests.utils.procs import run_bounded

REPO = Path(__file__).resolve().parents[2]


def test_uniform_schedule_is_evenly_spaced_and_poisson_keeps_the_mean_rate() -> None:
    assert schedule(4, 100.0) == [0.0, 0.01, 0.02, 0.03]
    offsets = schedule(20_000, 1000.0, poisson=True, seed=3)
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    assert offsets == sorted(offsets) and len(set(gaps)) > 1000
    assert 0.95e-3 < sum(gaps) / len(gaps) < 1.05e-3


async def _slow_server(delay: float) -> tuple[asyncio.Server, int]:
    """An HTTP/1.1 server answering each request ``delay`` s after it arrived."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
            body = await reader.readexactly(length)
            await asyncio.sleep(delay)
            answer = b'{"receipt":{"receipt":{"receipt_id":"%s"}}}' % body
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(answer) + answer)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_open_loop_measures_latency_from_the_due_time_not_from_the_send() -> None:
    async def scenario() -> dict[str, Any]:
        server, port = await _slow_server(0.05)
        ids = [f"00000000-0000-4000-8000-{i:012d}".encode() for i in range(10)]
        async with server:
            # one connection, a request due every 10 ms, each answered after 50 ms
            return await run_open("127.0.0.1", port, ids, 100.0, 1)

    result = asyncio.run(scenario())

    assert result["statuses"] == {200: 10} and result["receipts"] == 10
    assert result["on_time"] == 1  # only the first left on schedule; the rest queued
    # the last was due at 90 ms and answered after ten 50 ms answers: ≥ 410 ms after its due time
    assert max(result["latencies"]) >= 0.41
    assert result["late_max_ms"] >= 360


def _row(**over: Any) -> dict[str, Any]:
    result = {
        "rate": 100.0, "scheduled": 100, "statuses": {"200": 100}, "receipts": 100,
        "connections": 32, "arrivals": "uniform", "on_time": 100, "late_p99_ms": 1.0,
        "late_max_ms": 2.0, "wall": 1.0, "cpu_s": 0.01, "latencies": [0.005] * 100,
    } | over  # fmt: skip
    groups = {"groups": 0.0, "grouped": 0.0, "observed": 0.0}
    return summarise(result, [0.2, 0.1, 0.05], groups, {"groups": 10.0, "grouped": 100.0,
                                                       "observed": 10.0})  # fmt: skip


def test_a_rate_is_sustained_only_on_schedule_without_refusals_and_under_the_p99_limit() -> None:
    assert _row()["sustained"] is True
    assert _row()["gw_cpu_ms"] == pytest.approx(2.0) and _row()["group_size"] == 10
    assert _row(on_time=98)["sustained"] is False
    assert _row(statuses={"200": 99, "503": 1})["sustained"] is False
    assert _row(receipts=99)["sustained"] is False
    assert _row(latencies=[0.005] * 98 + [0.051] * 2)["sustained"] is False


def test_prediction_scales_cpu_per_query_with_cores() -> None:
    row = {"gw_cpu_ms": 1.5, "node_cpu_ms": 0.5, "loadgen_cpu_ms": 0.5}
    assert predict(row, 4) == pytest.approx(2000)
    assert predict(row, 2, with_loadgen=True) == pytest.approx(800)


@pytest.mark.slow
def test_quick_run_answers_every_request_with_a_verified_receipt(tmp_path: Path) -> None:
    env = {**os.environ, "QUANCHENG_BENCH_OUT": str(tmp_path)}
    command = [sys.executable, "-m", "benchmarks.gateway_openloop", "--quick", "--out",
               str(tmp_path)]  # fmt: skip
    proc = run_bounded(command, cwd=REPO, env=env, timeout=900)
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"

    record = json.loads((tmp_path / "benchmarks/results/gateway_openloop.json").read_text())
    assert record["bench"] == "gateway_openloop" and record["quick"] is True
    variants = record["data"]["variants"]
    assert [(v["transport"], v["sealed"], v["workers"], v["anchor_process"])
            for v in variants] == list(VARIANTS)  # fmt: skip
    assert any(v["workers"] == 2 for v in variants)
    assert {v["anchor_process"] for v in variants} == {False, True}
    for v in variants:
        sm2 = v["sm2"]
        assert sm2["bound"] == pytest.approx(1 / (1 / sm2["verify"] + 1 / sm2["sign"]))
        assert len(v["rows"]) >= 2 and any(r["search"] for r in v["rows"])
        for r in v["rows"]:
            n = r["scheduled"]
            assert r["statuses"] == {"200": n} and r["refused"] == 0
            assert r["receipts"] == n and r["verified"] == n
            assert r["p50"] <= r["p95"] <= r["p99"] <= r["max"]
            assert r["groups"] >= 1 and r["group_size"] >= 1
            # One writer holds the turn at a time, whatever the worker processes.
            assert 0 < r["lock_busy"] <= 1.05 and r["turn_wait_ms"] >= 0
            assert r["gw_cpu_ms"] > 0 and math.isfinite(r["drain_s"])
            assert r["loop_cpu_ms"] <= r["gw_cpu_ms"]  # the loop threads are part of the tree
        labels = {p[0] for p in v["backlog"]["phases"]}
        assert labels == {f"{r['rate']:g}/s" for r in v["rows"]}
        assert v["backlog"]["samples"][-1][1] == 0  # drained at the end

    md = (tmp_path / "BENCHMARKS.md").read_text()
    found = re.search(r"<!-- BEGIN gateway_openloop -->\n(.*?)\n<!-- END gateway_openloop -->",
                      md, re.S)  # fmt: skip
    assert found is not None
    section = found.group(1)
    assert section.startswith("## Gateway, open loop") and "`--quick` run" in section
    for v in variants:  # one line per rate, one in the summary
        assert section.count(f"| {variant_name(v)} |") == len(v["rows"]) + 1
    assert "SM2 bound" in section and "8 cores" in section and "backlog" in section
    assert "write lock busy" in section
