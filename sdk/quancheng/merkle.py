"""Merkle trees of receipts, as RFC 6962 / RFC 9162 define them, with SM3.

leaf = H(0x00 ‖ entry), node = H(0x01 ‖ left ‖ right), the tree of n leaves splits at the
largest power of two below n, and the empty tree's root is H(""). Inclusion proofs show that
a receipt is in an anchored batch; consistency proofs show that a later tree extends an
earlier one, so nothing was dropped or rewritten. The hash is a parameter so the code is
checked against the published SHA-256 vectors of Certificate Transparency and then used
with SM3.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from quancheng.errors import CryptoError

HashFn = Callable[[bytes], bytes]


def sm3_hash(data: bytes) -> bytes:
    """SM3 (OpenSSL's, through hashlib)."""
    return hashlib.new("sm3", data).digest()


def sha256_hash(data: bytes) -> bytes:
    """SHA-256, for the published RFC 6962 test vectors."""
    return hashlib.sha256(data).digest()


class MerkleProofError(CryptoError):
    """A proof was requested for positions the tree does not have."""

    code = "MERKLE_PROOF_ERROR"


def leaf_hash(entry: bytes, hash_fn: HashFn = sm3_hash) -> bytes:
    """H(0x00 ‖ entry)."""
    return hash_fn(b"\x00" + entry)


def node_hash(left: bytes, right: bytes, hash_fn: HashFn = sm3_hash) -> bytes:
    """H(0x01 ‖ left ‖ right)."""
    return hash_fn(b"\x01" + left + right)


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes], hash_fn: HashFn = sm3_hash) -> bytes:
    """The root of the tree over ``leaves`` (leaf hashes, not entries)."""
    if not leaves:
        return hash_fn(b"")
    level = list(leaves)
    # Bottom-up pairing gives the same tree as RFC 6962's recursion: an odd node is carried
    # up unchanged, which is exactly where the recursive split leaves a smaller right subtree.
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1], hash_fn) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def inclusion_proof(leaves: Sequence[bytes], index: int, hash_fn: HashFn = sm3_hash) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree over ``leaves`` (RFC 6962 §2.1.1)."""
    if not 0 <= index < len(leaves):
        raise MerkleProofError(f"leaf index {index} is outside a tree of {len(leaves)} leaves")
    return _path(index, list(leaves), hash_fn)


class MerkleTree:
    """The tree over ``leaves`` kept whole: its root, then any leaf's audit path in O(log n).

    The same tree as :func:`root` and :func:`inclusion_proof` (each of which hashes the whole
    tree again), for a server that answers many proofs of one batch.
    """

    def __init__(self, leaves: Sequence[bytes], hash_fn: HashFn = sm3_hash) -> None:
        self.size = len(leaves)
        levels = [list(leaves)]
        while len(levels[-1]) > 1:  # bottom-up pairing, an odd last node carried up (see root)
            level = levels[-1]
            nxt = [node_hash(level[i], level[i + 1], hash_fn) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            levels.append(nxt)
        self._levels = levels
        #: The tree's root (the empty tree's is H("")).
        self.root = levels[-1][0] if leaves else hash_fn(b"")

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The audit path of leaf ``index``, as :func:`inclusion_proof` gives it."""
        if not 0 <= index < self.size:
            raise MerkleProofError(f"leaf index {index} is outside a tree of {self.size} leaves")
        path, i = [], index
        for level in self._levels[:-1]:
            if i & 1:
                path.append(level[i - 1])
            elif i + 1 < len(level):
                path.append(level[i + 1])
            i >>= 1  # a carried node keeps its place: len(level) // 2 == i // 2
        return path


def _path(m: int, d: list[bytes], hash_fn: HashFn) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _split(len(d))
    if m < k:
        return [*_path(m, d[:k], hash_fn), root(d[k:], hash_fn)]
    return [*_path(m - k, d[k:], hash_fn), root(d[:k], hash_fn)]


def consistency_proof(
    leaves: Sequence[bytes], first: int, hash_fn: HashFn = sm3_hash
) -> list[bytes]:
    """Proof that the tree of the first ``first`` leaves is a prefix of the whole tree."""
    if not 0 <= first <= len(leaves):
        raise MerkleProofError(f"size {first} is outside a tree of {len(leaves)} leaves")
    if first in (0, len(leaves)):
        return []
    return _subproof(first, list(leaves), True, hash_fn)


def _subproof(m: int, d: list[bytes], complete: bool, hash_fn: HashFn) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if complete else [root(d, hash_fn)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, d[:k], complete, hash_fn), root(d[k:], hash_fn)]
    return [*_subproof(m - k, d[k:], False, hash_fn), root(d[:k], hash_fn)]


def verify_inclusion(
    leaf: bytes,
    index: int,
    size: int,
    proof: Sequence[bytes],
    expected_root: bytes,
    hash_fn: HashFn = sm3_hash,
) -> bool:
    """Check an inclusion proof (RFC 9162 §2.1.3.2). Never raises for a bad proof."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r, hash_fn)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p, hash_fn)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    first: int,
    second: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
    hash_fn: HashFn = sm3_hash,
) -> bool:
    """Check a consistency proof (RFC 9162 §2.1.4.2). Never raises for a bad proof."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == hash_fn(b"")
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is itself the first node
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr, hash_fn)
            sr = node_hash(c, sr, hash_fn)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c, hash_fn)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
