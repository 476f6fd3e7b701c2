"""Seed derivation: every entity and every facet of it draws from its own stream.

Person #i's records depend only on (seed, "person", i, facet), never on how many people
came before it or on which table is generated first, so any chunk of any table can be
generated alone and still match a full run byte for byte.  Digests are SHA-256, never
Python's salted ``hash()``; the streams are ``random.Random`` seeded with an int, whose
sequence CPython keeps stable across versions.  Only ``random()`` is drawn, and only
exact float arithmetic (no ``log``/``exp`` from the platform's libm) turns draws into
values, so output is identical on every machine.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect
from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

_DOMAIN = b"quancheng-datagen/v1"


def derive_int(seed: int, *labels: str | int, bits: int = 128) -> int:
    """A stable ``bits``-bit integer derived from the seed and a path of labels."""
    h = hashlib.sha256(_DOMAIN)
    for part in (seed, *labels):
        h.update(b"\x1f" + str(part).encode())
    return int.from_bytes(h.digest()[: bits // 8], "big")


class StreamFactory:
    """Independent ``random.Random`` streams for the entities of one kind and facet."""

    __slots__ = ("_prefix",)

    def __init__(self, seed: int, kind: str, facet: str) -> None:
        self._prefix = hashlib.sha256(_DOMAIN)
        for part in (str(seed), kind, facet):
            self._prefix.update(b"\x1f" + part.encode())
        self._prefix.update(b"\x1f")

    def digest(self, index: int) -> bytes:
        """32 stable bytes for entity ``index`` (cheap: one SHA-256)."""
        h = self._prefix.copy()
        h.update(index.to_bytes(8, "big"))
        return h.digest()

    def __call__(self, index: int) -> random.Random:
        return random.Random(int.from_bytes(self.digest(index)[:16], "big"))


class Weighted(Generic[T]):
    """A weighted choice by bisection on cumulative weights (``pick(rng.random())``)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items: tuple[T, ...] = tuple(item for item, _ in pairs)
        cum: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            cum.append(total)
        self.cum = cum
        self.total = total

    def pick(self, u: float) -> T:
        """The item whose cumulative-weight interval holds ``u`` (0 <= u < 1)."""
        return self.items[bisect(self.cum, u * self.total)]


_M1, _M2, _M3 = 0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D  # odd, so multiplication is a bijection


class IndexPermutation:
    """A keyed bijection of ``range(n)`` (xor / odd multiply / xorshift, cycle-walking).

    Used to hand out identifiers that must be unique (resident ID slots, plates,
    organisation codes) without any coordination between entities.
    """

    __slots__ = ("_keys", "_mask", "_shift", "n")

    def __init__(self, n: int, seed: int, label: str) -> None:
        if n < 2:
            raise ValueError("a permutation needs a domain of at least 2")
        bits = (n - 1).bit_length()
        self.n = n
        self._mask = (1 << bits) - 1
        self._shift = max(1, bits // 2)
        self._keys = tuple(
            derive_int(seed, "perm", label, r, bits=64) & self._mask for r in range(3)
        )

    def __call__(self, index: int) -> int:
        if not 0 <= index < self.n:
            raise IndexError(f"index {index} outside the permutation domain {self.n}")
        mask, shift, (k1, k2, k3) = self._mask, self._shift, self._keys
        x = index
        while True:
            x = ((x ^ k1) * _M1) & mask
            x ^= x >> shift
            x = ((x ^ k2) * _M2) & mask
            x ^= x >> shift
            x = ((x ^ k3) * _M3) & mask
            x ^= x >> shift
            if x < self.n:
                return x


def scramble(index: int, modulus: int) -> int:
    """A fixed bijection of ``range(modulus)`` for record numbers (any modulus coprime to 7919)."""
    return (index * 7919 + 104_729) % modulus
