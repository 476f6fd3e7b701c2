"""``quancheng sandbox up|status|down``: the sandbox (docs/sandbox.md) from the one CLI.

The commands and their options are :mod:`quancheng_demo.sandbox`'s; this only hands the
arguments over, so ``quancheng sandbox up --help`` and ``python -m quancheng_demo.sandbox up
--help`` print the same.
"""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command(
        "sandbox",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )
    def sandbox(ctx: typer.Context) -> None:
        """A sandbox that stays up: `up`, `status`, `down` (docs/sandbox.md)."""
        from quancheng_demo.sandbox.__main__ import main  # the demo stack: loaded when used

        code = main(list(ctx.args))
        if code:
            raise typer.Exit(code)
