"""车管所: vehicle registrations, driving licences, traffic violations and accidents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import NamedTuple

from quancheng_datagen._rng import Weighted, scramble
from quancheng_datagen.cast_scripts import person_script
from quancheng_datagen.checks import VIN_ALPHABET
from quancheng_datagen.context import Context
from quancheng_datagen.errors import WorldTooLargeError
from quancheng_datagen.facets import Row, month_end
from quancheng_datagen.people import Person
from quancheng_datagen.vehicle_ids import MAX_PEOPLE_WITH_VEHICLES, make_vin, plate_from_index
from quancheng_datagen.vocab_domain import (
    ACCIDENT_KINDS,
    COLOURS,
    DRINK_DRIVING,
    DRUNK_DRIVING,
    ICE_MODELS,
    MORTGAGEES,
    NEV_MODELS,
    OFFENCES,
    RESPONSIBILITIES,
    VEHICLE_STATUSES,
    Offence,
    VehicleModel,
)
from quancheng_datagen.vocab_places import DISTRICT_BY_CODE, DISTRICTS, TRAFFIC_POLICE
from quancheng_datagen.world import EVENT_WINDOW_DAYS, add_years

_ICE = Weighted([(m, m.weight) for m in ICE_MODELS])
_NEV = Weighted([(m, m.weight) for m in NEV_MODELS])
_COLOURS = Weighted(COLOURS)
_STATUSES = Weighted(VEHICLE_STATUSES)
_OFFENCES = Weighted([(o, o.weight) for o in OFFENCES])
_RESPONSIBILITY = Weighted(RESPONSIBILITIES)
# Offences and accidents over the event window, by driving risk 0/1/2.
_OFFENCE_COUNTS = (
    Weighted([(0, 55.0), (1, 28.0), (2, 12.0), (3, 5.0)]),
    Weighted([(0, 25.0), (1, 30.0), (2, 22.0), (3, 13.0), (4, 6.0), (5, 4.0)]),
    Weighted([(2, 15.0), (3, 20.0), (4, 20.0), (5, 15.0), (6, 12.0), (8, 10.0), (10, 8.0)]),
)
_ACCIDENT_COUNTS = (
    Weighted([(0, 95.0), (1, 5.0)]),
    Weighted([(0, 88.0), (1, 10.0), (2, 2.0)]),
    Weighted([(0, 65.0), (1, 25.0), (2, 10.0)]),
)


class Vehicle(NamedTuple):
    plate: str
    new_energy: bool
    vin: str
    model: VehicleModel
    colour: str
    registered: date
    inspection_until: date
    status: str
    mortgagee: str | None


class Event(NamedTuple):
    occurred_at: datetime
    category: str
    offence: Offence | str  # str: an accident description
    plate: str | None
    location: str
    blood_alcohol: int | None
    responsibility: str | None


class DrivingHistory(NamedTuple):
    first_issue: date
    events: list[Event]
    drink_day: date | None


def vehicles_of(ctx: Context, p: Person) -> list[Vehicle]:
    """The vehicles registered to a person (0-2)."""
    if not p.vehicles:
        return []
    if p.ordinal >= MAX_PEOPLE_WITH_VEHICLES:
        raise WorldTooLargeError("people with vehicles", p.ordinal + 1, MAX_PEOPLE_WITH_VEHICLES)
    r = ctx.stream("person", "vehicle")(p.ordinal).random
    scripted = person_script(p.ordinal) is not None
    owned_days = max(60, min(15 * 365, (p.age - 18) * 365))
    out = []
    for k in range(p.vehicles):
        slot = 2 * p.ordinal + k
        plate, nev = plate_from_index(ctx.plates(slot))
        model = (_NEV if nev else _ICE).pick(r())
        days = 1 + int(r() * (min(owned_days, 6 * 365) if nev else owned_days))
        registered = date.fromordinal(ctx.as_of_ord - days)
        status = _STATUSES.pick(r())
        if (status == "报废" and days < 10 * 365) or (status == "抵押" and days > 6 * 365):
            status = "正常"
        status = "正常" if scripted else status
        mortgagee = MORTGAGEES[int(r() * len(MORTGAGEES))] if status == "抵押" else None
        vds = "".join(VIN_ALPHABET[int(r() * 33)] for _ in range(5))
        overdue = status == "报废" or (r() < 0.05 and not scripted)
        year = ctx.as_of.year + (registered.month < ctx.as_of.month) - overdue
        out.append(Vehicle(plate, nev, make_vin(model.wmi, vds, registered.year, slot), model,
                           _COLOURS.pick(r()), registered, month_end(year, registered.month),
                           status, mortgagee))
    return out


def driving_history(ctx: Context, p: Person) -> DrivingHistory | None:
    """First issue of the licence and the offences, drink driving and accidents since."""
    if p.licence_class is None:
        return None
    r = ctx.stream("person", "driving")(p.ordinal).random
    script = person_script(p.ordinal)
    held = 30 + int(r() * min(max(0, p.age - 18) * 365, 30 * 365))
    if script is not None:  # the cast's drivers are experienced
        held = max(held, min(max(0, p.age - 18) * 365, 8 * 365))
    first_ord = ctx.as_of_ord - held
    end = p.death_date.toordinal() if p.death_date else ctx.as_of_ord + 1
    start = max(ctx.as_of_ord - EVENT_WINDOW_DAYS, first_ord + 1)
    plates = [v.plate for v in vehicles_of(ctx, p)]
    events: list[Event] = []
    drink_day = None
    if p.drink_driving and start < end:
        day = (ctx.as_of_ord - script.drink_days_before if script
               else start + int(r() * (end - start)))
        drink_day = date.fromordinal(day)
        bac = 20 + int(r() * 60) if p.drink_driving == 1 else 80 + int(r() * 140)
        kind = DRINK_DRIVING if p.drink_driving == 1 else DRUNK_DRIVING
        category = "饮酒驾驶" if p.drink_driving == 1 else "醉酒驾驶"
        events.append(_event(r, day, category, kind, plates, p, bac, None, night=True))
        if p.drink_driving == 2:
            end = min(end, day)  # licence revoked: no driving after
    if start < end:
        for _ in range(_OFFENCE_COUNTS[p.driving_risk].pick(r())):
            day = start + int(r() * (end - start))
            events.append(_event(r, day, "一般违法", _OFFENCES.pick(r()), plates, p, None, None))
        for _ in range(_ACCIDENT_COUNTS[p.driving_risk].pick(r())):
            day = start + int(r() * (end - start))
            accident = ACCIDENT_KINDS[r() < 0.3]
            events.append(_event(r, day, "交通事故", accident, plates, p, None,
                                 _RESPONSIBILITY.pick(r())))
    events.sort(key=lambda e: e.occurred_at)
    return DrivingHistory(date.fromordinal(first_ord), events, drink_day)


def _event(r: Callable[[], float], day: int, category: str, offence: Offence | str,
           plates: list[str], p: Person, bac: int | None, responsibility: str | None,
           *, night: bool = False) -> Event:
    hour = (20 + int(r() * 8)) % 24 if night else 7 + int(r() * 15)
    when = datetime.fromordinal(day).replace(hour=hour, minute=int(r() * 60))
    home = DISTRICT_BY_CODE[p.residence] if r() < 0.7 else DISTRICTS[int(r() * len(DISTRICTS))]
    road = home.roads[int(r() * len(home.roads))]
    cross = home.roads[int(r() * len(home.roads))]
    location = (f"{home.name}{road}与{cross}交叉口" if cross != road
                else f"{home.name}{road}{1 + int(r() * 900)}号附近")
    plate = plates[int(r() * len(plates))] if plates else None
    return Event(when, category, offence, plate, location, bac, responsibility)


def vehicle_registration_rows(ctx: Context, p: Person) -> list[Row]:
    return [
        {"vin": v.vin, "id_number": p.id_number, "owner_name": p.name, "plate_no": v.plate,
         "plate_type": "小型新能源汽车" if v.new_energy else "小型汽车", "brand": v.model.brand,
         "model": v.model.model, "vehicle_type": v.model.vehicle_type,
         "energy_type": v.model.energy, "colour": v.colour, "registration_date": v.registered,
         "inspection_valid_until": v.inspection_until, "status": v.status,
         "mortgagee": v.mortgagee}
        for v in vehicles_of(ctx, p)
    ]


def driving_licence_rows(ctx: Context, p: Person) -> list[Row]:
    history = driving_history(ctx, p)
    if history is None or p.licence_class is None:
        return []
    first = history.first_issue
    six, sixteen = add_years(first, 6), add_years(first, 16)
    valid_from, valid_until = ((first, six) if ctx.as_of < six else (six, sixteen)
                               if ctx.as_of < sixteen else (sixteen, None))
    if p.death_date is not None:
        status = "注销"
    elif p.drink_driving == 2 and history.drink_day is not None:
        status = "吊销"
    elif (p.drink_driving == 1 and history.drink_day is not None
          and ctx.as_of_ord - history.drink_day.toordinal() < 183):
        status = "暂扣"
    else:
        status = "正常"
    recent = ctx.as_of_ord - 365
    points = sum(e.offence.points for e in history.events
                 if isinstance(e.offence, Offence) and e.occurred_at.toordinal() > recent)
    return [{
        "id_number": p.id_number, "licence_no": p.id_number,
        "file_no": f"3701{scramble(p.ordinal, 10**8):08d}", "name": p.name,
        "licence_class": p.licence_class, "first_issue_date": first, "valid_from": valid_from,
        "valid_until": valid_until, "status": status,
        "points": 0 if status in ("吊销", "注销") else min(points, 12),
        "issuing_authority": TRAFFIC_POLICE,
    }]


def traffic_violation_rows(ctx: Context, p: Person) -> list[Row]:
    history = driving_history(ctx, p)
    if history is None:
        return []
    rows: list[Row] = []
    serial = scramble(p.ordinal, 10**9)
    for k, e in enumerate(history.events):
        offence = e.offence
        description = offence.description if isinstance(offence, Offence) else offence
        points = offence.points if isinstance(offence, Offence) else 0
        fine = offence.fine_yuan * 100 if isinstance(offence, Offence) else 0
        pending = ctx.as_of_ord - e.occurred_at.toordinal() < 30 and (serial + k) % 5 < 2
        rows.append({
            "record_no": f"3701{serial:09d}{k:03d}", "id_number": p.id_number,
            "licence_no": p.id_number, "plate_no": e.plate, "occurred_at": e.occurred_at,
            "location": e.location, "category": e.category, "description": description,
            "points": points, "fine_fen": fine, "blood_alcohol_mg_100ml": e.blood_alcohol,
            "accident_responsibility": e.responsibility,
            "status": "未处理" if pending else "已处理",
        })
    return rows
