"""Follow the contracts' events into a local store, fast enough to refuse on fresh state.

:class:`ChainFollower` polls ``eth_blockNumber`` and fetches the deployment's logs from the
last processed block with ``eth_getLogs``, decodes them with
:meth:`~quancheng.chain.ContractSet.decode_log`, and hands each range to a sink that applies
the events and records the range's last block in one transaction, so a restart resumes
exactly where the store stopped. A WebSocket ``newHeads`` subscription (Hardhat serves
WebSocket on its HTTP port) wakes the poller as soon as a block is mined; without it the
poller runs every ``poll_interval`` seconds. With it, blocks need no timer: the poller then
runs every ``ws_poll_interval`` seconds between blocks, to confirm an idle chain's head.

Freshness is explicit: :attr:`ChainFollower.confirmed_at` is the monotonic time at which
the store last held everything up to the head the node reported, and :meth:`lag` says
how long ago that was; callers refuse to act on a view older than their bound.

Example:
    >>> follower = ChainFollower(contracts, sink, start_block=manifest_block)
    >>> follower.start()
    >>> follower.wait_for_block(receipt["blockNumber"], timeout=5)
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from web3.exceptions import Web3Exception

from quancheng.chain.contracts import ContractSet, DecodedEvent

__all__ = ["ChainFollower", "FollowedEvent", "FollowerSink"]

_log = logging.getLogger("quancheng.chain.follower")


@dataclass(frozen=True)
class FollowedEvent:
    """A decoded event and where it happened."""

    block_number: int
    tx_hash: str
    log_index: int
    event: DecodedEvent

    @property
    def name(self) -> str:
        return self.event.name

    @property
    def args(self) -> dict[str, Any]:
        return self.event.args


class FollowerSink(Protocol):
    """Where followed events go."""

    def processed_block(self) -> int:
        """The last block already applied (−1 for none)."""
        ...

    def apply(self, events: list[FollowedEvent], to_block: int) -> None:
        """Apply ``events`` (ordered) and record ``to_block`` as processed, atomically."""
        ...


class ChainFollower:
    """Polls the chain for the deployment's events and feeds them to a sink, in a thread."""

    def __init__(
        self,
        contracts: ContractSet,
        sink: FollowerSink,
        *,
        start_block: int = 0,
        poll_interval: float = 0.1,
        ws_poll_interval: float = 0.5,
        max_range: int = 2000,
        ws_url: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.contracts = contracts
        self.sink = sink
        self.poll_interval = poll_interval
        #: Between blocks while the subscription is up (each poll costs the process a chain
        #: call: under load, timer polls were 5 % of a gateway's GIL time).
        self.ws_poll_interval = max(ws_poll_interval, poll_interval)
        self.max_range = max_range
        self.ws_url = ws_url
        self._monotonic = monotonic
        self._addresses = [c.address for c in contracts.by_name.values()]
        self.processed_block = max(sink.processed_block(), start_block - 1)
        self.head_block = -1
        #: Monotonic time at which the store last held everything up to the node's head.
        self.confirmed_at: float | None = None
        #: True while the node answers; False after a failed poll.
        self.reachable = False
        self.last_error: str | None = None
        self.websocket_connected = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._progress = threading.Condition()
        self._threads: list[threading.Thread] = []

    # ----------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start polling (and the WebSocket wake-up, if configured) in daemon threads."""
        self._stop.clear()
        self._threads = [threading.Thread(target=self._run, name="chain-follower", daemon=True)]
        if self.ws_url:
            self._threads.append(
                threading.Thread(target=self._run_ws, name="chain-follower-ws", daemon=True)
            )
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the threads."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    # ------------------------------------------------------------------------ progress

    def lag(self) -> float | None:
        """Seconds since the store last confirmed the chain head (None: never)."""
        if self.confirmed_at is None:
            return None
        return self._monotonic() - self.confirmed_at

    def wait_for_block(self, block: int, timeout: float) -> bool:
        """Block until ``block`` is processed; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._progress:
            while self.processed_block < block:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wake.set()
                self._progress.wait(min(remaining, 0.05))
        return True

    def poll_once(self) -> bool:
        """Fetch and apply everything up to the head; True once caught up."""
        asked_at = self._monotonic()
        head = int(self.contracts.w3.eth.block_number)
        self.head_block = head
        while self.processed_block < head:
            to_block = min(head, self.processed_block + self.max_range)
            events = self._fetch(self.processed_block + 1, to_block)
            self.sink.apply(events, to_block)
            with self._progress:
                self.processed_block = to_block
                self._progress.notify_all()
        self.confirmed_at = asked_at
        self.reachable = True
        self.last_error = None
        return True

    # ------------------------------------------------------------------------ internals

    def _fetch(self, from_block: int, to_block: int) -> list[FollowedEvent]:
        logs = self.contracts.w3.eth.get_logs(
            {"fromBlock": from_block, "toBlock": to_block, "address": self._addresses}
        )
        found: list[FollowedEvent] = []
        for log in logs:
            decoded = self.contracts.decode_log(log)
            if decoded is None:
                continue
            found.append(
                FollowedEvent(
                    int(log["blockNumber"]),
                    "0x" + bytes(log["transactionHash"]).hex(),
                    int(log["logIndex"]),
                    decoded,
                )
            )
        found.sort(key=lambda e: (e.block_number, e.log_index))
        return found

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.poll_once()
            except (OSError, Web3Exception, ValueError) as exc:
                self._failed(exc)
            except Exception as exc:  # a sink failure must not kill the thread silently
                _log.exception("chain follower: sink failed")
                self._failed(exc)
            self._wake.wait(self.next_wait())

    def next_wait(self) -> float:
        """Seconds until the next poll unless a block (or a waiter) wakes the poller first."""
        return self.ws_poll_interval if self.websocket_connected else self.poll_interval

    def _failed(self, exc: BaseException) -> None:
        if self.reachable:
            _log.warning("chain follower: poll failed: %s", exc)
        self.reachable = False
        self.last_error = f"{type(exc).__name__}: {exc}"

    def _run_ws(self) -> None:
        """Wake the poller on every newHeads notification; reconnect with back-off."""
        from websockets.sync.client import connect  # optional: polling works without it

        backoff = 0.2
        while not self._stop.is_set():
            try:
                assert self.ws_url is not None
                with connect(self.ws_url, open_timeout=2, close_timeout=1) as ws:
                    ws.send(
                        json.dumps(
                            {
                                "jsonrpc": "2.0",
                                "id": 1,
                                "method": "eth_subscribe",
                                "params": ["newHeads"],
                            }
                        )
                    )
                    self.websocket_connected = True
                    backoff = 0.2
                    while not self._stop.is_set():
                        with contextlib.suppress(TimeoutError):
                            message = ws.recv(timeout=0.5)
                            if '"eth_subscription"' in str(message):
                                self._wake.set()
            except Exception:
                self.websocket_connected = False
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        self.websocket_connected = False
