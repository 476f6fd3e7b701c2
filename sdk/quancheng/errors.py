"""The one exception tree of the project.

Every error the SDK, the node tooling and the gateways raise derives from
:class:`QuanchengError`, through a few area bases, so a caller can catch as broadly
or as narrowly as it needs.  Leaf errors build their message from typed fields.
"""

from __future__ import annotations


class QuanchengError(Exception):
    """Root of every error raised by this project."""

    #: A stable, machine-readable code (used on the wire by gateways and the CLI).
    code: str = "QUANCHENG_ERROR"


class ConfigError(QuanchengError):
    """A setting, a file or an argument is missing or wrong."""

    code = "CONFIG_ERROR"


class CryptoError(QuanchengError):
    """A cryptographic operation failed or its input was malformed."""

    code = "CRYPTO_ERROR"


class ChainError(QuanchengError):
    """The chain refused, reverted or could not be reached."""

    code = "CHAIN_ERROR"


class GatewayError(QuanchengError):
    """A gateway refused a request or answered something that does not verify."""

    code = "GATEWAY_ERROR"


class GrantError(QuanchengError):
    """An authorization grant is missing, malformed, or does not allow the use."""

    code = "GRANT_ERROR"
