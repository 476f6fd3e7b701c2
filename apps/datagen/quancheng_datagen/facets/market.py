"""市场监管局: business registrations and administrative penalties."""

from __future__ import annotations

from datetime import date

from quancheng_datagen._rng import Weighted
from quancheng_datagen.businesses import Business
from quancheng_datagen.cast_scripts import CAST_BUSINESSES
from quancheng_datagen.context import Context
from quancheng_datagen.facets import Row
from quancheng_datagen.vocab_domain import PENALTIES, REVOCATION, PenaltyKind

_COUNTS = (
    Weighted([(0, 1.0)]),
    Weighted([(0, 95.0), (1, 5.0)]),
    Weighted([(0, 30.0), (1, 40.0), (2, 20.0), (3, 10.0)]),
)
_PENALTY_WINDOW_DAYS = 5 * 365


def business_registration_rows(ctx: Context, b: Business) -> list[Row]:
    p = b.profile
    return [{
        "uscc": b.uscc, "name": b.name, "entity_type": b.entity_type,
        "legal_rep_id_number": b.legal_rep.id_number, "legal_rep_name": b.legal_rep.name,
        "registered_capital_fen": b.capital * 100, "established_date": p.established,
        "business_term_until": b.term_until, "status": p.status, "status_date": p.status_date,
        "registration_authority": b.authority, "division_code": b.district.code,
        "address": b.address, "industry_code": b.industry.code, "industry": b.industry.name,
        "scale": p.scale, "phone": b.phone,
    }]


def administrative_penalty_rows(ctx: Context, b: Business) -> list[Row]:
    p = b.profile
    r = ctx.stream("business", "penalty")(p.ordinal).random
    count = 2 if p.ordinal < CAST_BUSINESSES and p.quality == 2 else _COUNTS[p.quality].pick(r())
    start = max(p.established.toordinal() + 30, ctx.as_of_ord - _PENALTY_WINDOW_DAYS)
    end = p.status_date.toordinal() if p.status_date is not None else ctx.as_of_ord
    decisions: list[tuple[date, PenaltyKind, int, int, str]] = []
    for _ in range(count if start < end else 0):
        day = date.fromordinal(start + int(r() * (end - start)))
        kind = PENALTIES[int(r() * len(PENALTIES))]
        fine = (kind.fine_low + int(r() * (kind.fine_high - kind.fine_low) / 100) * 100) * 100
        confiscated = (500 + int(r() * 195) * 100) * 100 if kind.confiscates else 0
        unpaid = p.quality == 2 and (ctx.as_of_ord - day.toordinal()) < 180 and r() < 0.5
        decisions.append((day, kind, fine, confiscated, "未履行" if unpaid else "已履行"))
    if p.status == "吊销" and p.status_date is not None:
        decisions.append((p.status_date, REVOCATION, 0, 0, "已履行"))
    decisions.sort(key=lambda d: d[0])
    short = b.district.short if b.authority != "济南市市场监督管理局" else ""
    return [{
        "decision_no": f"济{short}市监罚〔{day.year}〕{p.ordinal * 4 + k + 1}号", "uscc": b.uscc,
        "party_name": b.name, "decision_date": day, "violation": kind.violation,
        "penalty": kind.penalty, "fine_fen": fine, "confiscated_fen": confiscated,
        "authority": b.authority, "status": status,
    } for k, (day, kind, fine, confiscated, status) in enumerate(decisions)]
