"""泉城链 (Quancheng Chain) SDK: national cryptography, chain client, gateway client, wallet, verifier."""

from quancheng.errors import (
    ChainError,
    ConfigError,
    CryptoError,
    GatewayError,
    GrantError,
    QuanchengError,
)

__version__ = "0.1.0"

__all__ = [
    "ChainError",
    "ConfigError",
    "CryptoError",
    "GatewayError",
    "GrantError",
    "QuanchengError",
    "__version__",
]
