"""Failed sign-ins and enrollment codes, limited per session and per client address.

A guessed enrollment code or a bad sign-in signature is a failure; beyond ``max_failures``
failures in ``window`` seconds in any of the request's buckets, every further attempt from it
is refused (429 ``TOO_MANY_ATTEMPTS``) before the code or signature is even looked at, until
the oldest failure leaves the window. Counts live in the database, so they hold across worker
processes and restarts. The client address is the peer's, or the one a trusted proxy names in
``X-Forwarded-For`` (``QC_PORTAL_FORWARDED_ALLOW_IPS``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from quancheng_portal.core.errors import PortalError, TooManyAttempts
from quancheng_portal.models import AuthFailure

__all__ = ["FailureLimiter"]

_log = logging.getLogger("quancheng_portal.auth")


@dataclass
class FailureLimiter:
    """At most ``max_failures`` failures per bucket within ``window`` seconds."""

    engine: Engine
    max_failures: int
    window: int
    clock: Callable[[], float] = time.time

    @contextmanager
    def attempt(self, buckets: Sequence[str]) -> Iterator[None]:
        """Refuse the attempt when a bucket is full; count it when it is refused (a portal
        refusal below 500: a wrong code or signature, not an unreachable chain).

        Raises:
            TooManyAttempts: A bucket is full.
        """
        try:
            self.check(buckets)
        except TooManyAttempts:
            _log.warning("attempt refused, too many failures: %s", ", ".join(buckets))
            raise
        try:
            yield
        except PortalError as exc:
            if exc.status < 500:
                _log.info("authentication failed (%s): %s", exc.code, ", ".join(buckets))
                self.record(buckets)
            raise

    def check(self, buckets: Sequence[str]) -> None:
        """Refuse when a bucket is full.

        Raises:
            TooManyAttempts: With ``retry_after_s``, the seconds until an attempt is allowed.
        """
        now = int(self.clock())
        since = now - self.window
        with Session(self.engine) as session:
            for bucket in buckets:
                recent = select(AuthFailure.at).where(
                    col(AuthFailure.bucket) == bucket, col(AuthFailure.at) > since
                )
                times = sorted(session.exec(recent).all(), reverse=True)
                if len(times) >= self.max_failures:
                    oldest_counted = times[self.max_failures - 1]
                    raise TooManyAttempts(retry_after_s=max(1, oldest_counted + self.window - now))

    def record(self, buckets: Sequence[str]) -> None:
        """Count one failure in each bucket (and forget failures older than the window)."""
        now = int(self.clock())
        with Session(self.engine) as session:
            session.exec(delete(AuthFailure).where(col(AuthFailure.at) <= now - self.window))
            session.add_all(AuthFailure(bucket=bucket, at=now) for bucket in buckets)
            session.commit()

    def failures(self, bucket: str) -> int:
        """Failures counted in ``bucket`` now."""
        query = (
            select(func.count())
            .select_from(AuthFailure)
            .where(
                col(AuthFailure.bucket) == bucket,
                col(AuthFailure.at) > int(self.clock()) - self.window,
            )
        )
        with Session(self.engine) as session:
            return int(session.exec(query).one())
