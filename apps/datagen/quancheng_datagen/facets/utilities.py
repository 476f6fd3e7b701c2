"""水电气: monthly water, electricity and gas bills of households and businesses.

Residential electricity uses Shandong's three tiers (0.5469 / 0.5969 / 0.8469 yuan per
kWh); other prices are single rounded tariffs.  Usage follows the seasons; payment
follows the payer's habits (people) or quality (businesses).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from quancheng_datagen._rng import scramble
from quancheng_datagen.businesses import Business
from quancheng_datagen.context import Context
from quancheng_datagen.facets import Row
from quancheng_datagen.people import Person
from quancheng_datagen.vocab_places import UTILITY_PROVIDERS
from quancheng_datagen.world import Month

UTILITY_MONTHS = 12
_UNITS = {"水": "吨", "电": "千瓦时", "燃气": "立方米"}
_CODES = {"水": "W", "电": "E", "燃气": "G"}
# Typical monthly usage (low, high) of a household, and price in 1/10,000 yuan per unit.
_HOUSEHOLD = {"水": (5, 14), "电": (120, 300), "燃气": (8, 25)}
_BUSINESS_PRICE = {"水": 52_000, "电": 7_200, "燃气": 36_000}
_HOUSEHOLD_PRICE = {"水": 37_000, "燃气": 30_500}
_POWER_TIERS = ((210, 5_469), (400, 5_969), (10**9, 8_469))
_SCALE_FACTOR = {"微型": 3, "小型": 15, "中型": 80, "大型": 400}
_SEASON = {
    "电": {1: 1.3, 2: 1.2, 6: 1.2, 7: 1.6, 8: 1.6, 9: 1.2, 12: 1.3},
    "燃气": {1: 1.4, 2: 1.3, 12: 1.4},
    "水": {6: 1.2, 7: 1.25, 8: 1.25},
}


def _household_power_fee(kwh: int) -> int:
    fee, lower = 0, 0
    for upper, price in _POWER_TIERS:
        if kwh > lower:
            fee += (min(kwh, upper) - lower) * price
        lower = upper
    return (fee + 50) // 100  # 1/10,000 yuan -> fen, rounded


def _bills(r: Callable[[], float], months: list[Month], subject: tuple[str, str, str],
           account: str, utility: str, scale: int, habit: int, household: bool) -> list[Row]:
    subject_id, subject_type, name = subject
    low, high = _HOUSEHOLD[utility]
    typical = (low + (high - low) * r()) * scale
    rows: list[Row] = []
    for i, m in enumerate(months):
        usage = int(typical * _SEASON[utility].get(m.month, 1.0) * (0.85 + 0.3 * r()))
        if household and utility == "电":
            amount = _household_power_fee(usage)
        else:
            price = _HOUSEHOLD_PRICE[utility] if household else _BUSINESS_PRICE[utility]
            amount = (usage * price + 50) // 100
        due = date.fromordinal(m.last.toordinal() + 25)
        u = r()
        if habit == 2 and len(months) - i <= 3:
            status, paid = "欠费", None
        elif (habit == 2 and u < 0.3) or (habit == 1 and u < 0.15):
            status, paid = "逾期缴费", date.fromordinal(due.toordinal() + 3 + int(r() * 40))
        else:
            status, paid = "按时缴费", date.fromordinal(m.last.toordinal() + 1 + int(u * 20))
        rows.append({
            "account_no": account, "period": m.period, "subject_id": subject_id,
            "subject_type": subject_type, "subject_name": name, "utility": utility,
            "provider": UTILITY_PROVIDERS[utility], "usage": usage,
            "usage_unit": _UNITS[utility], "amount_fen": amount, "due_date": due,
            "paid_date": paid, "status": status,
        })
    return rows


def person_utility_rows(ctx: Context, p: Person) -> list[Row]:
    if not p.utility_holder:
        return []
    r = ctx.stream("person", "utility")(p.ordinal).random
    months = [m for m in ctx.world.months[-UTILITY_MONTHS:]
              if p.death_date is None or m.first <= p.death_date]
    serial = scramble(p.ordinal, 10**9)
    rows: list[Row] = []
    for utility in ("水", "电", "燃气"):
        if utility == "燃气" and r() < 0.2:
            continue
        rows += _bills(r, months, (p.id_number, "个人", p.name),
                       f"{_CODES[utility]}1{serial:09d}", utility, 1, p.payment_habit, True)
    return rows


def business_utility_rows(ctx: Context, b: Business) -> list[Row]:
    prof = b.profile
    r = ctx.stream("business", "utility")(prof.ordinal).random
    months = [m for m in ctx.world.months[-UTILITY_MONTHS:]
              if m.last >= prof.established
              and (prof.status_date is None or m.first <= prof.status_date)]
    if not months:
        return []
    serial = scramble(prof.ordinal, 10**9)
    scale = _SCALE_FACTOR[prof.scale] if prof.kind == "enterprise" else 2
    habit = (0, 1 if r() < 0.3 else 0, 2)[prof.quality]
    rows: list[Row] = []
    for utility in ("水", "电", "燃气"):
        if utility == "燃气" and prof.industry not in (0, 4):  # manufacturing, catering
            continue
        rows += _bills(r, months, (b.uscc, "单位", b.name), f"{_CODES[utility]}2{serial:09d}",
                       utility, scale, habit, False)
    return rows
