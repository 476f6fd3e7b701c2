"""Entry point of the ``quancheng`` command.

Each area registers its own commands (``register(app)``) so that this file stays a table
of contents.  Errors from the project's exception tree become a one-line message on
stderr and a non-zero exit code, never a traceback; so do usage errors (exit code 2) and
an interrupt (exit code 130).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.metadata import version
from typing import Annotated, NoReturn

import typer

# Typer vendors click; its usage errors are not re-exported, so name them here, once.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from quancheng.errors import QuanchengError

PROG_NAME = "quancheng"
_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention

app = typer.Typer(
    name=PROG_NAME,
    help="泉城链 (Quancheng Chain): keys, signatures, the local chain and deployments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: The distributions whose versions ``--version`` prints: the tools, and the SDK below them.
CLI_DISTRIBUTION = "quancheng-platform"
SDK_DISTRIBUTION = "quancheng-sdk"


def _print_version(requested: bool) -> None:
    if requested:
        sdk = f"{SDK_DISTRIBUTION} {version(SDK_DISTRIBUTION)}"
        typer.echo(f"{PROG_NAME} {version(CLI_DISTRIBUTION)} ({sdk})")
        raise typer.Exit()


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    pass


def _register_all() -> None:
    from quancheng_cli import (
        audit_cmds,
        chain_cmds,
        crypto_cmds,
        deploy_cmds,
        sandbox_cmds,
        topology_cmds,
    )

    crypto_cmds.register(app)
    audit_cmds.register(app)
    chain_cmds.register(app)
    deploy_cmds.register(app)
    topology_cmds.register(app)
    sandbox_cmds.register(app)


_register_all()


def _fail(message: str, code: int) -> NoReturn:
    # Click messages can wrap; one line keeps them greppable and easy to read in a log.
    typer.echo(f"{PROG_NAME}: error: {' '.join(message.split())}", err=True)
    sys.exit(code)


def _fail_usage(exc: UsageError) -> NoReturn:
    command = exc.ctx.command_path if exc.ctx is not None else PROG_NAME
    _fail(f"{exc.format_message()} (try '{command} --help')", exc.exit_code)


def main(args: Sequence[str] | None = None) -> None:
    """Run the CLI; every failure ends in one line on stderr and a meaningful exit code.

    Project errors print ``error: <code>: <message>`` and exit 1; usage errors print
    ``quancheng: error: <message> (try '<command> --help')`` and exit 2; an interrupt
    exits 130.  Commands' own ``typer.Exit`` codes pass through unchanged.
    """
    try:
        # Outside standalone mode click raises usage errors instead of printing its usage
        # panel, and returns an Exit's code instead of exiting.
        code = app(args=args, prog_name=PROG_NAME, standalone_mode=False)
    except QuanchengError as exc:
        typer.echo(f"error: {exc.code}: {exc}", err=True)
        sys.exit(1)
    except NoArgsIsHelpError as exc:  # a group called bare: its help is the answer
        exc.show()
        sys.exit(exc.exit_code)
    except UsageError as exc:
        _fail_usage(exc)
    except ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except typer.Abort:
        typer.echo(f"{PROG_NAME}: aborted", err=True)
        sys.exit(_INTERRUPTED)
    except KeyboardInterrupt:
        code = _INTERRUPTED
    if code == _INTERRUPTED:  # typer turns Ctrl-C inside a command into Exit(130)
        typer.echo(f"{PROG_NAME}: interrupted", err=True)
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
