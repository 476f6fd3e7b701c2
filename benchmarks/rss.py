"""Resident memory of another process, sampled over time from a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import psutil

MIB = 1 << 20


class RssSampler:
    """Sample a process's RSS every ``interval`` seconds while the ``with`` block runs.

    ``phase(label)`` marks what the load was doing, so the plot can shade it; times are
    seconds since the sampler started.
    """

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.interval = interval
        self._process = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._started = 0.0
        self.samples: list[tuple[float, float]] = []
        self.phases: list[tuple[str, float, float]] = []

    def __enter__(self) -> RssSampler:
        self._started = time.perf_counter()
        self.sample()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def now(self) -> float:
        return time.perf_counter() - self._started

    def sample(self) -> float:
        """Take one sample now; its value in MiB (NaN once the process is gone)."""
        try:
            mib = float(self._process.memory_info().rss) / MIB
        except psutil.Error:
            return float("nan")
        self.samples.append((round(self.now(), 3), round(mib, 2)))
        return mib

    @contextmanager
    def phase(self, label: str) -> Iterator[None]:
        """Mark the block as one phase of the load."""
        began = self.now()
        try:
            yield
        finally:
            self.phases.append((label, round(began, 3), round(self.now(), 3)))

    def peak(self) -> float:
        return max((mib for _t, mib in self.samples), default=float("nan"))

    def as_dict(self) -> dict[str, Any]:
        """The samples and phases, for the results JSON (and ``benchmarks.plots``)."""
        return {
            "interval_s": self.interval,
            "samples": sorted(self.samples),
            "phases": self.phases,
        }
