#!/usr/bin/env python3
"""Import every module of the installed SDK (``quancheng``) and report what came with it.

Run it with the interpreter of a venv that holds only ``quancheng-sdk`` and its dependencies
(tests/packaging does, in a venv outside the repository)::

    /tmp/sdk-venv/bin/python scripts/check_sdk_alone.py

It prints one JSON object: the SDK modules imported, those that failed (with the error), and
the server-side packages present afterwards, installed or imported (there must be none). The
exit code is 0 only when every module imported and no server-side package is there.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import pkgutil
import sys

#: Import names of what serves, stores through an ORM, plots, compiles or drives the shell:
#: the root project's dependencies, never the SDK's.
SERVER_MODULES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlmodel",
    "sqlalchemy",
    "matplotlib",
    "psycopg",
    "solcx",
    "jinja2",
    "prometheus_client",
    "structlog",
    "pydantic_settings",
    "typer",
    "rich",
    "quancheng_cli",
    "quancheng_node",
    "quancheng_appkit",
    "quancheng_gateway",
)


def check() -> dict[str, object]:
    """Import the ``quancheng`` package and every module under it; see the module docstring."""
    import quancheng

    imported: list[str] = ["quancheng"]
    failed: dict[str, str] = {}
    for module in pkgutil.walk_packages(quancheng.__path__, "quancheng."):
        try:
            importlib.import_module(module.name)
        except Exception as exc:  # report every failure, not only the first
            failed[module.name] = f"{type(exc).__name__}: {exc}"
        else:
            imported.append(module.name)
    return {
        "sdk_file": quancheng.__file__,
        "version": quancheng.__version__,
        "imported": sorted(imported),
        "failed": failed,
        "server_installed": [m for m in SERVER_MODULES if importlib.util.find_spec(m)],
        "server_imported": [m for m in SERVER_MODULES if m in sys.modules],
    }


def main() -> int:
    """Print the report as JSON; 0 when the SDK stands alone."""
    report = check()
    print(json.dumps(report, indent=2))
    alone = not (report["failed"] or report["server_installed"] or report["server_imported"])
    return 0 if alone else 1


if __name__ == "__main__":
    sys.exit(main())
