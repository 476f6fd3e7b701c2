"""税务局: tax payments and tax credit ratings of businesses.

General VAT taxpayers file monthly (VAT on the value added at the industry's rate, with
city-maintenance tax 7 % and education surcharge 3 % of the VAT); small-scale taxpayers
file quarterly at 1 % above the 300,000-yuan quarterly exemption, with halved surcharges.
Enterprise income tax is prepaid quarterly on profit: 5 % effective for small low-profit
firms, 25 % otherwise.  Sole proprietors pay quarterly business income tax (核定征收).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from quancheng_datagen._rng import Weighted, scramble
from quancheng_datagen.businesses import Business
from quancheng_datagen.cast_scripts import CAST_BUSINESSES
from quancheng_datagen.context import Context
from quancheng_datagen.facets import Row
from quancheng_datagen.world import Month

_RATINGS = (
    Weighted([("A", 70.0), ("B", 30.0)]),
    Weighted([("A", 8.0), ("B", 62.0), ("M", 20.0), ("C", 10.0)]),
    Weighted([("B", 10.0), ("C", 40.0), ("D", 50.0)]),
)
_SCORES = {"A": (90, 100), "B": (70, 89), "M": (70, 89), "C": (40, 69), "D": (20, 39)}
_SCRIPTED_RATINGS = ("A", "D")  # latest year; earlier years: A for the good firm, C for the bad


def active_months(ctx: Context, b: Business) -> list[Month]:
    """History months in which the business existed and was not closed."""
    p = b.profile
    return [m for m in ctx.world.months
            if m.last >= p.established and (p.status_date is None or m.first <= p.status_date)]


def _periods(ctx: Context, b: Business, monthly: bool) -> list[tuple[date, date, list[Month]]]:
    months = active_months(ctx, b)
    if monthly:
        return [(m.first, m.last, [m]) for m in months]
    quarters: dict[tuple[int, int], list[Month]] = {}
    for m in months:
        quarters.setdefault((m.year, (m.month - 1) // 3), []).append(m)
    out = []
    for (year, q), ms in quarters.items():
        end_month = next((m for m in ctx.world.months
                          if m.year == year and m.month == 3 * q + 3), None)
        if end_month is not None:  # only quarters that closed inside the window
            out.append((date(year, 3 * q + 1, 1), end_month.last, ms))
    return out


def tax_payment_rows(ctx: Context, b: Business) -> list[Row]:
    p = b.profile
    if p.kind == "cooperative":  # farmers' own produce is exempt
        return []
    r = ctx.stream("business", "tax")(p.ordinal).random
    general = p.kind == "enterprise" and (b.revenue >= 5_000_000 or p.scale != "微型")
    margin = ((60, 60), (20, 60), (-50, 80))[p.quality]
    margin_pm = margin[0] + int(r() * margin[1])
    monthly_sales = b.revenue // 12
    payments: list[tuple[str, date, date, int, int]] = []
    for start, end, months in _periods(ctx, b, general):
        sales = sum(int(monthly_sales * (0.75 + 0.5 * r())) for _ in months) * 100  # fen
        if general:
            vat = int(sales * b.industry.vat_rate * b.industry.value_added)
            surcharge = (70, 30)
        else:
            vat = sales // 100 if sales > 30_000_000 else 0
            surcharge = (35, 15)
        if vat:
            payments.append(("增值税", start, end, sales, vat))
            payments.append(("城市维护建设税", start, end, vat, vat * surcharge[0] // 1000))
            payments.append(("教育费附加", start, end, vat, vat * surcharge[1] // 1000))
        if p.kind == "individual":
            payments.append(("个人所得税（经营所得）", start, end, sales, sales // 100))
        elif end.month % 3 == 0:
            # a monthly VAT filer still prepays income tax quarterly: scale its month up
            profit = sales * margin_pm // 1000 * (3 if general else 1)
            if profit > 0:
                rate = 50 if p.scale in ("微型", "小型") and profit * 4 <= 300_000_000 else 250
                payments.append(("企业所得税", date(end.year, end.month - 2, 1), end, profit,
                                 profit * rate // 1000))
    return _settle(ctx, b, r, payments)


def _settle(ctx: Context, b: Business, r: Callable[[], float],
            payments: list[tuple[str, date, date, int, int]]) -> list[Row]:
    """Due dates, payment dates and arrears, by the business's quality."""
    quality = b.profile.quality
    serial = scramble(b.profile.ordinal, 10**8)
    rows: list[Row] = []
    latest = max((end for _, _, end, _, _ in payments), default=None)
    for k, (tax_type, start, end, base, amount) in enumerate(payments):
        due = date(end.year + (end.month == 12), end.month % 12 + 1, 15)
        late_days = 0
        paid: date | None = date.fromordinal(due.toordinal() - 1 - int(r() * 10))
        status = "已缴"
        if quality == 2 and latest is not None and (latest - end).days < 62:
            status, paid = "欠税", None
        elif (quality == 2 and r() < 0.2) or (quality == 1 and r() < 0.04):
            late_days = 5 + int(r() * 60)
            late = due.toordinal() + late_days
            status = "逾期缴纳" if late <= ctx.as_of_ord else "欠税"
            paid = date.fromordinal(late) if status == "逾期缴纳" else None
        rows.append({
            "voucher_no": f"3{serial:08d}{k:05d}", "uscc": b.uscc, "taxpayer_name": b.name,
            "tax_type": tax_type, "period_start": start, "period_end": end,
            "taxable_base_fen": base, "tax_amount_fen": amount, "due_date": due,
            "paid_date": paid,
            "late_fee_fen": amount * late_days * 5 // 10_000 if status == "逾期缴纳" else 0,
            "status": status,
        })
    return rows


def tax_credit_rating_rows(ctx: Context, b: Business) -> list[Row]:
    p = b.profile
    r = ctx.stream("business", "rating")(p.ordinal).random
    years = [y for y in range(ctx.as_of.year - 4, ctx.as_of.year)
             if date(y + 1, 4, 25) <= ctx.as_of][-3:]
    rows: list[Row] = []
    for y in years:
        if p.established > date(y, 12, 31) or (
                p.status_date is not None and p.status_date <= date(y, 12, 31)):
            continue
        if p.ordinal < CAST_BUSINESSES:
            good = p.quality == 0
            rating = _SCRIPTED_RATINGS[p.ordinal] if y == years[-1] else ("A" if good else "C")
        elif p.established.year == y:
            rating = "M"
        else:
            rating = _RATINGS[p.quality].pick(r())
        low, high = _SCORES[rating]
        score = None if rating == "D" and r() < 0.5 else low + int(r() * (high - low + 1))
        rows.append({"uscc": b.uscc, "year": y, "taxpayer_name": b.name, "rating": rating,
                     "score": score, "published_date": date(y + 1, 4, 25)})
    return rows
