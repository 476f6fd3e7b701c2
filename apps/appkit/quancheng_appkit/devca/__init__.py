"""A development CA, made on the fly: one server certificate for every local server, and one
client certificate per member. **Development and tests only.**

A deployment's certificates come from its own CA (docs/deployment.md, "Certificates and
TLS"): here the CA's key lies unencrypted beside the certificates it signs.

:meth:`DevCa.ensure` makes, or reuses, in one directory (keys 0600, every file written
atomically; ECDSA P-256 keys, SHA-256 signatures)::

    ca.pem, ca.key                the CA: every party's trust anchor
    server.pem, server.key        the certificate of every development server
                                  (SAN localhost, 127.0.0.1, ::1; EKU serverAuth)
    client-<code>.pem, client-<code>.key
                                  a member's client certificate
                                  (subject CN = its consortium code; EKU clientAuth)

Certificates end in ``.pem``, keys (PEM too, PKCS#8) in ``.key``.

An existing CA is kept while it is valid; a leaf is kept while the CA signed it and it is
valid for another 30 days, and renewed with the same key otherwise (a member's channel,
the hash of its public key, survives a renewal). From the shell::

    python -m quancheng_appkit.devca DIR [--client CODE ...]
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from quancheng.tls import TlsConfig, TlsConfigError
from quancheng_appkit.devca._files import Key, load_key, load_pair, locked, write_pair

__all__ = ["CA_VALIDITY", "LEAF_VALIDITY", "RENEW_BEFORE", "SERVER_SAN", "DevCa"]

CA_VALIDITY = timedelta(days=3650)
LEAF_VALIDITY = timedelta(days=397)
#: A certificate expiring sooner than this is renewed by :meth:`DevCa.ensure`.
RENEW_BEFORE = timedelta(days=30)
#: The names the development server certificate is valid for.
SERVER_SAN: tuple[x509.GeneralName, ...] = (
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    x509.IPAddress(ipaddress.ip_address("::1")),
)
_ORGANIZATION = "Quancheng Chain (development only)"
_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_CLIENT_FILE = re.compile(r"^client-(?P<code>.+)\.pem$")

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DevCa:
    """The development CA of one directory; make it with :meth:`ensure`."""

    def __init__(self, directory: Path, ca: x509.Certificate, ca_key: Key, clock: Clock) -> None:
        self.directory = directory
        self._ca, self._ca_key, self._clock = ca, ca_key, clock

    @classmethod
    def ensure(
        cls, directory: Path, clients: Iterable[str] = (), *, clock: Clock = _utc_now
    ) -> DevCa:
        """The CA of ``directory`` with a valid server certificate and client certificates for
        ``clients`` (and for every member that already has one), made or renewed as needed.

        Args:
            directory: Where the PEM files are (created 0700 if missing).
            clients: Consortium codes that need a client certificate.
            clock: The current time, for validity (injectable for tests).

        Raises:
            TlsConfigError: A code is not a consortium code.
        """
        wanted = [_checked_code(code) for code in clients]
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with locked(directory):
            ca = cls._valid_ca(directory, clock) or cls._new_ca(directory, clock)
            ca._issue_server()
            for code in dict.fromkeys([*ca.client_codes(), *wanted]):
                ca._issue_client(code)
        return ca

    # ------------------------------------------------------------------------ files
    @property
    def ca_file(self) -> Path:
        """The CA certificate (PEM): every party's trust anchor."""
        return self.directory / "ca.pem"

    @property
    def server_cert_file(self) -> Path:
        """The certificate of every development server (PEM)."""
        return self.directory / "server.pem"

    @property
    def server_key_file(self) -> Path:
        """Its private key (PEM, 0600)."""
        return self.directory / "server.key"

    def client_codes(self) -> list[str]:
        """The members that have a client certificate here, sorted."""
        found = (_CLIENT_FILE.match(path.name) for path in self.directory.glob("client-*.pem"))
        return sorted(m["code"] for m in found if m and _CODE.fullmatch(m["code"]))

    def client(self, code: str) -> TlsConfig:
        """``code``'s client TLS (its certificate issued now if it has none).

        Raises:
            TlsConfigError: ``code`` is not a consortium code.
        """
        _checked_code(code)
        with locked(self.directory):
            self._issue_client(code)
        return TlsConfig(self.ca_file, *self._client_files(code))

    def anonymous(self) -> TlsConfig:
        """TLS trusting this CA and presenting no certificate (a browser, a probe)."""
        return TlsConfig(self.ca_file)

    # ---------------------------------------------------------------------- the CA
    @classmethod
    def _valid_ca(cls, directory: Path, clock: Clock) -> DevCa | None:
        loaded = load_pair(directory / "ca.pem", directory / "ca.key")
        if loaded is None or not _fresh(loaded[0], clock()):
            return None
        constraints = loaded[0].extensions.get_extension_for_class(x509.BasicConstraints)
        return cls(directory, *loaded, clock) if constraints.value.ca else None

    @classmethod
    def _new_ca(cls, directory: Path, clock: Clock) -> DevCa:
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name("Quancheng Chain development CA")
        now = clock()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        write_pair(directory / "ca.pem", directory / "ca.key", cert, key)
        return cls(directory, cert, key, clock)

    # ---------------------------------------------------------------------- leaves
    def _issue_server(self) -> None:
        self._issue(self.server_cert_file, self.server_key_file, "localhost", server=True)

    def _issue_client(self, code: str) -> None:
        self._issue(*self._client_files(code), code, server=False)

    def _client_files(self, code: str) -> tuple[Path, Path]:
        return self.directory / f"client-{code}.pem", self.directory / f"client-{code}.key"

    def _issue(self, cert_file: Path, key_file: Path, name: str, *, server: bool) -> None:
        """Keep a usable leaf; else sign one (with its old key if that one is usable)."""
        now = self._clock()
        loaded = load_pair(cert_file, key_file)
        if loaded is not None and self._usable(loaded[0], name, now, server=server):
            return
        key = load_key(key_file) or ec.generate_private_key(ec.SECP256R1())
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(self._ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(min(now + LEAF_VALIDITY, self._ca.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._ca_key.public_key()),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName(SERVER_SAN), False)
        write_pair(cert_file, key_file, builder.sign(self._ca_key, hashes.SHA256()), key)

    def _usable(self, cert: x509.Certificate, name: str, now: datetime, *, server: bool) -> bool:
        """Signed by this CA, valid a while longer, and for ``name`` and its use."""
        try:
            cert.verify_directly_issued_by(self._ca)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return _fresh(cert, now) and _is_leaf_for(cert, name, server=server)


# --------------------------------------------------------------------------- helpers


def _checked_code(code: str) -> str:
    if not _CODE.fullmatch(code):
        raise TlsConfigError(f"{code!r} is not a consortium code (a-z, 0-9, '.', '_', '-')")
    return code


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])  # fmt: skip


def _is_leaf_for(cert: x509.Certificate, name: str, *, server: bool) -> bool:
    """True when ``cert`` names ``name``, has the right EKU and, for the server, the SAN."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if server:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            if set(san) != set(SERVER_SAN):
                return False
    except x509.ExtensionNotFound:
        return False
    wanted = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return list(usage) == [wanted] and [n.value for n in names] == [name]


def _fresh(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now and now + RENEW_BEFORE < cert.not_valid_after_utc


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
        crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )  # fmt: skip
