"""Helpers shared by the crypto tests: key-file records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["KeyFiles", "write"]


@dataclass(frozen=True)
class KeyFiles:
    """A key pair on disk: private PKCS#8 PEM and public SPKI PEM."""

    private: Path
    public: Path


def write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` and return the path (keeps test bodies short)."""
    path.write_bytes(data)
    return path
