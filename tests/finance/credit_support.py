"""Evidence for credit decisions, read through the department handlers (real data)."""

from __future__ import annotations

from sqlalchemy import Engine

from quancheng_appkit.decision import EvidenceItem
from quancheng_finance.credit import GRANT_TEMPLATES
from quancheng_finance.departments import DEPARTMENTS
from tests.insurance.helpers import PERIOD, HandlerClient, answer


def evidence(
    engine: Engine, product: str, subject_id: str, period: tuple[int, int] = PERIOD
) -> list[EvidenceItem]:
    """The answers the grant template ``product`` yields about a subject, in template order."""
    template = GRANT_TEMPLATES[product]
    finder = HandlerClient(engine, DEPARTMENTS)
    return [
        answer(
            engine,
            finder.handler(item.resource)[1],
            subject_id,
            item.fields,
            mode=template.mode,
            period=period,
        )
        for item in template.scope
    ]
