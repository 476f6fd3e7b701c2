"""``python -m quancheng_appkit.devca DIR [--client CODE ...]``: make the CA, print its files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from quancheng.tls import TlsConfigError
from quancheng_appkit.devca import DevCa


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m quancheng_appkit.devca DIR [--client CODE ...]``: make, print the files."""
    parser = argparse.ArgumentParser(
        prog="python -m quancheng_appkit.devca",
        description="Make (or reuse) the development CA in DIR. Development only: a "
        "deployment's certificates come from its own CA.",
    )
    parser.add_argument("directory", type=Path, metavar="DIR")
    parser.add_argument(
        "--client", action="append", default=[], metavar="CODE",
        help="a member's consortium code that needs a client certificate (repeatable)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        ca = DevCa.ensure(args.directory, args.client)
    except TlsConfigError as exc:
        parser.error(str(exc))
    print(f"CA certificate       {ca.ca_file}")
    print(f"server certificate   {ca.server_cert_file}")
    print(f"server key           {ca.server_key_file}")
    for code in ca.client_codes():
        tls = ca.client(code)
        print(f"client {code}  {tls.cert_file}  {tls.key_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
