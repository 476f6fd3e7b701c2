"""The soak's checks fail on a lost, duplicated or unanchored receipt, a failed query, an audit
finding or growing memory.

Built on a hand-made run (no node, no gateway): the short real soak in ``test_soak`` only
shows the checks pass; these show each one can fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from benchmarks.soak_report import Check, Phase, Sample, Soak, checks, plot, summary
from quancheng_audit import ReceiptLog

N = 6


def _phase(where: Path, answers: list[dict[str, Any]], failures: list[dict[str, Any]]) -> Phase:
    """A finished locust run whose own count agrees with the outcome lines."""
    where.mkdir()
    totals = [{"num_requests": len(answers) + len(failures), "num_failures": len(failures)}]
    (where / "locust.json").write_text(json.dumps(totals))
    return Phase(where.name, 2, 20, 1000.0, 0, answers, failures, where / "locust")


def _honest(tmp_path: Path) -> dict[str, Any]:
    tmp_path.mkdir(exist_ok=True)
    answers = [
        {"r": f"req-{i}", "h": f"0x{i:064x}", "id": f"rc-{i}", "i": i, "t": 1000.0 + i, "ms": 5.0}
        for i in range(N)
    ]
    entries = [
        {"log_index": i, "receipt": {"receipt_id": f"rc-{i}", "request_hash": f"0x{i:064x}"}}
        for i in range(N)
    ]
    batches = [
        {"seq": 0, "first_index": 0, "size": 4, "root": "0xa", "status": "done"},
        {"seq": 1, "first_index": 4, "size": 2, "root": "0xb", "status": "done"},
    ]
    return {
        "answers": answers,
        "failures": [],
        "entries": entries,
        "batches": batches,
        "onchain": {0: ("0xa", 0, 4), 1: ("0xb", 4, 2)},
        "db": {f"req-{i}": 1 for i in range(N)},
        "findings": [],
        "dir": tmp_path,
    }


def _soak(
    run: dict[str, Any], *, duration: int = 20, rss: Callable[[float], float] = lambda t: 130.0
) -> Soak:
    log = ReceiptLog(
        provider="jinan.vmo",
        source="test",
        exported_at_ms=0,
        total=len(run["entries"]),
        entries=run["entries"],
        batches=run["batches"],
        refusals={},
        answered=len(run["answers"]),
    )
    report: Any = SimpleNamespace(
        passed=not run["findings"],
        findings=run["findings"],
        counts={"receipts": len(run["entries"])},
        pending=[],
    )
    capacity = _phase(run["dir"] / "capacity", [], [])
    load = _phase(run["dir"] / "load", run["answers"], run["failures"])
    samples = [Sample(1000.0 + t, rss(t), 0, 0.9, 1.5) for t in range(0, duration, 5)]
    soak = Soak(duration, 0.8, capacity, load, 1.0, samples, log=log)
    soak.report, soak.onchain, soak.db_request_ids = report, run["onchain"], run["db"]
    return soak


def _judge(run: dict[str, Any], **kw: Any) -> dict[str, Check]:
    return {c.name: c for c in checks(_soak(run, **kw))}


def _failed(run: dict[str, Any]) -> set[str]:
    return {name for name, c in _judge(run).items() if c.passed is False}


def test_an_honest_run_passes_every_correctness_check(tmp_path: Path) -> None:
    assert _failed(_honest(tmp_path)) <= {"target rate held"}


def test_a_lost_receipt_fails(tmp_path: Path) -> None:
    run = _honest(tmp_path)
    del run["entries"][3]
    assert {
        "every answered request has exactly one receipt",
        "log gap-free, every receipt in a batch anchored on chain",
    } <= _failed(run)


def test_a_receipt_logged_twice_for_one_request_fails(tmp_path: Path) -> None:
    run = _honest(tmp_path)
    twice = {"log_index": N, "receipt": run["entries"][2]["receipt"] | {"receipt_id": "rc-x"}}
    run["entries"].append(twice)
    run["batches"].append({"seq": 2, "first_index": N, "size": 1, "root": "0xc", "status": "done"})
    run["onchain"][2] = ("0xc", N, 1)
    failed = _failed(run)
    assert "every answered request has exactly one receipt" in failed
    assert "no receipt without an answer" in failed


def test_a_request_id_twice_in_the_gateway_database_fails(tmp_path: Path) -> None:
    run = _honest(tmp_path)
    run["db"]["req-1"] = 2
    assert "every answered request has exactly one receipt" in _failed(run)


def test_a_receipt_without_an_answer_fails(tmp_path: Path) -> None:
    run = _honest(tmp_path)
    del run["answers"][5]
    assert "no receipt without an answer" in _failed(run)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda run: run["onchain"].pop(1),
        lambda run: run["onchain"].__setitem__(1, ("0xother", 4, 2)),
        lambda run: run["batches"][1].__setitem__("status", "created"),
        lambda run: run["batches"].pop(),
    ],
    ids=["batch-not-on-chain", "other-root-on-chain", "batch-not-anchored", "receipts-unbatched"],
)
def test_an_unanchored_receipt_fails(tamper: Any, tmp_path: Path) -> None:
    run = _honest(tmp_path)
    tamper(run)
    assert "log gap-free, every receipt in a batch anchored on chain" in _failed(run)


def test_a_failed_query_fails(tmp_path: Path) -> None:
    run = _honest(tmp_path)
    run["failures"] = [{"fail": "HTTP 503: STORAGE_UNAVAILABLE", "r": "req-x", "t": 1001.0}]
    assert "zero failed requests" in _failed(run)


def test_an_audit_finding_fails(tmp_path: Path) -> None:
    run = _honest(tmp_path)
    run["findings"] = [SimpleNamespace(line=lambda: "RECEIPT_SIGNATURE_INVALID rc-1")]
    assert "audit clean over the same receipts" in _failed(run)


def _memory_verdict(tmp_path: Path, mib_per_min: float) -> bool | None:
    run = _honest(tmp_path)
    checks_by_name = _judge(run, duration=600, rss=lambda t: 130.0 + mib_per_min * t / 60)
    return checks_by_name["memory flat"].passed


def test_flat_memory_passes_and_a_leak_fails(tmp_path: Path) -> None:
    assert _memory_verdict(tmp_path / "flat", 0.0) is True
    assert _memory_verdict(tmp_path / "leak", 2.0) is False


def test_the_plot_is_drawn_from_the_summary_alone(tmp_path: Path) -> None:
    soak = _soak(_honest(tmp_path), duration=600)
    data = json.loads(json.dumps(summary(soak, checks(soak), tmp_path / "soak.png")))
    plot(data, tmp_path / "again.png")
    assert (tmp_path / "again.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
