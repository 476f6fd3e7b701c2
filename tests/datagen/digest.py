"""A stable digest of generated rows, importable from a subprocess (see test_determinism)."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable

from quancheng_datagen import TABLES, World, generate_rows


def rows_digest(rows: Iterable[dict[str, object]]) -> str:
    """SHA-256 of the rows' canonical JSON, one row per line."""
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps(row, default=str, ensure_ascii=False, sort_keys=True).encode())
        h.update(b"\n")
    return h.hexdigest()


def table_digests(world: World, order: Iterable[str] = TABLES) -> dict[str, str]:
    """Digest of every table of a world, generated in the given order."""
    return {name: rows_digest(generate_rows(world, name)) for name in order}


if __name__ == "__main__":  # python -m tests.datagen.digest SEED PEOPLE BUSINESSES [reverse]
    seed, people, businesses = (int(a) for a in sys.argv[1:4])
    order = list(TABLES)[::-1] if sys.argv[4:] == ["reverse"] else list(TABLES)
    print(json.dumps(table_digests(World(seed, people, businesses), order), sort_keys=True))
