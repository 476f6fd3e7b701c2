"""人社局 social-security and 公积金中心 housing-fund contributions, month by month.

Both datasets come from one employment history per person (employer per month, paid /
paid late / in arrears), so a person's two records agree on who employed them and when.
Arrears follow the employer's quality, or for the self-employed the person's habits.
Contribution bases are clipped to approximate Jinan bounds; rates are the usual shares.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import NamedTuple

from quancheng_datagen._rng import scramble
from quancheng_datagen.businesses import BusinessProfile
from quancheng_datagen.cast_scripts import person_script
from quancheng_datagen.context import Context
from quancheng_datagen.facets import Row
from quancheng_datagen.people import Person
from quancheng_datagen.world import Month

# (first period, lower bound, upper bound) of the monthly contribution base, yuan.
_SOCIAL_BASE = (("000000", 4_300, 21_500), ("202507", 4_500, 22_500))
_FUND_BASE = (2_200, 28_000)
_FUND_PARTICIPATION = {"微型": 0.2, "小型": 0.5, "中型": 0.8, "大型": 0.95}
_HEAVY_INDUSTRIES = frozenset({0, 1, 3})  # C, E, G: higher work-injury rate


class ContributionMonth(NamedTuple):
    month: Month
    employer: BusinessProfile | None  # None: self-employed (灵活就业)
    status: str  # 已缴 / 补缴 / 欠缴
    paid: date | None


def contribution_months(ctx: Context, p: Person) -> list[ContributionMonth]:
    """The months a person contributed (or owed), oldest first."""
    if p.employment not in ("employee", "flexible"):
        return []
    r = ctx.stream("person", "employment")(p.ordinal).random
    months = ctx.world.months
    n = len(months)
    script = person_script(p.ordinal)
    first: BusinessProfile | None = None
    second: BusinessProfile | None = None
    forced = script.employer if script is not None else None
    if forced is not None and forced < ctx.world.businesses:
        first = ctx.business.profile(forced)
        start, gap_start, gap_len, second = 0, n, 0, first
    else:
        start = 0 if r() < 0.8 else int(r() * n)
        gap_start, gap_len = n, 0
        if r() < 0.15:
            gap_start, gap_len = start + int(r() * (n - start)), 1 + int(r() * 6)
        if p.employment == "employee":
            first = ctx.pick_employer(r())
            if first is None:
                return []
            second = ctx.pick_employer(r()) if r() < 0.5 else first
    out: list[ContributionMonth] = []
    for i, m in enumerate(months):
        if i < start or gap_start <= i < gap_start + gap_len:
            continue
        if p.death_date is not None and m.first > p.death_date:
            break
        employer = second if i >= gap_start + gap_len else first
        if employer is not None and (m.last < employer.established or (
                employer.status_date is not None and m.first > employer.status_date)):
            continue
        out.append(_paid(r, m, employer, p.payment_habit, n - i, ctx.as_of_ord))
    return out


def _paid(r: Callable[[], float], m: Month, employer: BusinessProfile | None, habit: int,
          recent: int, as_of_ord: int) -> ContributionMonth:
    """Paid on time, paid late, or still owed; ``recent`` is 1 for the latest month."""
    quality = employer.quality if employer is not None else habit
    u = r()
    if quality == 2 and recent <= 4:
        return ContributionMonth(m, employer, "欠缴", None)
    if (quality == 2 and u < 0.25) or (quality == 1 and u < 0.04):
        late = m.last.toordinal() + 30 + int(r() * 90)
        if late > as_of_ord:
            return ContributionMonth(m, employer, "欠缴", None)
        return ContributionMonth(m, employer, "补缴", date.fromordinal(late))
    return ContributionMonth(m, employer, "已缴", date(m.year, m.month, 10 + int(u * 15)))


def _social_base(period: str, salary: int) -> int:
    low, high = next((lo, hi) for start, lo, hi in reversed(_SOCIAL_BASE) if period >= start)
    return min(max(salary, low), high) * 100


def social_security_rows(ctx: Context, p: Person) -> list[Row]:
    rows: list[Row] = []
    for c in contribution_months(ctx, p):
        base = _social_base(c.month.period, p.salary)
        e = c.employer
        if e is None:  # self-employed: pension and medical only, all paid personally
            base = _social_base(c.month.period, 0) if p.salary < 8000 else base
            amounts = (0, base * 200 // 1000, 0, base * 80 // 1000, 0, 0, 0)
            employer_uscc = employer_name = None
        else:
            business = ctx.employer(e.ordinal)
            employer_uscc, employer_name = business.uscc, business.name
            injury = 10 if e.industry in _HEAVY_INDUSTRIES else 4
            amounts = (base * 160 // 1000, base * 80 // 1000, base * 70 // 1000,
                       base * 20 // 1000, base * 7 // 1000, base * 3 // 1000,
                       base * injury // 1000)
        rows.append({
            "id_number": p.id_number, "period": c.month.period, "name": p.name,
            "contributor_type": "单位职工" if e else "灵活就业人员",
            "employer_uscc": employer_uscc, "employer_name": employer_name,
            "contribution_base_fen": base, "pension_employer_fen": amounts[0],
            "pension_personal_fen": amounts[1], "medical_employer_fen": amounts[2],
            "medical_personal_fen": amounts[3], "unemployment_employer_fen": amounts[4],
            "unemployment_personal_fen": amounts[5], "injury_employer_fen": amounts[6],
            "status": c.status, "paid_date": c.paid,
        })
    return rows


def housing_fund_rows(ctx: Context, p: Person) -> list[Row]:
    months = [c for c in contribution_months(ctx, p) if c.employer is not None]
    if not months:
        return []
    r = ctx.stream("person", "housing")(p.ordinal).random
    script = person_script(p.ordinal)
    joined: dict[int, int] = {}  # employer index -> rate in %, for employers that pay
    for c in months:
        e = c.employer
        assert e is not None
        if e.ordinal in joined or -e.ordinal - 1 in joined:
            continue
        chance = _FUND_PARTICIPATION[e.scale] if e.kind == "enterprise" else 0.05
        takes_part = script.housing_fund if script is not None else r() < chance
        rate = 12 if e.quality == 0 and e.scale != "微型" else (5, 8, 10, 12)[int(r() * 4)]
        joined[e.ordinal if takes_part else -e.ordinal - 1] = rate
    base = min(max(p.salary, _FUND_BASE[0]), _FUND_BASE[1]) * 100
    account = f"37{scramble(p.ordinal, 10**10):010d}"
    rows: list[Row] = []
    for c in months:
        e = c.employer
        assert e is not None
        if e.ordinal not in joined:
            continue
        rate = joined[e.ordinal]
        business = ctx.employer(e.ordinal)
        amount = base * rate // 100
        rows.append({
            "id_number": p.id_number, "period": c.month.period, "name": p.name,
            "account_no": account, "employer_uscc": business.uscc,
            "employer_name": business.name, "base_fen": base, "rate_pct": rate,
            "employer_amount_fen": amount, "personal_amount_fen": amount,
            "status": c.status, "paid_date": c.paid,
        })
    return rows
