"""Requests' SM2 signatures checked on a thread of their own, off the event loop.

tongsuopy releases the GIL while it verifies, so a verification on the event loop's thread
leaves that thread's other work (parsing the next requests, building answers) waiting for
a C call. The event loop hands each signature to :class:`SignatureVerifier` instead and
serves other requests meanwhile; the verifier's thread takes every signature waiting,
checks them one after another and wakes each waiting event loop once per batch (as the
receipt writer does per group), not once per signature.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from dataclasses import dataclass

from quancheng.crypto import InvalidSignature, SM2PublicKey

__all__ = ["SignatureVerifier"]

_log = logging.getLogger("quancheng_gateway")


@dataclass(frozen=True, slots=True)
class _Job:
    key: SM2PublicKey
    signature: bytes
    data: bytes
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[bool]


class SignatureVerifier:
    """One thread that checks SM2 signatures for event loops (the GIL is released)."""

    def __init__(self, *, max_batch: int = 64) -> None:
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def verify(self, key: SM2PublicKey, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is ``key``'s valid SM2 signature over ``data``.

        Checked on the verifier's thread when it runs, here otherwise (before ``start`` and
        after ``stop``), so no caller waits on a thread that is not there.
        """
        if self._thread is None:
            return valid_signature(key, signature, data)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.put(_Job(key, signature, data, loop, future))
        return await future

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="request-verifier", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)
        while True:  # what came in as it stopped is checked here, not left waiting
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                with contextlib.suppress(RuntimeError):  # its event loop closed meanwhile
                    job.loop.call_soon_threadsafe(_settle_all, [(job.future, _outcome(job))])

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stopping = [first], False
            while len(batch) < self.max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            settled: dict[asyncio.AbstractEventLoop, list[_Settled]] = {}
            for job in batch:
                settled.setdefault(job.loop, []).append((job.future, _outcome(job)))
            for loop, items in settled.items():
                try:
                    loop.call_soon_threadsafe(_settle_all, items)
                except RuntimeError:  # that loop closed meanwhile: nobody waits any more
                    _log.debug("request verifier: an event loop closed before its answer")
            if stopping:
                return


def valid_signature(key: SM2PublicKey, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` is ``key``'s valid SM2 signature over ``data``."""
    try:
        key.verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def _outcome(job: _Job) -> bool | Exception:
    """Whether the job's signature is valid, or the error that kept it from being checked
    (handed to the request that waits for it: the thread goes on with the others)."""
    try:
        return valid_signature(job.key, job.signature, job.data)
    except Exception as exc:
        _log.exception("request verifier: a signature could not be checked")
        return exc


_Settled = tuple["asyncio.Future[bool]", bool | Exception]


def _settle_all(items: list[_Settled]) -> None:
    for future, outcome in items:
        if future.done():
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
