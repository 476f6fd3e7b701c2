"""Same world, same bytes: whatever the chunking, the order of tables, the process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from quancheng_datagen import TABLES, World, generate_businesses, generate_people, generate_rows
from quancheng_datagen.facets import Row
from tests.datagen.digest import rows_digest, table_digests

REPO = Path(__file__).resolve().parents[2]
WORLD = World(5, 120, 15)

# Digests of World(1, 40, 6) at the default as_of.  They change only when the generator
# does: a change here changes every gateway's data and the demo's, so make it on purpose
# (python -m tests.datagen.digest 1 40 6) and say so in the commit.
GOLDEN = World(1, 40, 6)


def _chunked(world: World, table: str, size: int) -> Iterator[Row]:
    for start in range(0, world.people, size):
        people = range(start, min(world.people, start + size))
        yield from generate_rows(world, table, people=people, businesses=range(0))
    for start in range(0, world.businesses, size):
        businesses = range(start, min(world.businesses, start + size))
        yield from generate_rows(world, table, people=range(0), businesses=businesses)


@pytest.mark.parametrize("table", list(TABLES))
def test_rows_do_not_depend_on_the_chunk_size(table: str) -> None:
    full = list(generate_rows(WORLD, table))
    for size in (1, 7, 50):
        assert list(_chunked(WORLD, table, size)) == full


def test_a_person_is_the_same_in_a_small_and_a_huge_world() -> None:
    small, huge = World(5, 10, 0), World(5, 1_000_000, 0)
    for table in ("vehicle_registration", "driving_licence", "traffic_violation",
                  "death_registration", "medical_settlement", "utility_bill"):
        assert list(generate_rows(small, table)) == list(
            generate_rows(huge, table, people=range(10), businesses=range(0)))


def test_an_entity_generated_alone_equals_the_one_in_a_stream() -> None:
    stream = list(generate_people(5, 0, 300))
    assert next(generate_people(5, 257, 1)) == stream[257]
    businesses = list(generate_businesses(5, 0, 30, people=300))
    assert next(generate_businesses(5, 17, 1, people=300)) == businesses[17]


def test_another_process_in_reverse_table_order_produces_the_same_bytes() -> None:
    here = table_digests(WORLD)
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run(
        [sys.executable, "-m", "tests.datagen.digest", "5", "120", "15", "reverse"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    )
    assert json.loads(out.stdout) == here


def test_different_seeds_give_different_worlds() -> None:
    a = rows_digest(generate_rows(World(5, 50, 5), "business_registration"))
    b = rows_digest(generate_rows(World(6, 50, 5), "business_registration"))
    assert a != b


def test_output_matches_the_pinned_golden_digests() -> None:
    assert table_digests(GOLDEN) == GOLDEN_DIGESTS


GOLDEN_DIGESTS: dict[str, str] = {
    "administrative_penalty": "a9c06cc3d6951a785a5bd4c5d36b5382e8aa2b9e6298c0b1cfc3218e77592075",
    "business_registration": "6e6bf447c3136ce4491cfacf182ae024efec6b4baf7e6325b03216128bac9c6d",
    "death_registration": "edb333915822c1d5d758e72683fd1376cacb1e0a42efbfc42495475f35587367",
    "driving_licence": "b074c4b81e764602ef5b21547af23921f844a46c9c058a672a130faf7db1a2cf",
    "housing_fund_contribution": "c1e66e4dc127bb5025c09f4244f54ff0b7ef265114a87a44a61f7e3580fa86f1",
    "medical_settlement": "338506e265d8b41c8f48696393f1a4c95c4244cc3d4b3bec4039f6d399587d30",
    "social_security_contribution":
        "e227cf1887ae671446945037aa2a2914ab5b9bc0ea9da14ae82ce16ac5e00d2c",
    "tax_credit_rating": "1e6fc6fd663115fca94822be75e60c5d1a1a84b548623fda9927484fafb12579",
    "tax_payment": "432cface898c38faca9d4c66371c53dd997914d8513f16aac92d55b8456d38ca",
    "traffic_violation": "c9bba65613f41af7e78ef076d4ab14531f534780adff6ac879b8bee85307688b",
    "utility_bill": "cb41514a0825f1d3cca96153261a4e11fa5a6507be9076e7c73b904f96eef1d4",
    "vehicle_registration": "7c517319651625f38d26ef4fa0cfec9c9be203a453132888295279add59f32dc",
}
