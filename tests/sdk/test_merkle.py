"""Receipt Merkle trees against the published RFC 6962 vectors, then every shape with SM3."""

from __future__ import annotations

import hashlib

import pytest

from quancheng.merkle import (
    MerkleProofError,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    sha256_hash,
    verify_consistency,
    verify_inclusion,
)

# Certificate Transparency's reference entries and tree heads (sizes 0..8), SHA-256.
CT_ENTRIES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]  # fmt: skip
CT_ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]  # fmt: skip
CT_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
CT_CONSISTENCY = [
    (2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip

CT_LEAVES = [leaf_hash(e, sha256_hash) for e in CT_ENTRIES]


def test_roots_match_rfc6962_reference_tree_heads() -> None:
    for n in range(9):
        assert root(CT_LEAVES[:n], sha256_hash) == CT_ROOTS[n], n


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_inclusion_proofs_match_the_reference(index: int, size: int, expected: list[str]) -> None:
    proof = inclusion_proof(CT_LEAVES[:size], index, sha256_hash)
    assert [p.hex() for p in proof] == expected
    assert verify_inclusion(CT_LEAVES[index], index, size, proof, CT_ROOTS[size], sha256_hash)


@pytest.mark.parametrize(("first", "second", "expected"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_reference(
    first: int, second: int, expected: list[str]
) -> None:
    proof = consistency_proof(CT_LEAVES[:second], first, sha256_hash)
    assert [p.hex() for p in proof] == expected
    assert verify_consistency(first, second, CT_ROOTS[first], CT_ROOTS[second], proof, sha256_hash)


SM3_LEAVES = [leaf_hash(hashlib.new("sm3", str(i).encode()).digest()) for i in range(40)]
SM3_ROOTS = [root(SM3_LEAVES[:n]) for n in range(41)]


def test_every_inclusion_proof_verifies_and_any_change_breaks_it() -> None:
    for n in range(1, 41):
        for i in range(n):
            proof = inclusion_proof(SM3_LEAVES[:n], i)
            assert verify_inclusion(SM3_LEAVES[i], i, n, proof, SM3_ROOTS[n])
            assert not verify_inclusion(
                SM3_LEAVES[i], i, n, proof, SM3_ROOTS[n - 1] if n > 1 else b""
            )
            if proof:
                flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
                assert not verify_inclusion(SM3_LEAVES[i], i, n, flipped, SM3_ROOTS[n])
                assert not verify_inclusion(SM3_LEAVES[i], i, n, proof[:-1], SM3_ROOTS[n])
            assert not verify_inclusion(SM3_LEAVES[i], i, n, [*proof, b"\xab" * 32], SM3_ROOTS[n])
            other = (i + 1) % n
            if other != i:
                assert not verify_inclusion(SM3_LEAVES[other], i, n, proof, SM3_ROOTS[n])


def test_every_consistency_proof_verifies_and_a_rewritten_history_does_not() -> None:
    for n in range(0, 41):
        for m in range(0, n + 1):
            proof = consistency_proof(SM3_LEAVES[:n], m)
            assert verify_consistency(m, n, SM3_ROOTS[m], SM3_ROOTS[n], proof)
            if 0 < m < n:
                rewritten = [*SM3_LEAVES[: m - 1], leaf_hash(b"forged"), *SM3_LEAVES[m:n]]
                assert not verify_consistency(m, n, SM3_ROOTS[m], root(rewritten), proof)
                assert not verify_consistency(m, n, SM3_ROOTS[m], SM3_ROOTS[n], proof[:-1])


def test_proofs_for_positions_outside_the_tree_are_refused() -> None:
    with pytest.raises(MerkleProofError):
        inclusion_proof(SM3_LEAVES[:4], 4)
    with pytest.raises(MerkleProofError):
        consistency_proof(SM3_LEAVES[:4], 5)
    assert not verify_inclusion(SM3_LEAVES[0], 4, 4, [], SM3_ROOTS[4])
    assert not verify_consistency(5, 4, SM3_ROOTS[4], SM3_ROOTS[4], [])


def test_the_sm3_empty_root_is_sm3_of_nothing() -> None:
    assert root([]).hex() == "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_a_kept_tree_gives_the_reference_inclusion_proofs(
    index: int, size: int, expected: list[str]
) -> None:
    tree = MerkleTree(CT_LEAVES[:size], sha256_hash)
    assert tree.root == CT_ROOTS[size]
    assert [p.hex() for p in tree.inclusion_proof(index)] == expected


def test_a_kept_tree_is_the_same_tree_at_every_size_and_position() -> None:
    for size in [*range(1, 70), 255, 256, 257, 1000]:
        leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
        tree = MerkleTree(leaves)
        assert tree.root == root(leaves)
        for index in range(0, size, 1 if size < 70 else 7):
            path = tree.inclusion_proof(index)
            assert path == inclusion_proof(leaves, index)
            assert verify_inclusion(leaves[index], index, size, path, tree.root)
        with pytest.raises(MerkleProofError):
            tree.inclusion_proof(size)
    assert MerkleTree([]).root == root([])
