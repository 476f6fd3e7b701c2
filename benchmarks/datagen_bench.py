"""Generation and loading speed of the synthetic department data (quancheng_datagen).

Baselines measured in the same run:
- the floor of the per-entity design: one SHA-256-seeded ``random.Random`` and 25 draws
  per entity, nothing built from them;
- the floor of loading: the same rows sent by the raw ``sqlite3`` driver's
  ``executemany``, with no generation and no SQLAlchemy.

Run ``python -m benchmarks.datagen_bench [--people N] [--businesses N] [--quick] [--no-write]``.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine

from benchmarks.report import add_output_args, apply_output_args, image, machine_line, publish
from quancheng_datagen import (
    DEPARTMENTS,
    World,
    generate_businesses,
    generate_people,
    generate_rows,
    populate,
)
from quancheng_datagen.populate import _bulk_insert
from quancheng_datagen.schema import metadata


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s"


def _seeded_floor(n: int) -> float:
    started = time.perf_counter()
    prefix = hashlib.sha256(b"bench")
    for i in range(n):
        h = prefix.copy()
        h.update(i.to_bytes(8, "big"))
        r = random.Random(int.from_bytes(h.digest()[:16], "big")).random
        for _ in range(25):
            r()
    return time.perf_counter() - started


def _raw_sqlite_floor(world: World, table: str, path: Path) -> tuple[int, float]:
    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine, tables=[metadata.tables[table]])
    bulk = _bulk_insert(metadata.tables[table], engine.dialect)
    params = bulk.parameters(list(generate_rows(world, table)))
    conn = sqlite3.connect(path)
    started = time.perf_counter()
    with conn:
        conn.executemany(bulk.sql, params)
    elapsed = time.perf_counter() - started
    conn.close()
    return len(params), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000, help="for generation timing")
    parser.add_argument("--load-people", type=int, default=20_000, help="for the SQLite load")
    parser.add_argument("--businesses", type=int, default=10_000)
    add_output_args(parser)
    args = parser.parse_args()
    apply_output_args(args)
    if args.quick:
        args.people, args.load_people, args.businesses = 2_000, 500, 200
    seed = 20261031
    results: list[dict[str, object]] = []
    lines = [
        f"Machine: {machine_line()}",
        "",
        "| what | count | time | rate |",
        "|---|---:|---:|---:|",
    ]

    def row(what: str, n: int, seconds: float, unit: str = "") -> None:
        base = what.startswith("baseline")
        results.append({"what": what, "n": n, "seconds": seconds, "unit": unit, "baseline": base})
        lines.append(f"| {what} | {n:,} {unit} | {seconds:.2f} s | {_rate(n, seconds)} |")
        print(lines[-1], flush=True)

    row("baseline: SHA-256-seeded Random + 25 draws", args.people, _seeded_floor(args.people))
    started = time.perf_counter()
    for _ in generate_people(seed, 0, args.people):
        pass
    row("generate_people (identity + traits)", args.people, time.perf_counter() - started)
    started = time.perf_counter()
    for _ in generate_businesses(seed, 0, args.businesses, people=args.people):
        pass
    row("generate_businesses (with legal rep)", args.businesses, time.perf_counter() - started)

    load_businesses = max(1, args.load_people // 10)
    world = World(seed, args.load_people, load_businesses)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'world.db'}")
        total_rows, total_time = 0, 0.0
        for key in DEPARTMENTS:
            started = time.perf_counter()
            counts = populate(engine, key, seed, world.people, world.businesses)
            elapsed = time.perf_counter() - started
            row(f"populate {key} (generate + insert)", sum(counts.values()), elapsed, "rows")
            total_rows, total_time = total_rows + sum(counts.values()), total_time + elapsed
        row(
            f"populate all ({world.people:,} people, {world.businesses:,} businesses)",
            total_rows,
            total_time,
            "rows",
        )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # the floor holds all its rows in memory at once, so it runs after the RSS reading
        n, seconds = _raw_sqlite_floor(world, "utility_bill", Path(tmp) / "floor.db")
        row("baseline: raw sqlite3 executemany, utility_bill (no generation)", n, seconds, "rows")
    lines += [
        "",
        f"Peak RSS up to the end of the loads: {peak_mb:.0f} MB "
        "(streaming, 2,000 subjects per transaction).",
    ]
    print(lines[-1])
    lines += ["", image("datagen", "generation and loading rates beside their baselines")]
    if not args.no_write:
        title = "## Synthetic department data (`benchmarks/datagen_bench.py`)"
        data = {"people": args.people, "load_people": args.load_people, "rows": results}
        publish("datagen", title + "\n\n" + "\n".join(lines), data, quick=args.quick)


if __name__ == "__main__":
    main()
