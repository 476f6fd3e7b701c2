"""A virtual environment outside the repository with the SDK alone installed in it.

What a bank's integration engineer does: ``python -m venv``, then ``pip install`` of the SDK
(here from a copy of the checkout's ``sdk/``, pinned by ``constraints.txt``; the registry is
the only network used). Tests run code with its interpreter: the offline checks here, and
the README's example against the sandbox once it runs (``run_python`` with ``cwd``/``env``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SDK_SOURCE = REPO / "sdk"
CONSTRAINTS = REPO / "constraints.txt"
#: What ``python -m venv`` puts there before anything is installed.
SEEDED = frozenset({"pip", "setuptools", "wheel"})


@dataclass(frozen=True)
class SdkVenv:
    """A venv at ``root`` holding ``quancheng-sdk`` and its dependencies only."""

    root: Path
    #: Bytes under site-packages before the SDK was installed (the venv's own pip).
    seeded_bytes: int = 0

    @property
    def python(self) -> Path:
        """The venv's interpreter."""
        return self.root / "bin" / "python"

    @classmethod
    def create(cls, workdir: Path) -> SdkVenv:
        """Make the venv in ``workdir`` and install the SDK from a copy of ``sdk/`` into it.

        The copy keeps the build's by-products (``build/``, ``*.egg-info``) out of the checkout
        and proves the SDK's sources need nothing outside ``sdk/``.
        """
        source = workdir / "sdk-source"
        shutil.copytree(
            SDK_SOURCE, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
        )
        root = workdir / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
        venv = cls(root, seeded_bytes=_tree_bytes(cls(root).site_packages()))
        venv.pip("install", "-q", "-c", str(CONSTRAINTS), str(source))
        return venv

    def pip(self, *args: str) -> str:
        """Run the venv's pip; its standard output."""
        command = [str(self.python), "-m", "pip", "--disable-pip-version-check", *args]
        done = subprocess.run(command, capture_output=True, text=True, env=_isolated_env())
        if done.returncode != 0:
            raise RuntimeError(f"pip {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done.stdout

    def run_python(
        self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the venv's interpreter (``-c CODE`` or a script), never from the checkout.

        ``env`` is added to a copy of this process's environment without the variables that
        could put the checkout's sources on the path (``PYTHONPATH``, ...).
        """
        return subprocess.run(
            [str(self.python), *args],
            capture_output=True,
            text=True,
            cwd=cwd or self.root,
            env={**_isolated_env(), **(env or {})},
            check=False,
        )

    def distributions(self) -> dict[str, str]:
        """Installed distributions (normalized name → version), without the venv's seed."""
        listed = json.loads(self.pip("list", "--format", "json"))
        names = {d["name"].lower().replace("_", "-"): d["version"] for d in listed}
        return {name: version for name, version in names.items() if name not in SEEDED}

    def site_packages(self) -> Path:
        """The venv's site-packages directory."""
        (found,) = (self.root / "lib").glob("python3*/site-packages")
        return found

    def installed_bytes(self) -> int:
        """Bytes the SDK and its dependencies take under site-packages."""
        return _tree_bytes(self.site_packages()) - self.seeded_bytes


def _isolated_env() -> dict[str, str]:
    leaking = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k not in leaking}


def _tree_bytes(directory: Path) -> int:
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
