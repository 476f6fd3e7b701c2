"""TLS as a client of this project sees it: whom to trust, which certificate to present.

Every party speaks HTTPS outside development. A client holds a :class:`TlsConfig`:

- ``ca_file``: the trust anchors for servers (the consortium's CA bundle);
- ``cert_file`` / ``key_file``: the member's own TLS certificate and key, presented to
  gateways (mutual TLS). Browsers and anonymous readers have none.

A member's TLS key is bound to its on-chain identity by the member itself: every query names
its **channel** — ``0x`` + SM3 of the certificate's SubjectPublicKeyInfo (DER) — inside the
document it signs with its registered SM2 key. A gateway answers a query only on a connection
whose client certificate has that channel, so a captured request is worthless on any other
connection, and a CA that issued a certificate to somebody else has not helped them: the CA
authenticates the transport, the chain the member.

The TLS itself is the platform's OpenSSL (TLS 1.2/1.3 with ECDHE and AES-GCM or ChaCha20;
the development CA issues ECDSA P-256 certificates). Where 国密 TLS (TLCP, GB/T 38636, or
RFC 8998 suites) is required, a terminating proxy that speaks it (Tongsuo-based, e.g.
Tongsuo's ``s_server`` or an NGINX built against Tongsuo) sits in front; see
``docs/deployment.md``.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from quancheng.crypto import sm3
from quancheng.errors import ConfigError

__all__ = [
    "LOOPBACK_HOSTS",
    "TlsConfig",
    "TlsConfigError",
    "channel_of_certificate",
    "is_loopback",
]

#: Hosts a development server may serve in plain HTTP.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class TlsConfigError(ConfigError):
    """A TLS file is missing or unreadable, or a key does not match its certificate."""

    code = "TLS_CONFIG_ERROR"


def is_loopback(host: str) -> bool:
    """True for the loopback addresses plain HTTP is allowed on (development only)."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def channel_of_certificate(cert: bytes) -> str:
    """The channel a certificate opens: ``0x`` + SM3 of its SubjectPublicKeyInfo (DER).

    ``cert`` is DER or PEM. The public key, not the certificate, is hashed: a renewed
    certificate for the same key keeps its channel.

    Raises:
        TlsConfigError: ``cert`` is not a certificate.
    """
    try:
        parsed = (
            x509.load_pem_x509_certificate(cert)
            if cert.lstrip().startswith(b"-----")
            else x509.load_der_x509_certificate(cert)
        )
    except ValueError as exc:
        raise TlsConfigError(f"not an X.509 certificate: {exc}") from exc
    spki = parsed.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return "0x" + sm3(spki).hex()


@dataclass(frozen=True)
class TlsConfig:
    """What a client trusts and presents.

    Attributes:
        ca_file: PEM bundle of the CAs that sign servers' certificates.
        cert_file: The client's certificate (PEM), for mutual TLS; None when anonymous.
        key_file: Its private key (PEM, unencrypted); required with ``cert_file``.
    """

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None

    def __post_init__(self) -> None:
        if (self.cert_file is None) != (self.key_file is None):
            raise TlsConfigError("a client certificate needs its key, and a key its certificate")

    def ssl_context(self) -> ssl.SSLContext:
        """A client context (built once): server verified against ``ca_file`` only (not the
        platform's trust store), hostname checked, TLS 1.2 at least.

        Raises:
            TlsConfigError: A file is missing, unreadable, or the key does not match.
        """
        return self._built_context

    @cached_property
    def _built_context(self) -> ssl.SSLContext:
        try:
            # With a cafile, the platform's public CAs are not loaded: a gateway's certificate
            # must come from the consortium's CA, not from any CA on the internet.
            context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_file)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            if self.cert_file is not None:
                context.load_cert_chain(str(self.cert_file), str(self.key_file))
        except (OSError, ssl.SSLError) as exc:
            raise TlsConfigError(f"cannot load TLS files: {exc}") from exc
        return context

    @cached_property
    def channel(self) -> str | None:
        """The channel of the client certificate (see :func:`channel_of_certificate`)."""
        if self.cert_file is None:
            return None
        try:
            return channel_of_certificate(self.cert_file.read_bytes())
        except OSError as exc:
            raise TlsConfigError(f"cannot read {self.cert_file}: {exc}") from exc
