"""The openssl 3 command line as a test helper: SM2 keys, signatures and digests for interop."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from quancheng.crypto import DEFAULT_USER_ID

__all__ = ["OpenSSL", "find_openssl"]


@dataclass(frozen=True)
class OpenSSL:
    """The ``openssl`` 3 command line, for interop checks in both directions."""

    binary: str

    def run(
        self, *args: str | Path, stdin: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``openssl ARGS``; raise with its stderr if ``check`` and it fails."""
        proc = subprocess.run(
            [self.binary, *map(str, args)], input=stdin, capture_output=True, check=False
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"openssl {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                + proc.stderr.decode(errors="replace")
            )
        return proc

    def sign(
        self, key: Path, message: Path, out: Path, *, distid: bytes | None = DEFAULT_USER_ID
    ) -> bytes:
        """``pkeyutl -sign -rawin -digest sm3`` (SM2 with Z_A), returning the DER signature."""
        self.run(
            "pkeyutl", "-sign", "-inkey", key, "-in", message, "-rawin", "-digest", "sm3",
            *_distid(distid), "-out", out,
        )  # fmt: skip
        return out.read_bytes()

    def verify(
        self, pub: Path, message: Path, sig: Path, *, distid: bytes | None = DEFAULT_USER_ID
    ) -> bool:
        """``pkeyutl -verify -pubin -rawin -digest sm3``; whether OpenSSL accepts the signature."""
        proc = self.run(
            "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in", message, "-rawin",
            "-digest", "sm3", *_distid(distid), "-sigfile", sig,
            check=False,
        )  # fmt: skip
        return proc.returncode == 0 and b"Signature Verified Successfully" in proc.stdout

    def genpkey_sm2(self, out: Path) -> Path:
        """Write a fresh SM2 private key (PKCS#8 PEM) and return its path."""
        self.run("genpkey", "-algorithm", "SM2", "-out", out)
        return out

    def pubout(self, key: Path, out: Path) -> Path:
        """Write the SubjectPublicKeyInfo PEM of ``key``."""
        self.run("pkey", "-in", key, "-pubout", "-out", out)
        return out


def _distid(distid: bytes | None) -> list[str]:
    return [] if distid is None else ["-pkeyopt", f"distid:{distid.decode()}"]


def find_openssl() -> OpenSSL | None:
    """The openssl CLI if it is installed and at least version 3, else ``None``."""
    binary = shutil.which("openssl")
    if binary is None:
        return None
    version = subprocess.run([binary, "version"], capture_output=True, text=True).stdout
    match = re.match(r"OpenSSL (\d+)\.", version)
    if not match or int(match.group(1)) < 3:
        return None
    return OpenSSL(binary)
