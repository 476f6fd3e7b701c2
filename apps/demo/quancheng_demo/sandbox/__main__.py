"""``python -m quancheng_demo.sandbox up|status|down``: the sandbox from the shell.

Exit codes: 0 done (``status``: everything up), 1 a refusal or something down (the message
names the fix), 2 a usage error, 130 interrupted (Ctrl-C, SIGTERM, SIGHUP: ``up`` stops what
it had started).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from quancheng.errors import QuanchengError
from quancheng_demo.sandbox.report import status_lines, summary
from quancheng_demo.sandbox.state import DEFAULT_BASE_PORT, Layout, SandboxState, read_model
from quancheng_demo.sandbox.stop import down

DEFAULT_DIR = Path("var/sandbox")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m quancheng_demo.sandbox",
        description="A 泉城链 sandbox that stays up: chain, contracts, consortium, gateways, "
        "portal and services with seeded data, for an SDK user to integrate against.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start the sandbox (or say it runs already)")
    start.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gateways over HTTPS with mutual TLS (default), or plain HTTP",
    )
    start.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT, metavar="PORT",
                       help=f"chain at PORT, gateways after it, portal/claims/credit at "
                       f"PORT+10..12 (default {DEFAULT_BASE_PORT}; 0: any free ports)")  # fmt: skip
    commands.add_parser("status", help="what runs; exit 0 when everything is up")
    stop = commands.add_parser("down", help="stop everything the sandbox started")
    stop.add_argument("--purge", action="store_true", help="also delete its directory")
    for sub in (start, commands.choices["status"], stop):
        sub.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                         help=f"the sandbox's directory (default {DEFAULT_DIR})")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = Path(args.dir).resolve()  # relative to the working directory
    try:
        if args.command == "up":
            if not 0 <= args.base_port <= 65535 - 12:
                print(f"--base-port {args.base_port}: give 0, or a port up to 65523",
                      file=sys.stderr)  # fmt: skip
                return 2
            from quancheng_demo.sandbox.lifecycle import up  # the stack: only ``up`` needs it

            with _interrupted_on_termination():
                state, already = up(root, tls=args.tls, base_port=args.base_port)
            print("the sandbox is already up" if already else "the sandbox is up")
            summary(Layout(root), state, print)
            return 0
        if args.command == "status":
            return _status(root)
        down(root, purge=args.purge)
        return 0
    except QuanchengError as exc:
        print(f"error [{exc.code}]: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: what had been started is stopped", file=sys.stderr)
        return 130


@contextmanager
def _interrupted_on_termination() -> Iterator[None]:
    """SIGTERM and SIGHUP interrupt ``up`` as Ctrl-C does, so what it started so far is
    stopped (only a SIGKILL can leave a half-built sandbox's processes behind)."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _status(root: Path) -> int:
    state = read_model(Layout(root).state_file, SandboxState)
    if state is None:
        print(f"no sandbox runs in {root} (start one: python -m quancheng_demo.sandbox up "
              f"--dir {root})")  # fmt: skip
        return 1
    lines, ok = status_lines(state)
    print(f"sandbox in {root}: {'everything up' if ok else 'NOT everything up'}")
    for line in lines:
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
