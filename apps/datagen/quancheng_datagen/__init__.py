"""Deterministic synthetic records of the government departments (demo, tests, benchmarks).

A *world* is fixed by (seed, people, businesses, as_of).  Person #i and business #j are
the same whatever else is generated: each entity and each of its facets draws from its
own SHA-256-derived stream, so any table, any chunk, in any order, is byte-identical to a
full run.  Typical use::

    from quancheng_datagen import World, generate_people, populate, demo_cast

    populate(engine, "vehicle", seed=1, people=100_000, businesses=10_000)
    cast = demo_cast(1, people=100_000, businesses=10_000)
    cast.people["motor_claimant"].id_number
"""

from quancheng_datagen.businesses import Business, BusinessProfile, generate_businesses
from quancheng_datagen.checks import (
    is_valid_jinan_plate,
    is_valid_resident_id,
    is_valid_uscc,
    is_valid_vin,
)
from quancheng_datagen.demo import CastBusiness, CastPerson, DemoCast, demo_cast
from quancheng_datagen.errors import (
    DatagenError,
    DemoCastUnavailableError,
    UnknownDepartmentError,
    WorldTooLargeError,
)
from quancheng_datagen.people import Person, generate_people
from quancheng_datagen.populate import DEFAULT_CHUNK, populate
from quancheng_datagen.rows import TABLES, generate_rows
from quancheng_datagen.schema import (
    DEPARTMENTS,
    Department,
    create_department_tables,
    department_tables,
    metadata,
)
from quancheng_datagen.world import DEFAULT_AS_OF, DEFAULT_SEED, World

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_CHUNK",
    "DEFAULT_SEED",
    "DEPARTMENTS",
    "TABLES",
    "Business",
    "BusinessProfile",
    "CastBusiness",
    "CastPerson",
    "DatagenError",
    "DemoCast",
    "DemoCastUnavailableError",
    "Department",
    "Person",
    "UnknownDepartmentError",
    "World",
    "WorldTooLargeError",
    "create_department_tables",
    "demo_cast",
    "department_tables",
    "generate_businesses",
    "generate_people",
    "generate_rows",
    "is_valid_jinan_plate",
    "is_valid_resident_id",
    "is_valid_uscc",
    "is_valid_vin",
    "metadata",
    "populate",
]
