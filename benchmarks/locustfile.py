"""Locust user of the soak benchmark: a consumer querying one gateway through the SDK.

Run by ``benchmarks.soak`` (never imported by it: ``import locust`` monkey-patches the
process with gevent)::

    QC_SOAK_CONFIG=run.json locust -f benchmarks/locustfile.py --headless -u N -r N -t 60s

``run.json`` (written by the driver) names the deployment (``rpc_url``, ``manifest``), the
consumer (``consumer_code``, ``sm2_key_file``, ``chain_key_file``), the ``grants``, the
``resource`` and ``fields``, ``rate_per_user`` (queries/s per user through locust's
``constant_throughput``; 0 = closed loop), ``verify`` (default true) and ``out_dir``.

Each query is built and signed afresh by the SDK's own ``ConsumerCore.prepare_query`` (new
UUID request id, current ``issued_at_ms``, SM2 signature over the canonical request) and every
200 answer is verified by ``ConsumerCore.verify_answer_body`` (gateway signature, request
hash, data digest, receipt fields; with ``verify`` false only parsed strictly, to spare the
client's CPU). Anything else is a locust failure. Each process appends
one JSON line per outcome to ``out_dir/answers-<pid>.jsonl``: for an answer its request id,
request hash, receipt id, log index, send time and latency; for a failure the reason.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import IO, Any

from locust import FastHttpUser, constant, constant_throughput, events, task

from quancheng.chain import ContractSet, Manifest, make_web3
from quancheng.consumer import ConsumerCore
from quancheng.identity import Institution
from quancheng.verify import parse_answer, request_hash
from quancheng.verify_errors import AnswerVerificationError


def _load_config() -> dict[str, Any]:
    path = os.environ.get("QC_SOAK_CONFIG")
    if not path:
        raise RuntimeError("QC_SOAK_CONFIG must name the soak run's JSON configuration")
    config: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return config


CONFIG = _load_config()
_RATE = float(CONFIG.get("rate_per_user") or 0.0)
_VERIFY = bool(CONFIG.get("verify", True))
_CORE: ConsumerCore | None = None
_OUT: IO[str] | None = None


def _core() -> ConsumerCore:
    """One consumer core per process, shared by its users (its caches are thread-safe)."""
    global _CORE
    if _CORE is None:
        institution = Institution.load(
            CONFIG["consumer_code"],
            sm2_key=Path(CONFIG["sm2_key_file"]),
            chain_key_file=Path(CONFIG["chain_key_file"]),
        )
        contracts = ContractSet(
            make_web3(CONFIG["rpc_url"]), Manifest.load(Path(CONFIG["manifest"]))
        )
        _CORE = ConsumerCore(institution, contracts)
    return _CORE


def _record(line: dict[str, Any]) -> None:
    global _OUT
    if _OUT is None:
        out_dir = Path(CONFIG["out_dir"])
        out_dir.mkdir(parents=True, exist_ok=True)
        _OUT = (out_dir / f"answers-{os.getpid()}.jsonl").open("a", encoding="utf-8")
    _OUT.write(json.dumps(line, separators=(",", ":")) + "\n")


def _flush(**_kw: Any) -> None:
    if _OUT is not None:
        _OUT.flush()
        os.fsync(_OUT.fileno())


events.quitting.add_listener(_flush)  # type: ignore[no-untyped-call]


class SoakConsumer(FastHttpUser):
    """One consumer connection: fresh signed query, POST /v1/query, verify the answer."""

    wait_time = constant_throughput(_RATE) if _RATE > 0 else constant(0)
    host = CONFIG.get("gateway_url")

    @task
    def query(self) -> None:
        core = _core()
        prepared = core.prepare_query(
            random.choice(CONFIG["grants"]), CONFIG["resource"], CONFIG["fields"]
        )
        request_id = prepared.signed.request.request_id
        sent = time.time()
        started = time.perf_counter()
        with self.client.post(
            "/v1/query",
            data=prepared.body,  # type: ignore[arg-type]  # bytes are sent as they are
            headers={"Content-Type": "application/json"},
            name="/v1/query",
            catch_response=True,
        ) as resp:
            latency_ms = (time.perf_counter() - started) * 1000
            if resp.status_code != 200:
                reason = f"HTTP {resp.status_code}: {(resp.text or '')[:200]}"
                resp.failure(reason)
                _record({"fail": reason, "r": request_id, "t": sent})
                return
            body = resp.content or b""
            try:
                if _VERIFY:
                    receipt = core.verify_answer_body(prepared, body).receipt
                else:
                    receipt = parse_answer(body).receipt
            except AnswerVerificationError as exc:
                reason = f"answer does not verify: {type(exc).__name__}: {exc}"
                resp.failure(reason)
                _record({"fail": reason, "r": request_id, "t": sent})
                return
            _record(
                {
                    "r": request_id,
                    "h": request_hash(prepared.signed.request),
                    "id": receipt.receipt.receipt_id,
                    "i": receipt.log_index,
                    "t": sent,
                    "ms": round(latency_ms, 3),
                }
            )
