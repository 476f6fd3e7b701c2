"""Evidence for claim decisions, read through the department handlers (real data)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine

from quancheng_appkit.decision import EvidenceItem
from quancheng_insurance.claims import GRANT_TEMPLATES
from quancheng_insurance.departments import DEPARTMENTS
from tests.insurance.helpers import PERIOD, HandlerClient, answer


def evidence(
    engine: Engine,
    kind: str,
    subject_id: str,
    *,
    params: Mapping[str, Mapping[str, str | int]] | None = None,
    period: tuple[int, int] = PERIOD,
) -> list[EvidenceItem]:
    """The answers the grant template ``kind`` yields about a subject, in template order."""
    template = GRANT_TEMPLATES[kind]
    finder = HandlerClient(engine, DEPARTMENTS)
    return [
        answer(
            engine,
            finder.handler(item.resource)[1],
            subject_id,
            item.fields,
            mode=template.mode,
            period=period,
            params=(params or {}).get(item.resource),
        )
        for item in template.scope
    ]


def receipts(answers: list[EvidenceItem]) -> tuple[str, ...]:
    """The receipt ids of the answers, in order."""
    return tuple(a.receipt_id for a in answers)
