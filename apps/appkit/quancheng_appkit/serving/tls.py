"""TLS of a served app: its certificate, whom it asks for one, and what the app sees of it.

Every service speaks HTTPS: plain HTTP is served only on a loopback host in development or
test. :class:`TlsSettings` (which :class:`~quancheng_appkit.serving.ServerLimits` includes,
so each service reads them with its own prefix: ``QC_GW_TLS_CERT_FILE``,
``QC_PORTAL_TLS_KEY_FILE``, ...) names the files; :meth:`TlsSettings.uvicorn_options` checks
them when the server starts and turns them into uvicorn's options.

With ``tls_client_ca_file`` the server asks every client for a certificate and verifies one
that is presented against that bundle (a certificate that does not verify fails the
handshake); a client may also present none (``CERT_OPTIONAL``): the app decides which routes
need one, from :func:`peer_certificate`. The protocol puts the connection's TLS facts in
each request's scope as the ASGI TLS extension (:func:`connection_tls`).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from pydantic_settings import BaseSettings

from quancheng.tls import TlsConfigError, is_loopback

__all__ = [
    "SERVER_CIPHERS",
    "PlaintextRefused",
    "TlsFileMissing",
    "TlsSettings",
    "bounded_ssl_context",
    "connection_tls",
    "peer_certificate",
]

#: TLS 1.2 suites a server accepts: ECDHE key exchange, AEAD ciphers only (TLS 1.3's own
#: suites are all AEAD and are not affected by this list).
SERVER_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"
#: The ASGI extension's ``tls_version`` of each protocol name ``SSLObject.version()`` gives.
_TLS_VERSIONS = {"TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
#: OpenSSL cipher name → IANA cipher suite number, filled as suites are first seen.
_CIPHER_SUITES: dict[str, int] = {}


class PlaintextRefused(TlsConfigError):
    """A server would serve plain HTTP where it must not: off loopback, or in production."""

    code = "PLAINTEXT_REFUSED"

    def __init__(self, *, host: str, environment: str, prefix: str) -> None:
        self.host, self.environment, self.prefix = host, environment, prefix
        super().__init__(
            f"plain HTTP is served only on a loopback host in development or test, not on "
            f"{host!r} in {environment}: set {prefix}TLS_CERT_FILE and {prefix}TLS_KEY_FILE"
        )


class TlsFileMissing(TlsConfigError):
    """A TLS file a setting names does not exist."""

    code = "TLS_FILE_MISSING"

    def __init__(self, setting: str, path: Path) -> None:
        self.setting, self.path = setting, path
        super().__init__(f"{setting}: no such file {path}")


class TlsSettings(BaseSettings):
    """The server's TLS files; the subclass names the environment prefix.

    ``environment`` and ``host`` are the service's own (each service declares them too):
    they decide whether plain HTTP is allowed.
    """

    environment: Literal["development", "test", "production"] = "production"
    host: str = "127.0.0.1"
    #: The server's certificate chain (PEM: its certificate first, then intermediates).
    tls_cert_file: Path | None = None
    #: Its private key (PEM, unencrypted; readable by the service's user only).
    tls_key_file: Path | None = None
    #: CA bundle (PEM) of the clients' certificates: when set the server asks each client
    #: for one and verifies it if presented (the app decides which routes require one).
    tls_client_ca_file: Path | None = None

    @property
    def serves_tls(self) -> bool:
        """True when the server speaks HTTPS."""
        return self.tls_cert_file is not None

    def uvicorn_options(self, host: str | None = None) -> dict[str, Any]:
        """uvicorn's ``ssl_*`` options for these settings ({} for plain HTTP), checked.

        Args:
            host: The host the server binds (default: the settings' ``host``).

        Raises:
            PlaintextRefused: No certificate, and the host is not loopback or the
                environment is production.
            TlsFileMissing: A file named does not exist.
            TlsConfigError: A certificate without its key (or the reverse), a client CA
                without a certificate, or files that do not load (a key that does not match
                its certificate, a file that is not PEM).
        """
        prefix = str(self.model_config.get("env_prefix", "")).upper()
        bound = self.host if host is None else host
        cert, key, client_ca = self.tls_cert_file, self.tls_key_file, self.tls_client_ca_file
        if cert is None and key is None:
            if client_ca is not None:
                raise TlsConfigError(
                    f"{prefix}TLS_CLIENT_CA_FILE needs {prefix}TLS_CERT_FILE and "
                    f"{prefix}TLS_KEY_FILE: client certificates are asked for over TLS only"
                )
            if self.environment == "production" or not is_loopback(bound):
                raise PlaintextRefused(host=bound, environment=self.environment, prefix=prefix)
            return {}
        if cert is None or key is None:
            raise TlsConfigError(f"set both {prefix}TLS_CERT_FILE and {prefix}TLS_KEY_FILE")
        for name, path in (("CERT", cert), ("KEY", key), ("CLIENT_CA", client_ca)):
            if path is not None and not path.is_file():
                raise TlsFileMissing(f"{prefix}TLS_{name}_FILE", path)
        _check_loadable(cert, key, client_ca, prefix)
        return {
            "ssl_certfile": str(cert),
            "ssl_keyfile": str(key),
            "ssl_ca_certs": None if client_ca is None else str(client_ca),
            "ssl_cert_reqs": ssl.CERT_NONE if client_ca is None else ssl.CERT_OPTIONAL,
            "ssl_ciphers": SERVER_CIPHERS,
            "ssl_context_factory": bounded_ssl_context,
        }


def _check_loadable(cert: Path, key: Path, client_ca: Path | None, prefix: str) -> None:
    """Load the files once at start, so that a bad one is named before any worker starts."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(
            f"{prefix}TLS_CERT_FILE / {prefix}TLS_KEY_FILE: {cert} and {key} do not load as a "
            f"certificate and its key ({exc})"
        ) from exc
    if client_ca is not None:
        try:
            context.load_verify_locations(client_ca)
        except (OSError, ssl.SSLError) as exc:
            raise TlsConfigError(
                f"{prefix}TLS_CLIENT_CA_FILE: {client_ca} is not a PEM CA bundle ({exc})"
            ) from exc


def bounded_ssl_context(config: Any, default: Any) -> ssl.SSLContext:
    """uvicorn's ``ssl_context_factory``: its context from the ``ssl_*`` options, TLS ≥ 1.2.

    Module-level, so that a config carrying it pickles to worker processes.
    """
    context: ssl.SSLContext = default()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connection_tls(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> dict[str, Any] | None:
    """The ASGI TLS extension of a connection (None for plain HTTP).

    ``client_cert_chain`` holds the client's certificate (PEM) when it presented one: the
    server verified it (a certificate that does not verify fails the handshake). Python
    gives the peer's own certificate only, not the intermediates it sent.
    """
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    cipher = ssl_object.cipher()
    version = ssl_object.version()
    return {
        "server_cert": None,
        "client_cert_chain": [] if der is None else [ssl.DER_cert_to_PEM_cert(der)],
        "client_cert_name": None if der is None else _subject(der),
        "client_cert_error": None,
        "tls_version": None if version is None else _TLS_VERSIONS.get(version),
        "cipher_suite": None if cipher is None else _cipher_suite(ssl_object, cipher[0]),
    }


def peer_certificate(scope: Mapping[str, Any]) -> bytes | None:
    """The DER of the verified client certificate of the request's connection.

    None on plain HTTP, when the client presented no certificate, or when the server reported
    an error verifying it.
    """
    extensions = scope.get("extensions") or {}
    tls = extensions.get("tls")
    if not tls or tls.get("client_cert_error") is not None:
        return None
    chain = tls.get("client_cert_chain") or ()
    first = next(iter(chain), None)
    return None if first is None else ssl.PEM_cert_to_DER_cert(first)


def _subject(der: bytes) -> str | None:
    try:
        return x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except ValueError:  # OpenSSL accepted it; a name cryptography cannot parse is left out
        return None


def _cipher_suite(ssl_object: ssl.SSLObject | ssl.SSLSocket, name: str) -> int | None:
    if name not in _CIPHER_SUITES:
        for cipher in ssl_object.context.get_ciphers():
            _CIPHER_SUITES[str(cipher["name"])] = int(cipher["id"]) & 0xFFFF
    return _CIPHER_SUITES.get(name)
