"""Time of one department read, prepared and through SQLAlchemy Core, per resource.

The gateway's ``read_data`` (a pooled connection, the plug-in's ``fetch`` or ``derive``, the
answer's checks) is called ``--calls`` times per resource and mode over the test world's
SQLite database (every finance and insurance department, and the gateway tests' department),
cycling through the subjects the department holds, best of ``--repeat``. The Core figures are
the same resources with ``SqlResource.unprepared()``: the SELECT built and executed through
SQLAlchemy per query, as before the prepared reads. Prints only (no BENCHMARKS.md).

    .venv/bin/python -m benchmarks.department_reads [--calls 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Engine

from quancheng.protocol import GrantMode
from quancheng.protocol.refusals import Refusal
from quancheng_appkit.resource import SqlResource
from quancheng_datagen import populate
from quancheng_finance.departments import DEPARTMENTS as FINANCE
from quancheng_gateway.answering import read_data
from quancheng_gateway.db import create_data_engine
from quancheng_gateway.pipeline import Checked
from quancheng_insurance.departments import DEPARTMENTS as INSURANCE
from tests.gateway.department import vehicle as test_department
from tests.insurance.helpers import BUSINESSES, PEOPLE, PERIOD, SEED

KIND = {"person": "resident_id", "business": "uscc"}


def _checked(handler: SqlResource, subject: str, mode: GrantMode) -> Checked:
    """What ``read_data`` reads of a checked request (the grant, the request, the handler)."""
    names = handler.spec.fields if mode is GrantMode.RAW else handler.spec.indicators
    grant = SimpleNamespace(
        grant_id="0x" + "00" * 32,
        subject_id=subject,
        subject_kind=KIND[handler.spec.subject_kind],
        mode=mode.value,
        data_from=PERIOD[0],
        data_to=PERIOD[1],
    )
    request = SimpleNamespace(resource=handler.spec.resource_id, fields=names, params={})
    return cast(Checked, SimpleNamespace(grant=grant, request=request, handler=handler))


def _per_read(engine: Engine, checked: list[Checked], calls: int, repeat: int) -> float:
    """Microseconds per ``read_data`` call, best of ``repeat`` runs of ``calls`` calls.

    Requests refused (the test department's subjects without a licence) are left out.
    """
    answered = []
    for c in checked:  # and warm: plans compiled, pool filled
        try:
            read_data(engine, c)
        except Refusal:
            continue
        answered.append(c)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for i in range(calls):
            read_data(engine, answered[i % len(answered)])
        best = min(best, (time.perf_counter() - started) / calls)
    return best * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_data_engine(f"sqlite:///{Path(tmp) / 'world.db'}")
        departments: list[Any] = [*FINANCE, *INSURANCE]
        for d in departments:
            populate(engine, d.datagen_department, seed=SEED, people=PEOPLE, businesses=BUSINESSES)
        departments.append(test_department())
        print(f"read_data, µs per call ({args.calls} calls, best of {args.repeat})")
        print(f"{'resource':34} {'mode':7} {'Core':>7} {'prepared':>9}")
        ratios = []
        for d in departments:
            with engine.connect() as conn:
                held = list(d.subjects(conn))
            for h in d.handlers:
                subjects = [i for k, i in held if k == KIND[h.spec.subject_kind]]
                for mode in (GrantMode.RAW, GrantMode.DERIVED):
                    figures = [
                        _per_read(engine, [_checked(r, s, mode) for s in subjects], args.calls,
                                  args.repeat)
                        for r in (h.unprepared(), h)
                    ]  # fmt: skip
                    ratios.append(figures[1] / figures[0])
                    name = f"{h.spec.resource_id} ({d.provider})"
                    print(f"{name:34} {mode.value:7} {figures[0]:7.1f} {figures[1]:9.1f}")
        print(f"prepared / Core, geometric mean: {statistics.geometric_mean(ratios):.2f}")
        engine.dispose()


if __name__ == "__main__":
    main()
