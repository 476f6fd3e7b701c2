"""Node keys of the Besu nodes: secp256k1, their addresses and enode ids.

A node's key identifies it on the p2p network (its enode id is the uncompressed public key
without the ``0x04`` prefix) and, for a validator, is the key that seals blocks (its address
is the validator address in the QBFT ``extraData``). Keys are fresh random ones by default;
with a seed they are derived deterministically (for tests and reproducible examples only:
anyone who knows the seed knows the keys).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from eth_keys.datatypes import PrivateKey

__all__ = ["SECP256K1_ORDER", "NodeKey", "write_private"]

#: Order of the secp256k1 group: a private key is an integer in [1, n).
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_DERIVATION_TAG = b"quancheng-topology/node-key/v1"


@dataclass(frozen=True)
class NodeKey:
    """A node's secp256k1 key pair."""

    private: PrivateKey

    @classmethod
    def generate(cls) -> NodeKey:
        """A fresh key from the operating system's CSPRNG."""
        while True:
            scalar = int.from_bytes(secrets.token_bytes(32), "big")
            if 0 < scalar < SECP256K1_ORDER:
                return cls(PrivateKey(scalar.to_bytes(32, "big")))

    @classmethod
    def derive(cls, seed: str, label: str) -> NodeKey:
        """The key of ``label`` derived from ``seed`` (deterministic; never for production)."""
        counter = 0
        while True:
            digest = hashlib.sha256(
                b"\x00".join((_DERIVATION_TAG, seed.encode(), label.encode()))
                + counter.to_bytes(4, "big")
            ).digest()
            scalar = int.from_bytes(digest, "big")
            if 0 < scalar < SECP256K1_ORDER:
                return cls(PrivateKey(digest))
            counter += 1  # pragma: no cover - probability ~2^-128

    @classmethod
    def from_hex(cls, text: str) -> NodeKey:
        """A key from the hex text of a Besu ``key`` file."""
        return cls(PrivateKey(bytes.fromhex(text.strip().removeprefix("0x"))))

    @property
    def address(self) -> str:
        """The node's address (checksummed); a validator's address in ``extraData``."""
        return str(self.private.public_key.to_checksum_address())

    @property
    def enode_id(self) -> str:
        """The enode id: the 64-byte public key x ‖ y, in hex without prefix."""
        return bytes(self.private.public_key.to_bytes()).hex()

    def private_hex(self) -> str:
        """The private key as Besu writes its ``key`` file (``0x`` + 64 hex digits)."""
        return "0x" + bytes(self.private.to_bytes()).hex()

    def public_hex(self) -> str:
        """The public key as Besu writes ``key.pub`` (``0x`` + 128 hex digits)."""
        return "0x" + self.enode_id

    def enode_url(self, host: str, port: int) -> str:
        """The node's enode URL at ``host:port``."""
        return f"enode://{self.enode_id}@{host}:{port}"

    def __repr__(self) -> str:  # never print the private key
        return f"NodeKey(address={self.address})"


def write_private(path: Path, text: str) -> None:
    """Write a secret file readable by its owner only (0600), refusing to overwrite one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text)
    os.chmod(path, 0o600)  # the umask cannot widen it, but an inherited ACL could
