"""Resident memory of another process, sampled over time from a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

import psutil

MIB = 1 << 20


class PeriodicSampler:
    """Call :meth:`sample` every ``interval`` seconds from a thread while the ``with`` block
    runs (once on entry too, and on exit when ``sample_on_exit``).

    ``phase(label)`` marks what the load was doing on the same clock, so a plot can shade
    it; times are seconds since the sampler started.
    """

    sample_on_exit = True

    def __init__(self, interval: float, name: str) -> None:
        self.interval = interval
        self.phases: list[tuple[str, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = 0.0

    def sample(self) -> object:
        raise NotImplementedError

    def __enter__(self) -> Self:
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
        if self.sample_on_exit:
            self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def now(self) -> float:
        return time.perf_counter() - self._started

    @contextmanager
    def phase(self, label: str) -> Iterator[None]:
        """Mark the block as one phase of the load."""
        began = self.now()
        try:
            yield
        finally:
            self.phases.append((label, round(began, 3), round(self.now(), 3)))


class RssSampler(PeriodicSampler):
    """Sample a process's RSS every ``interval`` seconds while the ``with`` block runs."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(interval, "rss-sampler")
        self._process = psutil.Process(pid)
        self.samples: list[tuple[float, float]] = []

    def sample(self) -> float:
        """Take one sample now; its value in MiB (NaN once the process is gone)."""
        try:
            mib = float(self._process.memory_info().rss) / MIB
        except psutil.Error:
            return float("nan")
        self.samples.append((round(self.now(), 3), round(mib, 2)))
        return mib

    def peak(self) -> float:
        return max((mib for _t, mib in self.samples), default=float("nan"))

    def as_dict(self) -> dict[str, Any]:
        """The samples and phases, for the results JSON (and ``benchmarks.plots``)."""
        return {
            "interval_s": self.interval,
            "samples": sorted(self.samples),
            "phases": self.phases,
        }
