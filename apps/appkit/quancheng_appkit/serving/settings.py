"""The bounds of what a server reads from its clients, as settings every service includes.

``GatewaySettings`` and ``PortalSettings`` inherit :class:`ServerLimits`, so each limit is a
variable of the service's own prefix (``QC_GW_HEADER_TIMEOUT_S``, ``QC_PORTAL_MAX_BODY_BYTES``),
and so are its TLS files (:class:`~quancheng_appkit.serving.tls.TlsSettings`:
``QC_GW_TLS_CERT_FILE``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from quancheng_appkit.serving.tls import TlsSettings

__all__ = ["ConnectionLimits", "ServerLimits"]


@dataclass(frozen=True)
class ConnectionLimits:
    """What one connection may cost the server (read by the uvicorn protocol).

    Attributes:
        header_timeout_s: From a connection's opening, or a request's first byte, to the
            end of its headers.
        body_timeout_s: From the end of a request's headers to the end of its body.
        max_header_bytes: Request line and headers, in bytes.
        max_header_count: Header fields in one request.
        max_requests_per_connection: Requests served on one keep-alive connection.
    """

    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    max_header_bytes: int = 16 * 1024
    max_header_count: int = 100
    max_requests_per_connection: int = 1000


class ServerLimits(TlsSettings):
    """Bounds of every served app, and its TLS; the subclass names the environment prefix."""

    #: Seconds to receive a request's headers (from the connection's opening or the
    #: request's first byte); a connection that sends nothing is closed after as long.
    header_timeout_s: float = Field(default=10.0, gt=0)
    #: Seconds to receive a request's body once its headers are in.
    body_timeout_s: float = Field(default=30.0, gt=0)
    #: Request line and headers, in bytes (431 beyond).
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    #: Header fields in one request (431 beyond).
    max_header_count: int = Field(default=100, ge=8)
    #: A request body, in bytes, on every route (413 beyond).
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    #: Seconds an idle keep-alive connection is kept (uvicorn's ``timeout_keep_alive``).
    keep_alive_timeout_s: int = Field(default=5, ge=1)
    #: Requests on one connection; the last answer says ``connection: close``.
    max_requests_per_connection: int = Field(default=1000, ge=1)
    #: Connections and requests in flight per process (uvicorn's ``limit_concurrency``, 503).
    max_connections: int = Field(default=1000, ge=1)
    #: Requests in flight from one client address per process (429 beyond).
    max_requests_per_client: int = Field(default=32, ge=1)
    #: Peers whose ``X-Forwarded-For`` names the client (uvicorn's ``forwarded_allow_ips``).
    forwarded_allow_ips: str = "127.0.0.1"

    def connection_limits(self) -> ConnectionLimits:
        """The per-connection part, for :class:`~quancheng_appkit.serving.BoundedConfig`."""
        return ConnectionLimits(
            header_timeout_s=self.header_timeout_s,
            body_timeout_s=self.body_timeout_s,
            max_header_bytes=self.max_header_bytes,
            max_header_count=self.max_header_count,
            max_requests_per_connection=self.max_requests_per_connection,
        )
