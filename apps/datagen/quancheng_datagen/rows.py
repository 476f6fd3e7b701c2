"""Which facet fills which table, and streaming row generation for any table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from quancheng_datagen.businesses import Business
from quancheng_datagen.context import Context, context
from quancheng_datagen.errors import UnknownDepartmentError
from quancheng_datagen.facets import Row
from quancheng_datagen.facets.employment import housing_fund_rows, social_security_rows
from quancheng_datagen.facets.health import death_registration_rows, medical_settlement_rows
from quancheng_datagen.facets.market import (
    administrative_penalty_rows,
    business_registration_rows,
)
from quancheng_datagen.facets.tax import tax_credit_rating_rows, tax_payment_rows
from quancheng_datagen.facets.utilities import business_utility_rows, person_utility_rows
from quancheng_datagen.facets.vehicles import (
    driving_licence_rows,
    traffic_violation_rows,
    vehicle_registration_rows,
)
from quancheng_datagen.people import Person
from quancheng_datagen.world import World

PersonRows = Callable[[Context, Person], list[Row]]
BusinessRows = Callable[[Context, Business], list[Row]]


@dataclass(frozen=True)
class TableSpec:
    """How a table is filled: from people, from businesses, or both."""

    name: str
    person_rows: PersonRows | None = None
    business_rows: BusinessRows | None = None


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("vehicle_registration", vehicle_registration_rows),
        TableSpec("driving_licence", driving_licence_rows),
        TableSpec("traffic_violation", traffic_violation_rows),
        TableSpec("death_registration", death_registration_rows),
        TableSpec("medical_settlement", medical_settlement_rows),
        TableSpec("tax_payment", business_rows=tax_payment_rows),
        TableSpec("tax_credit_rating", business_rows=tax_credit_rating_rows),
        TableSpec("social_security_contribution", social_security_rows),
        TableSpec("housing_fund_contribution", housing_fund_rows),
        TableSpec("utility_bill", person_utility_rows, business_utility_rows),
        TableSpec("business_registration", business_rows=business_registration_rows),
        TableSpec("administrative_penalty", business_rows=administrative_penalty_rows),
    )
}


def table_spec(name: str) -> TableSpec:
    """The spec of table ``name``."""
    try:
        return TABLES[name]
    except KeyError:
        raise UnknownDepartmentError(name, tuple(TABLES)) from None


def generate_rows(world: World, table: str, *, people: range | None = None,
                  businesses: range | None = None) -> Iterator[Row]:
    """Rows of ``table`` for the given subjects (default: all of the world's), in order.

    People's rows come before businesses' rows; each subject's rows depend only on the
    world and the subject, so any split into ranges concatenates to the full table.
    """
    spec = table_spec(table)
    ctx = context(world)
    if spec.person_rows is not None:
        make_rows = spec.person_rows
        for i in people if people is not None else range(world.people):
            yield from make_rows(ctx, ctx.person(i))
    if spec.business_rows is not None:
        make_business_rows = spec.business_rows
        for j in businesses if businesses is not None else range(world.businesses):
            yield from make_business_rows(ctx, ctx.business(j))
