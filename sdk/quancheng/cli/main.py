"""Entry point of the ``quancheng`` command.

Each area registers its own commands (``register(app)``) so that this file stays a table
of contents.  Errors from the project's exception tree become a one-line message on
stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from quancheng.errors import QuanchengError

app = typer.Typer(
    name="quancheng",
    help="泉城链 (Quancheng Chain): keys, signatures, the local chain and deployments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    from quancheng.cli import audit_cmds, crypto_cmds

    crypto_cmds.register(app)
    audit_cmds.register(app)
    try:
        from quancheng.cli import chain_cmds, topology_cmds
    except ImportError:  # pragma: no cover - the node tooling is part of the same distribution
        return
    chain_cmds.register(app)
    topology_cmds.register(app)


_register_all()


def main() -> None:
    """Run the CLI, turning project errors into ``error: <code>: <message>`` and exit code 1."""
    try:
        # Outside standalone mode click returns an Exit's code instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except QuanchengError as exc:
        typer.echo(f"error: {exc.code}: {exc}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
