"""SM2 verification in bulk: parsed keys cached, large batches spread over every core.

An SM2 verification is an elliptic-curve double multiplication (about 0.25 ms here); the
auditor has thousands. :func:`verify_many` verifies ``(key, message, signature)`` triples and
returns one boolean each: below ``parallel_from`` items it runs in this process, above it
splits the work into chunks for a pool of worker processes (fork), each with its own key
cache. A malformed key or signature is simply ``False``.
"""

from __future__ import annotations

import base64
import binascii
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from quancheng.crypto import InvalidKey, InvalidSignature, SM2PublicKey

__all__ = ["Item", "verify_many", "verify_one"]

#: (65-byte public key, signed message, DER signature or its base64).
Item = tuple[bytes, bytes, bytes | str]

_KEYS: dict[bytes, SM2PublicKey | None] = {}


def _key(raw: bytes) -> SM2PublicKey | None:
    if raw not in _KEYS:
        try:
            _KEYS[raw] = SM2PublicKey.from_bytes(raw)
        except (InvalidKey, ValueError):
            _KEYS[raw] = None
    return _KEYS[raw]


def verify_one(key: bytes, message: bytes, signature: bytes | str) -> bool:
    """True when ``signature`` (DER, or base64 DER) over ``message`` verifies with ``key``."""
    public = _key(bytes(key))
    if public is None:
        return False
    try:
        der = (
            base64.b64decode(signature, validate=True) if isinstance(signature, str) else signature
        )
        public.verify(der, message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def _chunk(items: Sequence[Item]) -> list[bool]:
    return [verify_one(k, m, s) for k, m, s in items]


def verify_many(
    items: Sequence[Item], *, workers: int | None = None, parallel_from: int = 2000
) -> list[bool]:
    """Verify every item; the result list is in the items' order.

    Args:
        items: ``(key, message, signature)`` triples.
        workers: Worker processes (default: the CPUs this process may use).
        parallel_from: Fewer items than this are verified here, without a pool.
    """
    workers = workers or len(os.sched_getaffinity(0))
    if len(items) < parallel_from or workers < 2:
        return _chunk(items)
    size = max(250, -(-len(items) // (workers * 4)))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results: list[bool] = []
        for part in pool.map(_chunk, chunks):
            results.extend(part)
    return results
