"""Load and bookkeeping for the fault scenarios: who was answered, what the log holds.

:class:`Load` runs client threads that each send freshly signed queries to one gateway over
real HTTP until stopped, and keeps every outcome (HTTP status and refusal code, or no answer
at all when the connection failed). The checks compare those outcomes with the receipt log
read straight from the gateway's database and with the batches anchored on chain.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select

from quancheng.chain.types import code32
from quancheng.protocol import SignedRequest
from quancheng_gateway.models import ReceiptRow
from quancheng_gateway.process import GatewayProcess
from tests.gateway.conftest import wait_until
from tests.utils.readers import OPERATOR
from tests.utils.scenario import Scenario

#: What a client records when the connection failed before any answer (gateway down).
NO_ANSWER = "NO_ANSWER"


@dataclass(frozen=True)
class Outcome:
    """One query as its client saw it."""

    signed: SignedRequest
    started: float  # time.monotonic() when sent
    ended: float
    status: int | None  # None: no HTTP answer
    code: str  # "OK", the refusal code, or NO_ANSWER
    receipt_id: str | None  # from a 200 answer
    detail: str = ""  # a refusal's message and details, to name it in a failed assertion

    @property
    def request_id(self) -> str:
        return self.signed.request.request_id


def post(client: httpx.Client, url: str, signed: SignedRequest) -> Outcome:
    """Send one signed query; its outcome (never raises for a failed connection)."""
    started = time.monotonic()
    try:
        resp = client.post(url + "/v1/query", content=signed.model_dump_json())
    except httpx.TransportError:
        return Outcome(signed, started, time.monotonic(), None, NO_ANSWER, None)
    ended = time.monotonic()
    if resp.status_code == 200:
        receipt_id = resp.json()["receipt"]["receipt"]["receipt_id"]
        return Outcome(signed, started, ended, 200, "OK", receipt_id)
    try:
        error = resp.json()["error"]
        code = str(error["code"])
    except (ValueError, KeyError, TypeError):
        return Outcome(signed, started, ended, resp.status_code, f"HTTP_{resp.status_code}", None)
    return Outcome(signed, started, ended, resp.status_code, code, None, str(error)[:300])


class Load:
    """``clients`` threads sending freshly signed queries to ``url`` until :meth:`stop`."""

    def __init__(self, url: str, make: Callable[[int], SignedRequest], *, clients: int = 4) -> None:
        self.url, self.make, self.clients = url, make, clients
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> Load:
        self._threads = [
            threading.Thread(target=self._client, args=(i,), daemon=True)
            for i in range(self.clients)
        ]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for t in self._threads:
            t.join(30)
        return list(self.outcomes)

    def _client(self, i: int) -> None:
        with httpx.Client(timeout=20) as client:
            while not self._stop.is_set():
                outcome = post(client, self.url, self.make(i))
                with self._lock:
                    self.outcomes.append(outcome)
                if outcome.status != 200:  # refused or down: leave the cores to the gateway
                    time.sleep(0.02)

    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return list(self.outcomes)

    def first(self, code: str, after: float = 0.0) -> Outcome | None:
        """The first outcome with ``code`` sent after ``after`` (monotonic)."""
        found = [o for o in self.snapshot() if o.code == code and o.started >= after]
        return min(found, key=lambda o: o.ended) if found else None

    def wait_for(self, code: str, after: float, timeout: float) -> Outcome:
        wait_until(lambda: self.first(code, after) is not None, timeout, f"a {code} answer")
        found = self.first(code, after)
        assert found is not None
        return found


def codes(outcomes: list[Outcome]) -> dict[str, int]:
    return dict(Counter(o.code for o in outcomes))


def log_rows(database_url: str) -> list[tuple[int, str, str]]:
    """(log_index, request_id, receipt_id) of every receipt, read from the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            t = ReceiptRow.__table__  # type: ignore[attr-defined]
            stmt = select(t.c.log_index, t.c.request_id, t.c.receipt_id).order_by(t.c.log_index)
            return [(int(i), str(q), str(c)) for i, q, c in conn.execute(stmt)]
    finally:
        engine.dispose()


def check_log(outcomes: list[Outcome], rows: list[tuple[int, str, str]]) -> dict[str, int]:
    """Gap-free log, one receipt per request id, every 200 answer's receipt in it."""
    assert [i for i, _, _ in rows] == list(range(len(rows))), "the log has a gap"
    by_request = Counter(q for _, q, _ in rows)
    assert max(by_request.values(), default=1) == 1, "a request id has two receipts"
    receipt_of = {q: c for _, q, c in rows}
    answered = [o for o in outcomes if o.status == 200]
    missing = [o.request_id for o in answered if receipt_of.get(o.request_id) != o.receipt_id]
    assert missing == [], f"{len(missing)} answered requests without their receipt"
    answered_ids = {o.request_id for o in answered}
    assert len(answered_ids) == len(answered), "a request id was answered twice"
    return {
        "receipts": len(rows),
        "answered_200": len(answered),
        "receipts_without_200": len(rows) - len(answered_ids),
    }


def anchored_on_chain(sc: Scenario) -> int:
    """Receipts anchored on chain for the scenario's provider (sum of batch sizes)."""
    contracts, provider = sc.net.contracts, code32(sc.provider.code)
    return sum(contracts.anchor(provider, s).size for s in range(contracts.next_seq(provider)))


def health(proc: GatewayProcess) -> dict[str, Any]:
    found = proc.health()
    assert found is not None, "the gateway does not answer /healthz"
    return found


def wait_anchored(proc: GatewayProcess, timeout: float = 60.0) -> float:
    """Wait until the whole log is anchored; the seconds it took."""
    started = time.monotonic()
    wait_until(
        lambda: (h := proc.health()) is not None and h["unanchored"] == 0 and h["ok"],
        timeout,
        "the whole log anchored",
    )
    return time.monotonic() - started


def synced(sc: Scenario, proc: GatewayProcess, timeout: float = 20.0) -> None:
    head = sc.net.w3.eth.block_number
    wait_until(lambda: health(proc)["view_block"] >= head, timeout, f"view at block {head}")


def flock_holder(lock: Path) -> int | None:
    """The pid holding an ``flock`` on ``lock``, from /proc/locks (None if nobody holds it)."""
    if not lock.exists():
        return None
    inode = lock.stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        if parts[1] == "FLOCK" and parts[5].endswith(f":{inode}"):
            return int(parts[4])
    return None


def scrape_metrics(url: str) -> dict[str, float]:
    """One ``/metrics`` scrape on a new connection (with several processes it may reach any
    of them): sample name, then ``|``-joined label values → value."""
    text = httpx.get(url + "/metrics", headers=OPERATOR, timeout=10).text
    return {
        s.name + "".join(f"|{v}" for v in s.labels.values()): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def report(title: str, figures: dict[str, Any]) -> None:
    """Print the scenario's figures (``pytest -s`` shows them; docs/faults.md records them)."""
    print(f"\n[faults] {title}")
    for name, value in figures.items():
        print(f"  {name}: {round(value, 3) if isinstance(value, float) else value}")
