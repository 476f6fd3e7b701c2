"""车管所 (jinan.vmo): registrations, licences and violations read per subject and period."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Engine, case, func, select

from quancheng.protocol.documents import CST, data_period_seconds
from quancheng.protocol.refusals import MalformedRequest
from quancheng_appkit.errors import (
    InvalidParameter,
    NothingRequested,
    UnknownField,
    UnknownIndicator,
)
from quancheng_appkit.resource import SqlResource
from quancheng_datagen import DemoCast
from quancheng_datagen.schema import traffic_violation as tv
from quancheng_datagen.schema import vehicle_registration as vr
from quancheng_insurance.departments.jinan_vmo import licence, mask_vin, registration, violation
from tests.insurance.helpers import LAST_YEAR, PERIOD


def _fetch(
    engine: Engine,
    h: SqlResource,
    subject: str,
    fields: tuple[str, ...],
    period: tuple[int, int] = PERIOD,
    **params: str,
) -> dict[str, Any]:
    with engine.connect() as conn:
        return h.fetch(conn, subject_id=subject, fields=fields, period=period, params=params)


def _derive(
    engine: Engine,
    h: SqlResource,
    subject: str,
    names: tuple[str, ...],
    period: tuple[int, int] = PERIOD,
    **params: str,
) -> dict[str, Any]:
    with engine.connect() as conn:
        return h.derive(conn, subject_id=subject, indicators=names, period=period, params=params)


def _n(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SQL: how many rows satisfy ``condition``."""
    return func.sum(case((condition, 1), else_=0))


def _until(day: date) -> tuple[int, int]:
    return data_period_seconds("2020-01-01", day.isoformat())


def test_registration_answers_only_the_requested_fields_column_wise(
    engine: Engine, cast: DemoCast
) -> None:
    claimant = cast.people["motor_claimant"]
    data = _fetch(engine, registration, claimant.id_number, ("status", "plate_no"))
    assert data == {"status": ["正常"], "plate_no": [claimant.plates[0]]}


def test_registration_masks_the_vin_to_maker_code_and_last_six(
    engine: Engine, cast: DemoCast
) -> None:
    claimant = cast.people["motor_claimant"]
    with engine.connect() as conn:
        vin = conn.scalar(select(vr.c.vin).where(vr.c.plate_no == claimant.plates[0]))
    assert vin is not None
    (masked,) = _fetch(engine, registration, claimant.id_number, ("vin_masked",))["vin_masked"]
    assert masked == mask_vin(vin) == vin[:3] + "********" + vin[-6:]


def test_registration_leaves_out_vehicles_registered_after_the_period(
    engine: Engine, cast: DemoCast
) -> None:
    driver = cast.people["drunk_driver"]
    with engine.connect() as conn:
        registered = conn.scalar(
            select(vr.c.registration_date).where(vr.c.plate_no == driver.plates[0])
        )
    assert registered is not None
    before = _fetch(
        engine,
        registration,
        driver.id_number,
        ("plate_no",),
        _until(registered - timedelta(days=1)),
    )
    on_the_day = _fetch(engine, registration, driver.id_number, ("plate_no",), _until(registered))
    assert before == {"plate_no": []} and on_the_day == {"plate_no": [driver.plates[0]]}


def test_plate_parameter_limits_the_answer_to_that_vehicle(engine: Engine, cast: DemoCast) -> None:
    claimant, other = cast.people["motor_claimant"], cast.people["sme_owner"]
    own = _fetch(
        engine, registration, claimant.id_number, ("plate_no",), plate_no=claimant.plates[0]
    )
    foreign = _fetch(
        engine, registration, claimant.id_number, ("plate_no",), plate_no=other.plates[0]
    )
    assert own == {"plate_no": [claimant.plates[0]]} and foreign == {"plate_no": []}


def test_registration_indicators_match_sql_counts(engine: Engine) -> None:
    with engine.connect() as conn:
        owners = conn.execute(
            select(
                vr.c.id_number, func.count(), _n(vr.c.status != "正常"), _n(vr.c.status == "抵押")
            ).group_by(vr.c.id_number)
        ).all()
    assert any(mortgaged for *_, mortgaged in owners), "the world should hold a mortgaged car"
    for owner, n, abnormal, mortgaged in owners:
        got = _derive(
            engine, registration, owner, ("vehicles_count", "abnormal_count", "mortgaged_count")
        )
        assert got == {
            "vehicles_count": n,
            "abnormal_count": abnormal,
            "mortgaged_count": mortgaged,
        }


def test_licence_of_a_revoked_drunk_driver(engine: Engine, cast: DemoCast) -> None:
    driver = cast.people["drunk_driver"].id_number
    data = _fetch(engine, licence, driver, ("holds_licence", "licence_class", "status"))
    assert data == {"holds_licence": True, "licence_class": "C1", "status": "吊销"}
    assert _derive(engine, licence, driver, ("licence_valid",)) == {"licence_valid": False}


def test_a_person_without_a_licence_gets_absent_values(engine: Engine, cast: DemoCast) -> None:
    nobody = cast.people["inpatient"].id_number
    data = _fetch(engine, licence, nobody, ("holds_licence", "status", "valid_until"))
    assert data == {"holds_licence": False, "status": None, "valid_until": None}
    assert _derive(engine, licence, nobody, ("licence_valid", "points")) == {
        "licence_valid": False,
        "points": None,
    }


def test_violations_are_those_that_occurred_inside_the_period(
    engine: Engine, cast: DemoCast
) -> None:
    driver = cast.people["drunk_driver"].id_number
    with engine.connect() as conn:
        drunk_at = conn.scalar(
            select(tv.c.occurred_at).where(tv.c.id_number == driver, tv.c.category == "醉酒驾驶")
        )
    assert isinstance(drunk_at, datetime)
    day = drunk_at.date()
    inside = _fetch(
        engine, violation, driver, ("category", "occurred_at"), _until(day), category="醉酒驾驶"
    )
    assert inside == {
        "category": ["醉酒驾驶"],
        "occurred_at": [drunk_at.isoformat(timespec="seconds") + "+08:00"],
    }
    assert _derive(engine, violation, driver, ("drunk_driving_in_period",), _until(day)) == {
        "drunk_driving_in_period": True
    }
    assert _derive(
        engine, violation, driver, ("drunk_driving_in_period",), _until(day - timedelta(days=1))
    ) == {"drunk_driving_in_period": False}


@pytest.mark.parametrize("period", [PERIOD, LAST_YEAR], ids=["24 months", "12 months"])
def test_violation_indicators_match_sql_counts(engine: Engine, period: tuple[int, int]) -> None:
    names = (
        "violations_count",
        "accidents_count",
        "drink_driving_count",
        "points_total",
        "fines_total_fen",
        "drunk_driving_in_period",
    )
    start, end = (datetime.fromtimestamp(t, CST).replace(tzinfo=None) for t in period)
    in_period = tv.c.occurred_at.between(start, end)
    drink = tv.c.category.in_(("饮酒驾驶", "醉酒驾驶"))
    with engine.connect() as conn:
        expected = {
            row[0]: row[1:]
            for row in conn.execute(
                select(
                    tv.c.id_number,
                    _n(tv.c.category != "交通事故"),
                    _n(tv.c.category == "交通事故"),
                    _n(drink),
                    func.sum(tv.c.points),
                    func.sum(tv.c.fine_fen),
                )
                .where(in_period)
                .group_by(tv.c.id_number)
            )
        }
        people = conn.scalars(select(tv.c.id_number).distinct()).all()
    assert any(row[2] for row in expected.values())
    for person in people:
        v, a, d, p, f = expected.get(person, (0, 0, 0, 0, 0))
        assert _derive(engine, violation, person, names, period) == {
            "violations_count": v,
            "accidents_count": a,
            "drink_driving_count": d,
            "points_total": p,
            "fines_total_fen": f,
            "drunk_driving_in_period": d > 0,
        }


def test_unknown_field_is_a_typed_error_naming_what_is_offered(
    engine: Engine, cast: DemoCast
) -> None:
    with pytest.raises(UnknownField) as caught:
        _fetch(
            engine, registration, cast.people["motor_claimant"].id_number, ("plate_no", "id_number")
        )
    assert caught.value.resource == "vehicle.registration" and caught.value.name == "id_number"
    assert isinstance(caught.value, ValueError) and not isinstance(caught.value, KeyError)
    assert isinstance(caught.value, MalformedRequest) and caught.value.status == 400
    assert caught.value.to_body()["error"] == {
        "code": "MALFORMED_REQUEST",
        "message": str(caught.value),
        "details": {"resource": "vehicle.registration", "field": "id_number"},
    }
    assert "plate_no" in str(caught.value)


def test_unknown_indicator_and_empty_requests_are_typed_errors(
    engine: Engine, cast: DemoCast
) -> None:
    subject = cast.people["motor_claimant"].id_number
    with pytest.raises(UnknownIndicator):
        _derive(engine, violation, subject, ("plate_no",))  # a field, not an indicator
    with pytest.raises(NothingRequested):
        _fetch(engine, violation, subject, ())


@pytest.mark.parametrize("params", [{"colour": "白"}, {"category": "闯红灯"}, {"category": 3}])
def test_bad_parameters_are_refused(engine: Engine, cast: DemoCast, params: dict[str, Any]) -> None:
    with engine.connect() as conn, pytest.raises(InvalidParameter):
        violation.fetch(
            conn,
            subject_id=cast.people["drunk_driver"].id_number,
            fields=("category",),
            period=PERIOD,
            params=params,
        )
