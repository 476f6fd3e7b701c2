"""Asking finance handlers directly, as the gateway would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from quancheng_appkit.resource import SqlResource
from tests.insurance.helpers import PERIOD


def fetch(
    engine: Engine,
    h: SqlResource,
    subject: str,
    fields: tuple[str, ...],
    period: tuple[int, int] = PERIOD,
    **params: str,
) -> dict[str, Any]:
    """RAW fields of one subject."""
    with engine.connect() as conn:
        return h.fetch(conn, subject_id=subject, fields=fields, period=period, params=params)


def derive(
    engine: Engine,
    h: SqlResource,
    subject: str,
    names: tuple[str, ...] | None = None,
    period: tuple[int, int] = PERIOD,
    **params: str,
) -> dict[str, Any]:
    """DERIVED indicators of one subject (all of them by default)."""
    with engine.connect() as conn:
        return h.derive(
            conn,
            subject_id=subject,
            indicators=names or h.spec.indicators,
            period=period,
            params=params,
        )
