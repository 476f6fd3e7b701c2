"""Generate contracts/crypto/Sm3.sol from Sm3.sol.tmpl: SM3 (GB/T 32905) with its 64 rounds
unrolled, W in 64-bit lanes and W' formed on the fly (about 20,700 gas per block, half of a
rolled loop). The committed Sm3.sol is exactly this script's output; the test suite checks it.

    python contracts/crypto/gen/sm3.py            # rewrite contracts/crypto/Sm3.sol
    python contracts/crypto/gen/sm3.py --check    # exit 1 if it differs
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "Sm3.sol.tmpl"
TARGET = HERE.parent / "Sm3.sol"

M = "0xffffffff"
K = "0x100000001"
K3 = "0x10000000100000001"
L = "0x" + "00000000ffffffff" * 4

def rotl(x, n):
    return ((x << n) | (x >> (32 - n))) & 0xffffffff

def T(j):
    return rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j % 32)

def wlo(i):   # mload(add(w, wlo(i))) has W[i] in its low 32 bits
    return 8 * i + 8

def vec(i):   # mload(add(w, vec(i))) has W[i..i+3] in its four 64-bit lanes, W[i] on top
    return 32 + 8 * i

def expand_body():
    I = " " * 16
    out = [
        f"{I}let l := mload(add(w, 608))",
        f"{I}// W[0..15] from the top down: each store also zeroes the 28 bytes below its word.",
        f"{I}mstore(add(w, {vec(16)}), 0)",
    ]
    for i in range(15, -1, -1):
        out.append(f"{I}mstore(add(w, {wlo(i)}), shr(224, mload(add(src, {4 * i}))))")
    out.append(f"{I}// W[j] = P1(W[j-16] ^ W[j-9] ^ (W[j-3] <<< 15)) ^ (W[j-13] <<< 7) ^ W[j-6] for three")
    out.append(f"{I}// j at a time (lanes 3..1); lane 0 reads the W[j] being computed, and its store is")
    out.append(f"{I}// overwritten by the next step. x <<< n = lane-wise shr(32 - n, x * 0x100000001).")
    for j in range(16, 68, 3):
        out.append(f"{I}{{")
        out.append(f"{I}    let x := and(l, xor(xor(mload(add(w, {vec(j-16)})), mload(add(w, {vec(j-9)}))), shr(17, mul({K}, mload(add(w, {vec(j-3)}))))))")
        out.append(f"{I}    let xx := mul({K}, x)")
        out.append(f"{I}    mstore(add(w, {vec(j)}), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, {vec(j-6)})), shr(25, mul({K}, mload(add(w, {vec(j-13)}))))))))")
        out.append(f"{I}}}")
    return out

def compress_body():
    I = " " * 16
    out = []
    names = list("abcdefgh")
    for j in range(64):
        A, B, C, D, E, F, G, H = names
        if j < 16:
            ff = f"xor({C}, xor({A}, {B}))"
            gg = f"xor({G}, xor({E}, {F}))"
        else:
            ff = f"or(and({B}, {C}), and({A}, or({B}, {C})))"
            gg = f"xor({G}, and({E}, xor({F}, {G})))"
        out.append(f"{I}{{ // round {j}: T <<< {j % 32} = 0x{T(j):08x}")
        out.append(f"{I}    let a12 := shr(20, {A})")
        out.append(f"{I}    let s := shr(25, mul({K}, and({M}, add(0x{T(j):08x}, add({E}, a12)))))")
        out.append(f"{I}    {D} := mul({K}, and({M}, add(xor(mload(add(w, {wlo(j)})), mload(add(w, {wlo(j + 4)}))), add(xor(s, a12), add({D}, {ff})))))")
        out.append(f"{I}    {H} := mul({K3}, and({M}, add(mload(add(w, {wlo(j)})), add(s, add({H}, {gg})))))")
        out.append(f"{I}}}")
        out.append(f"{I}{H} := xor({H}, xor(shr(23, {H}), shr(15, {H})))")
        out.append(f"{I}{B} := shr(23, {B})")
        out.append(f"{I}{F} := shr(13, {F})")
        names = [D, A, B, C, H, E, F, G]
    assert names == list("abcdefgh")
    return out

def render() -> str:
    """The Solidity source."""
    t = TEMPLATE.read_text()
    return (
        t.replace("%%L%%", L)
        .replace("%%EXPAND%%", "\n".join(expand_body()))
        .replace("%%COMPRESS%%", "\n".join(compress_body()))
    )


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        return 0 if TARGET.read_text() == text else 1
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
