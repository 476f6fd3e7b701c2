"""The ``quancheng`` crypto commands, and their agreement with OpenSSL.

Most tests call the entry point function ``quancheng_cli.main:main`` in-process (the same
code the console script runs, with its error handling); the ones named ``*_real_cli``
and the OpenSSL interop tests run the installed ``quancheng`` executable.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from quancheng.crypto import SM2PrivateKey, SM2PublicKey, sm3
from quancheng_cli.main import main
from tests.utils.openssl import OpenSSL, find_openssl

QUANCHENG = str(Path(sys.executable).with_name("quancheng"))


@dataclass
class Result:
    """What a CLI run left behind."""

    returncode: int
    stdout: str
    stderr: str


Runner = Callable[..., Result]


def real_cli(
    *args: str | Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> Result:
    """Run the installed ``quancheng`` executable."""
    proc = subprocess.run(
        [QUANCHENG, *map(str, args)],
        input=stdin,
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Call the entry point in-process, with argv, stdin and environment like a shell would."""

    def invoke(
        *args: str | Path, stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["quancheng", *map(str, args)])
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin or b"")))
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return invoke


@pytest.fixture(scope="module")
def openssl() -> OpenSSL:
    found = find_openssl()
    if found is None:
        pytest.skip("needs the openssl 3 CLI")
    return found


@pytest.fixture
def keypair(tmp_path: Path, run: Runner) -> tuple[Path, Path]:
    priv, pub = tmp_path / "key.pem", tmp_path / "key.pub.pem"
    result = run("keys", "new", "--out", priv, "--pub-out", pub)
    assert result.returncode == 0, result.stderr
    return priv, pub


@pytest.fixture
def message(tmp_path: Path) -> Path:
    path = tmp_path / "grant.json"
    path.write_bytes('{"grant":"g-1","purpose":"理赔"}'.encode())
    return path


def test_keys_new_writes_a_private_key_only_its_owner_can_read(
    keypair: tuple[Path, Path],
) -> None:
    priv, pub = keypair
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    key = SM2PrivateKey.from_pem(priv.read_bytes())
    assert SM2PublicKey.from_pem(pub.read_bytes()) == key.public_key()


def test_keys_new_refuses_to_overwrite_without_force(
    keypair: tuple[Path, Path], run: Runner
) -> None:
    priv, pub = keypair
    before = priv.read_bytes()
    result = run("keys", "new", "--out", priv, "--pub-out", pub)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: OUTPUT_FILE_EXISTS: {priv} exists; use --force to overwrite"
    ]
    assert priv.read_bytes() == before


def test_keys_new_with_force_replaces_and_keeps_mode_0600(
    keypair: tuple[Path, Path], run: Runner
) -> None:
    priv, pub = keypair
    before = priv.read_bytes()
    priv.chmod(0o644)
    assert run("keys", "new", "--out", priv, "--pub-out", pub, "--force").returncode == 0
    assert priv.read_bytes() != before
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600


def test_keys_new_can_encrypt_the_key_with_a_passphrase_from_the_environment(
    tmp_path: Path, message: Path, run: Runner
) -> None:
    priv = tmp_path / "enc.pem"
    env = {"QC_PASS": "s3cret"}
    assert run("keys", "new", "--out", priv, "--password-env", "QC_PASS", env=env).returncode == 0
    assert priv.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    sig = tmp_path / "sig.der"
    assert run("sign", "--key", priv, "--out", sig, message).returncode == 1
    signed = run("sign", "--key", priv, "--out", sig, "--password-env", "QC_PASS", message, env=env)
    assert signed.returncode == 0, signed.stderr


def test_keys_show_prints_the_point_and_fingerprint(
    keypair: tuple[Path, Path], run: Runner
) -> None:
    priv, pub = keypair
    key = SM2PublicKey.from_pem(pub.read_bytes())
    for path in (pub, priv):
        result = run("keys", "show", path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [
            "public_key",
            key.to_bytes().hex(),
            "fingerprint",
            key.fingerprint(),
        ]


def test_sign_then_verify_prints_ok(
    tmp_path: Path, keypair: tuple[Path, Path], message: Path, run: Runner
) -> None:
    priv, pub = keypair
    sig = tmp_path / "sig.der"
    assert run("sign", "--key", priv, "--out", sig, message).returncode == 0
    result = run("verify", "--pub", pub, "--sig", sig, message)
    assert (result.returncode, result.stdout, result.stderr) == (0, "OK\n", "")


def test_sign_and_verify_read_standard_input(
    tmp_path: Path, keypair: tuple[Path, Path], message: Path, run: Runner
) -> None:
    priv, pub = keypair
    sig = tmp_path / "sig.der"
    assert run("sign", "--key", priv, "--out", sig, "-", stdin=message.read_bytes()).returncode == 0
    assert run("verify", "--pub", pub, "--sig", sig, message).stdout == "OK\n"
    assert (
        run("verify", "--pub", pub, "--sig", sig, "-", stdin=message.read_bytes()).returncode == 0
    )


def test_verify_of_a_changed_file_fails_with_a_one_line_reason(
    tmp_path: Path, keypair: tuple[Path, Path], message: Path, run: Runner
) -> None:
    priv, pub = keypair
    sig = tmp_path / "sig.der"
    run("sign", "--key", priv, "--out", sig, message)
    message.write_bytes(message.read_bytes() + b" ")
    result = run("verify", "--pub", pub, "--sig", sig, message)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == "error: INVALID_SIGNATURE: invalid SM2 signature: does not verify\n"


def test_verify_with_a_garbage_signature_file_fails_cleanly(
    tmp_path: Path, keypair: tuple[Path, Path], message: Path, run: Runner
) -> None:
    sig = tmp_path / "sig.der"
    sig.write_bytes(b"\x30\x03\x02\x01")
    result = run("verify", "--pub", keypair[1], "--sig", sig, message)
    assert result.returncode == 1
    assert result.stderr.startswith("error: INVALID_SIGNATURE: ")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("missing", ["pub", "sig", "file"])
def test_verify_with_a_missing_file_says_which(
    tmp_path: Path, keypair: tuple[Path, Path], message: Path, missing: str, run: Runner
) -> None:
    sig = tmp_path / "sig.der"
    run("sign", "--key", keypair[0], "--out", sig, message)
    paths = {"pub": keypair[1], "sig": sig, "file": message}
    paths[missing] = tmp_path / "nope"
    result = run("verify", "--pub", paths["pub"], "--sig", paths["sig"], paths["file"])
    assert result.returncode == 1
    assert result.stderr == (
        f"error: INPUT_FILE_UNREADABLE: cannot read {tmp_path / 'nope'}: "
        "No such file or directory\n"
    )


def test_verify_with_an_unreadable_key_fails_cleanly(
    tmp_path: Path, keypair: tuple[Path, Path], message: Path, run: Runner
) -> None:
    sig = tmp_path / "sig.der"
    run("sign", "--key", keypair[0], "--out", sig, message)
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    result = run("verify", "--pub", bad, "--sig", sig, message)
    assert result.returncode == 1
    assert result.stderr.startswith("error: INVALID_KEY: ")


def test_user_id_must_match_between_sign_and_verify(
    tmp_path: Path, keypair: tuple[Path, Path], message: Path, run: Runner
) -> None:
    priv, pub = keypair
    sig = tmp_path / "sig.der"
    run("sign", "--key", priv, "--out", sig, "--user-id", "ALICE123@YAHOO.COM", message)
    with_id = run("verify", "--pub", pub, "--sig", sig, "--user-id", "ALICE123@YAHOO.COM", message)
    assert with_id.returncode == 0
    assert run("verify", "--pub", pub, "--sig", sig, message).returncode == 1


def test_sm3_prints_the_hex_digest_of_a_file_or_stdin(message: Path, run: Runner) -> None:
    expected = sm3(message.read_bytes()).hex() + "\n"
    assert run("sm3", message).stdout == expected
    assert run("sm3", "-", stdin=message.read_bytes()).stdout == expected


@pytest.mark.openssl
@pytest.mark.parametrize("user_id", ["1234567812345678", "ALICE123@YAHOO.COM"])
def test_openssl_signature_verifies_with_quancheng_verify(
    tmp_path: Path, openssl: OpenSSL, message: Path, user_id: str
) -> None:
    priv = openssl.genpkey_sm2(tmp_path / "o.pem")
    pub = openssl.pubout(priv, tmp_path / "o.pub.pem")
    sig = openssl.sign(priv, message, tmp_path / "o.sig", distid=user_id.encode())
    result = real_cli(
        "verify", "--pub", pub, "--sig", tmp_path / "o.sig", "--user-id", user_id, message
    )
    assert (result.returncode, result.stdout) == (0, "OK\n"), result.stderr
    assert sig


@pytest.mark.openssl
@pytest.mark.parametrize("user_id", ["1234567812345678", "ALICE123@YAHOO.COM"])
def test_quancheng_signature_verifies_with_openssl(
    tmp_path: Path, openssl: OpenSSL, keypair: tuple[Path, Path], message: Path, user_id: str
) -> None:
    priv, pub = keypair
    sig = tmp_path / "q.sig"
    assert (
        real_cli("sign", "--key", priv, "--out", sig, "--user-id", user_id, message).returncode == 0
    )
    assert openssl.verify(pub, message, sig, distid=user_id.encode())


@pytest.mark.openssl
def test_quancheng_sm3_matches_openssl_dgst(openssl: OpenSSL, message: Path) -> None:
    out = openssl.run("dgst", "-sm3", "-r", message).stdout.split()[0].decode()
    assert real_cli("sm3", message).stdout.strip() == out


def test_keys_new_sign_and_verify_real_cli(tmp_path: Path, message: Path) -> None:
    priv, pub, sig = tmp_path / "k.pem", tmp_path / "k.pub.pem", tmp_path / "k.sig"
    created = real_cli("keys", "new", "--out", priv, "--pub-out", pub)
    assert created.returncode == 0, created.stderr
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    assert real_cli("sign", "--key", priv, "--out", sig, message).returncode == 0
    result = real_cli("verify", "--pub", pub, "--sig", sig, "-", stdin=message.read_bytes())
    assert (result.returncode, result.stdout, result.stderr) == (0, "OK\n", "")


def test_bad_signature_exits_1_with_one_line_on_stderr_real_cli(
    tmp_path: Path, message: Path
) -> None:
    key = SM2PrivateKey.generate()
    pub = tmp_path / "pub.pem"
    pub.write_bytes(key.public_key().to_pem())
    sig = tmp_path / "sig"
    sig.write_bytes(key.sign(b"something else"))
    result = real_cli("verify", "--pub", pub, "--sig", sig, message)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "error: INVALID_SIGNATURE: invalid SM2 signature: does not verify\n"


def test_sign_refuses_to_overwrite_a_signature_without_force(
    tmp_path: Path, keypair: tuple[Path, Path], message: Path, run: Runner
) -> None:
    sig = tmp_path / "sig.der"
    sig.write_bytes(b"keep me")
    result = run("sign", "--key", keypair[0], "--out", sig, message)
    assert (result.returncode, sig.read_bytes()) == (1, b"keep me")
    assert result.stderr.startswith("error: OUTPUT_FILE_EXISTS: ")
    assert run("sign", "--key", keypair[0], "--out", sig, "--force", message).returncode == 0
    assert run("verify", "--pub", keypair[1], "--sig", sig, message).stdout == "OK\n"
