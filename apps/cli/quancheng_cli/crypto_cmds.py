"""``quancheng keys``, ``sign``, ``verify`` and ``sm3``: SM2/SM3 from the shell.

Files are PEM keys (as OpenSSL writes them) and DER signatures, so every command here
can be checked against ``openssl pkeyutl ... -rawin -digest sm3 -pkeyopt
distid:1234567812345678``.  Failures are project errors: ``main`` prints them as one
line and exits 1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from quancheng.crypto import DEFAULT_USER_ID, SM2PrivateKey, SM2PublicKey, SM3Hasher
from quancheng.crypto.errors import InvalidKey
from quancheng.errors import ConfigError

__all__ = ["InputFileError", "OutputFileExists", "register"]

_CHUNK = 1 << 20
_DEFAULT_ID = DEFAULT_USER_ID.decode()


class InputFileError(ConfigError):
    """A file named on the command line cannot be read.

    Attributes:
        path: The path as given.
        reason: The operating system's reason.
    """

    code = "INPUT_FILE_UNREADABLE"

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot read {path}: {reason}")


class OutputFileExists(ConfigError):
    """An output file exists and ``--force`` was not given.

    Attributes:
        path: The existing file.
    """

    code = "OUTPUT_FILE_EXISTS"

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path} exists; use --force to overwrite")


def _read(path: str) -> bytes:
    """Read a whole file, ``-`` meaning standard input."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(path, exc.strerror or type(exc).__name__) from None


def _write(path: Path, data: bytes, *, mode: int, force: bool) -> None:
    """Write ``data`` with permissions ``mode``; refuse to replace a file unless ``force``."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise OutputFileExists(str(path)) from None
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), mode)  # O_CREAT's mode is masked by umask; an old file kept its own
        fh.write(data)


def _password(env_name: str | None) -> bytes | None:
    """The key passphrase from the named environment variable (never from argv)."""
    if env_name is None:
        return None
    value = os.environ.get(env_name)
    if not value:
        raise ConfigError(f"environment variable {env_name} is not set or empty")
    return value.encode()


def _load_public(path: str) -> SM2PublicKey:
    """A public key from a PUBLIC KEY PEM, or the public half of a PRIVATE KEY PEM."""
    data = _read(path)
    try:
        return SM2PublicKey.from_pem(data)
    except InvalidKey:
        if b"PRIVATE KEY" not in data:
            raise
    return SM2PrivateKey.from_pem(data).public_key()


_UserId = Annotated[
    str,
    typer.Option("--user-id", help="SM2 user ID (distid); the standard default unless told."),
]
_PasswordEnv = Annotated[
    str | None,
    typer.Option("--password-env", help="Read the key passphrase from this environment variable."),
]


def keys_new(
    out: Annotated[Path, typer.Option("--out", help="Private key file (PKCS#8 PEM, mode 0600).")],
    pub_out: Annotated[
        Path | None, typer.Option("--pub-out", help="Also write the public key (SPKI PEM).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    password_env: _PasswordEnv = None,
) -> None:
    """Generate an SM2 key pair."""
    if not force:
        for path in (out, pub_out):
            if path is not None and path.exists():
                raise OutputFileExists(str(path))
    key = SM2PrivateKey.generate()
    _write(out, key.to_pem(_password(password_env)), mode=0o600, force=force)
    if pub_out is not None:
        _write(pub_out, key.public_key().to_pem(), mode=0o644, force=force)
    typer.echo(f"fingerprint {key.public_key().fingerprint()}")


def keys_show(
    key_file: Annotated[str, typer.Argument(help="Public or private key PEM.")],
) -> None:
    """Print a key's 65-byte public point and its SM3 fingerprint."""
    pub = _load_public(key_file)
    typer.echo(f"public_key  {pub.to_bytes().hex()}")
    typer.echo(f"fingerprint {pub.fingerprint()}")


def sign(
    file: Annotated[str, typer.Argument(help="File to sign, or - for standard input.")],
    key: Annotated[str, typer.Option("--key", help="Private key PEM.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the DER signature.")],
    user_id: _UserId = _DEFAULT_ID,
    password_env: _PasswordEnv = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out.")] = False,
) -> None:
    """Sign FILE with SM2 (e = SM3(Z_A ‖ M)); write a DER signature."""
    private = SM2PrivateKey.from_pem(_read(key), _password(password_env))
    signature = private.sign(_read(file), user_id=user_id.encode())
    _write(out, signature, mode=0o644, force=force)


def verify(
    file: Annotated[str, typer.Argument(help="Signed file, or - for standard input.")],
    pub: Annotated[str, typer.Option("--pub", help="Signer's public key PEM.")],
    sig: Annotated[str, typer.Option("--sig", help="DER signature file.")],
    user_id: _UserId = _DEFAULT_ID,
) -> None:
    """Verify an SM2 signature over FILE; print OK or fail with the reason."""
    public = _load_public(pub)
    signature = _read(sig)
    public.verify(signature, _read(file), user_id=user_id.encode())
    typer.echo("OK")


def sm3_cmd(
    file: Annotated[str, typer.Argument(help="File to hash, or - for standard input.")],
) -> None:
    """Print the SM3 digest of FILE in hex (same as `openssl dgst -sm3`)."""
    hasher = SM3Hasher()
    try:
        fh = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InputFileError(file, exc.strerror or type(exc).__name__) from None
    with fh:
        while chunk := fh.read(_CHUNK):
            hasher.update(chunk)
    typer.echo(hasher.hexdigest())


def register(app: typer.Typer) -> None:
    """Add the crypto commands to the ``quancheng`` application."""
    keys_app = typer.Typer(help="SM2 key pairs.", no_args_is_help=True)
    keys_app.command("new")(keys_new)
    keys_app.command("show")(keys_show)
    app.add_typer(keys_app, name="keys")
    app.command("sign")(sign)
    app.command("verify")(verify)
    app.command("sm3")(sm3_cmd)
