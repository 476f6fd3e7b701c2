"""The development CA: what it issues, checked with cryptography and with OpenSSL's CLI."""

from __future__ import annotations

import ipaddress
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from quancheng.tls import TlsConfigError, channel_of_certificate
from quancheng_appkit.devca import LEAF_VALIDITY, DevCa
from tests.transport.conftest import MEMBERS


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _eku(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def _openssl_verify(ca: Path, cert: Path, purpose: str) -> subprocess.CompletedProcess[str]:
    command = ["openssl", "verify", "-CAfile", str(ca), "-purpose", purpose, str(cert)]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.suffix != ".lock"}


def test_the_ca_writes_pem_files_with_private_keys_readable_by_the_owner_only(
    dev_ca: DevCa,
) -> None:
    names = {p.name for p in dev_ca.directory.iterdir() if not p.name.startswith(".")}
    clients = {f"client-{code}{ext}" for code in MEMBERS for ext in (".pem", ".key")}
    assert names == {"ca.pem", "ca.key", "server.pem", "server.key", *clients}
    for path in dev_ca.directory.glob("*.key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(dev_ca.directory.stat().st_mode) == 0o700
    assert dev_ca.client_codes() == sorted(MEMBERS)


def test_the_server_certificate_is_for_the_loopback_names_only(dev_ca: DevCa) -> None:
    cert = _cert(dev_ca.server_cert_file)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"localhost"}
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert _eku(cert) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= LEAF_VALIDITY + timedelta(
        minutes=5
    )


def test_a_client_certificate_names_its_member_and_serves_clients_only(dev_ca: DevCa) -> None:
    tls = dev_ca.client("bank.quancheng")
    assert tls.cert_file is not None
    cert = _cert(tls.cert_file)
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert [a.value for a in cn] == ["bank.quancheng"]
    assert _eku(cert) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert cert.issuer == _cert(dev_ca.ca_file).subject
    assert tls.channel == channel_of_certificate(tls.cert_file.read_bytes())
    assert (tls.ca_file, dev_ca.anonymous().cert_file) == (dev_ca.ca_file, None)


def test_openssl_verifies_each_certificate_for_its_purpose_only(
    dev_ca: DevCa, other_ca: DevCa
) -> None:
    client = dev_ca.directory / "client-ins.qilu.pem"
    ok = _openssl_verify(dev_ca.ca_file, dev_ca.server_cert_file, "sslserver")
    assert (ok.returncode, ok.stdout.strip()) == (0, f"{dev_ca.server_cert_file}: OK")
    assert _openssl_verify(dev_ca.ca_file, client, "sslclient").returncode == 0
    assert _openssl_verify(dev_ca.ca_file, client, "sslserver").returncode != 0
    assert _openssl_verify(dev_ca.ca_file, dev_ca.server_cert_file, "sslclient").returncode != 0
    foreign = _openssl_verify(other_ca.ca_file, dev_ca.server_cert_file, "sslserver")
    assert foreign.returncode != 0 and "unable to get local issuer certificate" in foreign.stderr


def test_ensure_reuses_the_ca_and_its_certificates_and_adds_missing_clients(
    tls_dir: Path,
) -> None:
    first = DevCa.ensure(tls_dir, ["bank.quancheng"])
    before = _files(tls_dir)
    again = DevCa.ensure(tls_dir, ["bank.quancheng", "audit.jinan"])
    after = _files(tls_dir)
    assert {k: v for k, v in after.items() if "audit.jinan" not in k} == before
    assert again.client_codes() == ["audit.jinan", "bank.quancheng"]
    first.client("jinan.vmo")  # issued on demand
    assert DevCa.ensure(tls_dir).client_codes() == ["audit.jinan", "bank.quancheng", "jinan.vmo"]


def test_expiring_certificates_are_renewed_with_their_keys_under_the_same_ca(
    tls_dir: Path,
) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ca = DevCa.ensure(tls_dir, ["bank.quancheng"], clock=lambda: now)
    channel = ca.client("bank.quancheng").channel
    old_server, ca_pem = _cert(ca.server_cert_file), ca.ca_file.read_bytes()
    later = now + LEAF_VALIDITY - timedelta(days=10)  # within the renewal margin
    renewed = DevCa.ensure(tls_dir, clock=lambda: later)
    assert renewed.ca_file.read_bytes() == ca_pem
    server = _cert(renewed.server_cert_file)
    assert server.serial_number != old_server.serial_number
    assert server.public_key() == old_server.public_key()
    assert server.not_valid_after_utc > later + timedelta(days=300)
    assert DevCa.ensure(tls_dir, clock=lambda: later).client("bank.quancheng").channel == channel


def test_a_lost_ca_key_gives_a_new_ca_and_every_certificate_is_reissued(tls_dir: Path) -> None:
    ca = DevCa.ensure(tls_dir, ["bank.quancheng"])
    old_ca = ca.ca_file.read_bytes()
    (tls_dir / "ca.key").unlink()
    fresh = DevCa.ensure(tls_dir)
    assert fresh.ca_file.read_bytes() != old_ca
    for cert in (fresh.server_cert_file, tls_dir / "client-bank.quancheng.pem"):
        assert _openssl_verify(fresh.ca_file, cert, "any").returncode == 0, cert


@pytest.mark.parametrize("code", ["../etc", "Bank", "", "a/b"])
def test_a_code_that_is_not_a_consortium_code_is_refused(tls_dir: Path, code: str) -> None:
    with pytest.raises(TlsConfigError, match=r"is not a consortium code \(a-z, 0-9"):
        DevCa.ensure(tls_dir, [code])


def test_the_cli_makes_the_ca_and_prints_its_files(tls_dir: Path) -> None:
    command = [sys.executable, "-m", "quancheng_appkit.devca", str(tls_dir), "--client", "x.y"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.splitlines() == [
        f"CA certificate       {tls_dir / 'ca.pem'}",
        f"server certificate   {tls_dir / 'server.pem'}",
        f"server key           {tls_dir / 'server.key'}",
        f"client x.y  {tls_dir / 'client-x.y.pem'}  {tls_dir / 'client-x.y.key'}",
    ]
    refused = subprocess.run([*command[:-1], "X"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "'X' is not a consortium code" in refused.stderr
