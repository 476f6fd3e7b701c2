"""Progress of a long audit: a small protocol, a silent default and a rich progress display."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

__all__ = ["NO_PROGRESS", "Progress", "RichProgress", "Task"]


class Task(Protocol):
    """One phase of the audit."""

    def advance(self, amount: int = 1) -> None:
        """``amount`` more units done."""
        ...


class Progress(Protocol):
    """Where the phases report."""

    def task(self, description: str, total: int) -> Task:
        """Start a phase of ``total`` units."""
        ...


class _Silent:
    def advance(self, amount: int = 1) -> None:
        pass

    def task(self, description: str, total: int) -> _Silent:
        return self


#: Reports nothing (library use, tests).
NO_PROGRESS: Progress = _Silent()


class _RichTask:
    def __init__(self, progress: Any, task_id: Any) -> None:
        self._progress, self._id = progress, task_id

    def advance(self, amount: int = 1) -> None:
        self._progress.advance(self._id, amount)


class RichProgress:
    """Progress bars on the terminal (stderr), one per phase; a context manager."""

    def __init__(self, *, transient: bool = False) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as _Rich

        self._rich = _Rich(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=transient,
        )

    def __enter__(self) -> RichProgress:
        self._rich.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._rich.stop()

    def task(self, description: str, total: int) -> Task:
        return _RichTask(self._rich, self._rich.add_task(description, total=total))
