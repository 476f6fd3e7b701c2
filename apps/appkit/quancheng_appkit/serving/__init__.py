"""Serving an app of this project within bounds: what a client may make the server read.

- :mod:`.settings`: :class:`ServerLimits`, the settings every service includes;
- :mod:`.protocol`: the uvicorn protocol enforcing header and body deadlines, header caps
  and requests per connection (what uvicorn lacks and an ASGI middleware cannot see);
- :mod:`.asgi`: :class:`BodyLimit` (every route) and :class:`ClientConcurrencyLimit`;
- :mod:`.tls`: :class:`TlsSettings` (part of :class:`ServerLimits`), the ASGI TLS extension
  and :func:`peer_certificate`, the client certificate a request came with;
- :mod:`.run`: :func:`serve`, ``uvicorn.run`` with all of it applied;
- :mod:`.docs`: :func:`install_offline_docs`, ``/docs`` (Swagger UI) from the service itself.
"""

from quancheng_appkit.serving.asgi import BodyLimit, ClientConcurrencyLimit, limit_response
from quancheng_appkit.serving.docs import install_offline_docs
from quancheng_appkit.serving.protocol import BoundedConfig, BoundedHttpToolsProtocol
from quancheng_appkit.serving.run import bounded_config, serve
from quancheng_appkit.serving.settings import ConnectionLimits, ServerLimits
from quancheng_appkit.serving.tls import (
    PlaintextRefused,
    TlsFileMissing,
    TlsSettings,
    connection_tls,
    peer_certificate,
)

__all__ = [
    "BodyLimit",
    "BoundedConfig",
    "BoundedHttpToolsProtocol",
    "ClientConcurrencyLimit",
    "ConnectionLimits",
    "PlaintextRefused",
    "ServerLimits",
    "TlsFileMissing",
    "TlsSettings",
    "bounded_config",
    "connection_tls",
    "install_offline_docs",
    "limit_response",
    "peer_certificate",
    "serve",
]
