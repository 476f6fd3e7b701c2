"""``python -m quancheng_datagen``: fill a department's database with a generated world."""

from __future__ import annotations

import sys
import time
from datetime import date
from functools import partial
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import create_engine

from quancheng.errors import QuanchengError
from quancheng_datagen.demo import demo_cast
from quancheng_datagen.populate import DEFAULT_CHUNK, populate, subjects_to_generate
from quancheng_datagen.schema import DEPARTMENTS, department
from quancheng_datagen.world import DEFAULT_AS_OF, DEFAULT_SEED

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def generate(
    db: Annotated[str, typer.Option(help="SQLAlchemy URL, e.g. sqlite:///vehicle.db")],
    department_key: Annotated[str, typer.Option(
        "--department", help=f"one of {', '.join(DEPARTMENTS)}, or 'all'")] = "all",
    people: Annotated[int, typer.Option(min=0)] = 1000,
    businesses: Annotated[int, typer.Option(min=0)] = 100,
    seed: Annotated[int, typer.Option()] = DEFAULT_SEED,
    as_of: Annotated[str, typer.Option(help="extraction day, YYYY-MM-DD")] = str(DEFAULT_AS_OF),
    chunk: Annotated[int, typer.Option(min=1, help="subjects per transaction")] = DEFAULT_CHUNK,
    cast: Annotated[bool, typer.Option("--cast", help="print the demo cast afterwards")] = False,
) -> None:
    """Generate a deterministic world and insert one department's (or every) tables."""
    console = Console(stderr=True)
    keys = list(DEPARTMENTS) if department_key == "all" else [department(department_key).key]
    day = date.fromisoformat(as_of)
    engine = create_engine(db)
    totals: dict[str, int] = {}
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        for key in keys:
            task = bar.add_task(key, total=subjects_to_generate(key, people, businesses))
            totals |= populate(engine, key, seed, people, businesses, chunk=chunk, as_of=day,
                               progress=partial(bar.advance, task))
    elapsed = time.perf_counter() - started
    table = Table("table", "rows", title=f"{engine.url.render_as_string()} — {elapsed:.1f} s")
    for name, count in totals.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    if cast:
        _print_cast(console, seed, people, businesses, day)


def _print_cast(console: Console, seed: int, people: int, businesses: int, day: date) -> None:
    c = demo_cast(seed, people=people, businesses=businesses, as_of=day)
    table = Table("role", "index", "identifier", "name", "notes", title="demo cast")
    for p in c.people.values():
        table.add_row(p.role, str(p.ordinal), p.id_number, p.name,
                      " ".join((p.summary, *p.plates)))
    for b in c.businesses.values():
        table.add_row(b.role, str(b.ordinal), b.uscc, b.name, b.summary)
    console.print(table)


def main() -> None:
    """Run the command; project errors become one line on stderr and exit code 1."""
    try:
        app(standalone_mode=False)
    except QuanchengError as exc:
        typer.echo(f"error: {exc.code}: {exc}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
