// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/**
 * @title Sm3
 * @notice The SM3 hash function (GB/T 32905-2016) in EVM assembly.
 * @dev Written for gas (about 20,800 gas per 64-byte block); the 64 rounds and the message
 * expansion are unrolled. The 32-bit words of the standard live in the low bits of 256-bit
 * stack slots, and most are kept "dirty": bits above bit 31 are garbage, which additions and
 * bitwise operations never carry down into the low 32 bits. Only a rotation needs a clean
 * word x, and it is done as a shift of the "doubled" word x * 0x100000001 = x ‖ x:
 * x <<< n = low 32 bits of shr(32 - n, x ‖ x). So:
 * - A, B and E, F (the words that are rotated: A <<< 12, B <<< 9, F <<< 19) are kept doubled,
 *   the others dirty; the new A is masked and doubled once per round, and the new
 *   E = P0(TT2) = x ^ (x <<< 9) ^ (x <<< 17) is computed on x ‖ x ‖ x (x * 0x10000000100000001),
 *   whose low 64 bits come out as P0(x) doubled;
 * - T_j <<< (j mod 32) is an immediate; W'[j] = W[j] ^ W[j + 4] is formed in the round.
 * Per 64-byte block the expansion W[0..67] is written to scratch memory, one word per 8-byte
 * slot (4 zero bytes, then the word): a 32-byte load at slot i gives W[i..i+3] as four 64-bit
 * lanes, so W[j..j+2] are expanded three at a time (W[j] depends on W[j-3]), and a load ending
 * at the slot's end gives W[i] in the low 32 bits for the rounds. W, the chaining value V and
 * the padded message live in scratch memory above the free memory pointer: nothing is
 * allocated.
 */
library Sm3 {
    /// @notice The initial chaining value IV of GB/T 32905, eight 32-bit words big-endian.
    bytes32 internal constant IV = 0x7380166f4914b2b9172442d7da8a0600a96f30bc163138aae38dee4db0fb0e4e;

    /// @notice SM3 digest of `data`.
    function hash(bytes memory data) internal pure returns (bytes32) {
        return hashResumed(IV, 0, data);
    }

    /// @notice SM3 digest of `prefix ‖ data` where the chaining value after the
    /// `prefixLength` bytes of `prefix` (a multiple of 64) is `midstate`.
    /// @dev A digest is the chaining value after the last block, so a constant prefix of whole
    /// blocks can be hashed once, off chain, and its midstate given here.
    /// `hashResumed(IV, 0, data) == hash(data)`.
    function hashResumed(bytes32 midstate, uint256 prefixLength, bytes memory data)
        internal
        pure
        returns (bytes32 digest)
    {
        assembly ("memory-safe") {
            // Message expansion of the 64-byte block at `src` into the slots of W at `w`: W[i]
            // in the low 4 bytes of the 8 bytes at w + 32 + 8i. The lane mask
            // 0x00000000ffffffff... is read from w + 608 (as a literal, the optimizer would
            // turn its many uses into code copies).
            function expand(w, src) {
                let l := mload(add(w, 608))
                // W[0..15] from the top down: each store also zeroes the 28 bytes below its word.
                mstore(add(w, 160), 0)
                mstore(add(w, 128), shr(224, mload(add(src, 60))))
                mstore(add(w, 120), shr(224, mload(add(src, 56))))
                mstore(add(w, 112), shr(224, mload(add(src, 52))))
                mstore(add(w, 104), shr(224, mload(add(src, 48))))
                mstore(add(w, 96), shr(224, mload(add(src, 44))))
                mstore(add(w, 88), shr(224, mload(add(src, 40))))
                mstore(add(w, 80), shr(224, mload(add(src, 36))))
                mstore(add(w, 72), shr(224, mload(add(src, 32))))
                mstore(add(w, 64), shr(224, mload(add(src, 28))))
                mstore(add(w, 56), shr(224, mload(add(src, 24))))
                mstore(add(w, 48), shr(224, mload(add(src, 20))))
                mstore(add(w, 40), shr(224, mload(add(src, 16))))
                mstore(add(w, 32), shr(224, mload(add(src, 12))))
                mstore(add(w, 24), shr(224, mload(add(src, 8))))
                mstore(add(w, 16), shr(224, mload(add(src, 4))))
                mstore(add(w, 8), shr(224, mload(add(src, 0))))
                // W[j] = P1(W[j-16] ^ W[j-9] ^ (W[j-3] <<< 15)) ^ (W[j-13] <<< 7) ^ W[j-6] for three
                // j at a time (lanes 3..1); lane 0 reads the W[j] being computed, and its store is
                // overwritten by the next step. x <<< n = lane-wise shr(32 - n, x * 0x100000001).
                {
                    let x := and(l, xor(xor(mload(add(w, 32)), mload(add(w, 88))), shr(17, mul(0x100000001, mload(add(w, 136))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 160), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 112)), shr(25, mul(0x100000001, mload(add(w, 56))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 56)), mload(add(w, 112))), shr(17, mul(0x100000001, mload(add(w, 160))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 184), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 136)), shr(25, mul(0x100000001, mload(add(w, 80))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 80)), mload(add(w, 136))), shr(17, mul(0x100000001, mload(add(w, 184))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 208), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 160)), shr(25, mul(0x100000001, mload(add(w, 104))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 104)), mload(add(w, 160))), shr(17, mul(0x100000001, mload(add(w, 208))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 232), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 184)), shr(25, mul(0x100000001, mload(add(w, 128))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 128)), mload(add(w, 184))), shr(17, mul(0x100000001, mload(add(w, 232))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 256), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 208)), shr(25, mul(0x100000001, mload(add(w, 152))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 152)), mload(add(w, 208))), shr(17, mul(0x100000001, mload(add(w, 256))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 280), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 232)), shr(25, mul(0x100000001, mload(add(w, 176))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 176)), mload(add(w, 232))), shr(17, mul(0x100000001, mload(add(w, 280))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 304), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 256)), shr(25, mul(0x100000001, mload(add(w, 200))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 200)), mload(add(w, 256))), shr(17, mul(0x100000001, mload(add(w, 304))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 328), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 280)), shr(25, mul(0x100000001, mload(add(w, 224))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 224)), mload(add(w, 280))), shr(17, mul(0x100000001, mload(add(w, 328))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 352), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 304)), shr(25, mul(0x100000001, mload(add(w, 248))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 248)), mload(add(w, 304))), shr(17, mul(0x100000001, mload(add(w, 352))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 376), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 328)), shr(25, mul(0x100000001, mload(add(w, 272))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 272)), mload(add(w, 328))), shr(17, mul(0x100000001, mload(add(w, 376))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 400), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 352)), shr(25, mul(0x100000001, mload(add(w, 296))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 296)), mload(add(w, 352))), shr(17, mul(0x100000001, mload(add(w, 400))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 424), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 376)), shr(25, mul(0x100000001, mload(add(w, 320))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 320)), mload(add(w, 376))), shr(17, mul(0x100000001, mload(add(w, 424))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 448), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 400)), shr(25, mul(0x100000001, mload(add(w, 344))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 344)), mload(add(w, 400))), shr(17, mul(0x100000001, mload(add(w, 448))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 472), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 424)), shr(25, mul(0x100000001, mload(add(w, 368))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 368)), mload(add(w, 424))), shr(17, mul(0x100000001, mload(add(w, 472))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 496), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 448)), shr(25, mul(0x100000001, mload(add(w, 392))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 392)), mload(add(w, 448))), shr(17, mul(0x100000001, mload(add(w, 496))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 520), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 472)), shr(25, mul(0x100000001, mload(add(w, 416))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 416)), mload(add(w, 472))), shr(17, mul(0x100000001, mload(add(w, 520))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 544), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 496)), shr(25, mul(0x100000001, mload(add(w, 440))))))))
                }
                {
                    let x := and(l, xor(xor(mload(add(w, 440)), mload(add(w, 496))), shr(17, mul(0x100000001, mload(add(w, 544))))))
                    let xx := mul(0x100000001, x)
                    mstore(add(w, 568), and(l, xor(xor(x, xor(shr(17, xx), shr(9, xx))), xor(mload(add(w, 520)), shr(25, mul(0x100000001, mload(add(w, 464))))))))
                }
            }

            // The 64 rounds on W at w; V (8 clean words) is at w + 640 and is updated.
            // Each round computes, for (A, ..., H) = the variables in rotating roles,
            //   SS1 = ((A <<< 12) + E + (T_j <<< j)) <<< 7,  SS2 = SS1 ^ (A <<< 12),
            //   TT1 = FF_j(A, B, C) + D + SS2 + W'[j]       -> the new A (in D's variable),
            //   TT2 = GG_j(E, F, G) + H + SS1 + W[j]        -> the new E = P0(TT2) (in H's),
            //   C = B <<< 9, G = F <<< 19 (in place),
            // so the roles shift by one variable per round and are back after four rounds.
            function compress(w) {
                let v := add(w, 640)
                let a := mul(0x100000001, mload(v))
                let b := mul(0x100000001, mload(add(v, 32)))
                let c := mload(add(v, 64))
                let d := mload(add(v, 96))
                let e := mul(0x100000001, mload(add(v, 128)))
                let f := mul(0x100000001, mload(add(v, 160)))
                let g := mload(add(v, 192))
                let h := mload(add(v, 224))
                { // round 0: T <<< 0 = 0x79cc4519
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x79cc4519, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 8)), mload(add(w, 40))), add(xor(s, a12), add(d, xor(c, xor(a, b)))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 8)), add(s, add(h, xor(g, xor(e, f)))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 1: T <<< 1 = 0xf3988a32
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xf3988a32, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 16)), mload(add(w, 48))), add(xor(s, a12), add(c, xor(b, xor(d, a)))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 16)), add(s, add(g, xor(f, xor(h, e)))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 2: T <<< 2 = 0xe7311465
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xe7311465, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 24)), mload(add(w, 56))), add(xor(s, a12), add(b, xor(a, xor(c, d)))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 24)), add(s, add(f, xor(e, xor(g, h)))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 3: T <<< 3 = 0xce6228cb
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xce6228cb, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 32)), mload(add(w, 64))), add(xor(s, a12), add(a, xor(d, xor(b, c)))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 32)), add(s, add(e, xor(h, xor(f, g)))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 4: T <<< 4 = 0x9cc45197
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x9cc45197, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 40)), mload(add(w, 72))), add(xor(s, a12), add(d, xor(c, xor(a, b)))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 40)), add(s, add(h, xor(g, xor(e, f)))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 5: T <<< 5 = 0x3988a32f
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x3988a32f, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 48)), mload(add(w, 80))), add(xor(s, a12), add(c, xor(b, xor(d, a)))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 48)), add(s, add(g, xor(f, xor(h, e)))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 6: T <<< 6 = 0x7311465e
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x7311465e, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 56)), mload(add(w, 88))), add(xor(s, a12), add(b, xor(a, xor(c, d)))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 56)), add(s, add(f, xor(e, xor(g, h)))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 7: T <<< 7 = 0xe6228cbc
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xe6228cbc, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 64)), mload(add(w, 96))), add(xor(s, a12), add(a, xor(d, xor(b, c)))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 64)), add(s, add(e, xor(h, xor(f, g)))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 8: T <<< 8 = 0xcc451979
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xcc451979, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 72)), mload(add(w, 104))), add(xor(s, a12), add(d, xor(c, xor(a, b)))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 72)), add(s, add(h, xor(g, xor(e, f)))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 9: T <<< 9 = 0x988a32f3
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x988a32f3, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 80)), mload(add(w, 112))), add(xor(s, a12), add(c, xor(b, xor(d, a)))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 80)), add(s, add(g, xor(f, xor(h, e)))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 10: T <<< 10 = 0x311465e7
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x311465e7, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 88)), mload(add(w, 120))), add(xor(s, a12), add(b, xor(a, xor(c, d)))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 88)), add(s, add(f, xor(e, xor(g, h)))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 11: T <<< 11 = 0x6228cbce
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x6228cbce, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 96)), mload(add(w, 128))), add(xor(s, a12), add(a, xor(d, xor(b, c)))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 96)), add(s, add(e, xor(h, xor(f, g)))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 12: T <<< 12 = 0xc451979c
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xc451979c, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 104)), mload(add(w, 136))), add(xor(s, a12), add(d, xor(c, xor(a, b)))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 104)), add(s, add(h, xor(g, xor(e, f)))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 13: T <<< 13 = 0x88a32f39
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x88a32f39, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 112)), mload(add(w, 144))), add(xor(s, a12), add(c, xor(b, xor(d, a)))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 112)), add(s, add(g, xor(f, xor(h, e)))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 14: T <<< 14 = 0x11465e73
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x11465e73, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 120)), mload(add(w, 152))), add(xor(s, a12), add(b, xor(a, xor(c, d)))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 120)), add(s, add(f, xor(e, xor(g, h)))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 15: T <<< 15 = 0x228cbce6
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x228cbce6, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 128)), mload(add(w, 160))), add(xor(s, a12), add(a, xor(d, xor(b, c)))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 128)), add(s, add(e, xor(h, xor(f, g)))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 16: T <<< 16 = 0x9d8a7a87
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x9d8a7a87, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 136)), mload(add(w, 168))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 136)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 17: T <<< 17 = 0x3b14f50f
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x3b14f50f, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 144)), mload(add(w, 176))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 144)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 18: T <<< 18 = 0x7629ea1e
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x7629ea1e, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 152)), mload(add(w, 184))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 152)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 19: T <<< 19 = 0xec53d43c
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xec53d43c, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 160)), mload(add(w, 192))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 160)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 20: T <<< 20 = 0xd8a7a879
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xd8a7a879, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 168)), mload(add(w, 200))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 168)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 21: T <<< 21 = 0xb14f50f3
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xb14f50f3, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 176)), mload(add(w, 208))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 176)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 22: T <<< 22 = 0x629ea1e7
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x629ea1e7, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 184)), mload(add(w, 216))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 184)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 23: T <<< 23 = 0xc53d43ce
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xc53d43ce, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 192)), mload(add(w, 224))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 192)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 24: T <<< 24 = 0x8a7a879d
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x8a7a879d, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 200)), mload(add(w, 232))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 200)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 25: T <<< 25 = 0x14f50f3b
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x14f50f3b, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 208)), mload(add(w, 240))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 208)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 26: T <<< 26 = 0x29ea1e76
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x29ea1e76, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 216)), mload(add(w, 248))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 216)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 27: T <<< 27 = 0x53d43cec
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x53d43cec, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 224)), mload(add(w, 256))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 224)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 28: T <<< 28 = 0xa7a879d8
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xa7a879d8, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 232)), mload(add(w, 264))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 232)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 29: T <<< 29 = 0x4f50f3b1
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x4f50f3b1, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 240)), mload(add(w, 272))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 240)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 30: T <<< 30 = 0x9ea1e762
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x9ea1e762, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 248)), mload(add(w, 280))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 248)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 31: T <<< 31 = 0x3d43cec5
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x3d43cec5, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 256)), mload(add(w, 288))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 256)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 32: T <<< 0 = 0x7a879d8a
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x7a879d8a, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 264)), mload(add(w, 296))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 264)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 33: T <<< 1 = 0xf50f3b14
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xf50f3b14, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 272)), mload(add(w, 304))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 272)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 34: T <<< 2 = 0xea1e7629
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xea1e7629, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 280)), mload(add(w, 312))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 280)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 35: T <<< 3 = 0xd43cec53
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xd43cec53, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 288)), mload(add(w, 320))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 288)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 36: T <<< 4 = 0xa879d8a7
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xa879d8a7, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 296)), mload(add(w, 328))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 296)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 37: T <<< 5 = 0x50f3b14f
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x50f3b14f, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 304)), mload(add(w, 336))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 304)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 38: T <<< 6 = 0xa1e7629e
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xa1e7629e, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 312)), mload(add(w, 344))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 312)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 39: T <<< 7 = 0x43cec53d
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x43cec53d, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 320)), mload(add(w, 352))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 320)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 40: T <<< 8 = 0x879d8a7a
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x879d8a7a, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 328)), mload(add(w, 360))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 328)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 41: T <<< 9 = 0x0f3b14f5
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x0f3b14f5, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 336)), mload(add(w, 368))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 336)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 42: T <<< 10 = 0x1e7629ea
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x1e7629ea, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 344)), mload(add(w, 376))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 344)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 43: T <<< 11 = 0x3cec53d4
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x3cec53d4, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 352)), mload(add(w, 384))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 352)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 44: T <<< 12 = 0x79d8a7a8
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x79d8a7a8, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 360)), mload(add(w, 392))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 360)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 45: T <<< 13 = 0xf3b14f50
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xf3b14f50, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 368)), mload(add(w, 400))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 368)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 46: T <<< 14 = 0xe7629ea1
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xe7629ea1, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 376)), mload(add(w, 408))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 376)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 47: T <<< 15 = 0xcec53d43
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xcec53d43, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 384)), mload(add(w, 416))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 384)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 48: T <<< 16 = 0x9d8a7a87
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x9d8a7a87, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 392)), mload(add(w, 424))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 392)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 49: T <<< 17 = 0x3b14f50f
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x3b14f50f, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 400)), mload(add(w, 432))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 400)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 50: T <<< 18 = 0x7629ea1e
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x7629ea1e, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 408)), mload(add(w, 440))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 408)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 51: T <<< 19 = 0xec53d43c
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xec53d43c, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 416)), mload(add(w, 448))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 416)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 52: T <<< 20 = 0xd8a7a879
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xd8a7a879, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 424)), mload(add(w, 456))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 424)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 53: T <<< 21 = 0xb14f50f3
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xb14f50f3, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 432)), mload(add(w, 464))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 432)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 54: T <<< 22 = 0x629ea1e7
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x629ea1e7, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 440)), mload(add(w, 472))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 440)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 55: T <<< 23 = 0xc53d43ce
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xc53d43ce, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 448)), mload(add(w, 480))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 448)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 56: T <<< 24 = 0x8a7a879d
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x8a7a879d, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 456)), mload(add(w, 488))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 456)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 57: T <<< 25 = 0x14f50f3b
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x14f50f3b, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 464)), mload(add(w, 496))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 464)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 58: T <<< 26 = 0x29ea1e76
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x29ea1e76, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 472)), mload(add(w, 504))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 472)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 59: T <<< 27 = 0x53d43cec
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x53d43cec, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 480)), mload(add(w, 512))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 480)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                { // round 60: T <<< 28 = 0xa7a879d8
                    let a12 := shr(20, a)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0xa7a879d8, add(e, a12)))))
                    d := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 488)), mload(add(w, 520))), add(xor(s, a12), add(d, or(and(b, c), and(a, or(b, c))))))))
                    h := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 488)), add(s, add(h, xor(g, and(e, xor(f, g))))))))
                }
                h := xor(h, xor(shr(23, h), shr(15, h)))
                b := shr(23, b)
                f := shr(13, f)
                { // round 61: T <<< 29 = 0x4f50f3b1
                    let a12 := shr(20, d)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x4f50f3b1, add(h, a12)))))
                    c := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 496)), mload(add(w, 528))), add(xor(s, a12), add(c, or(and(a, b), and(d, or(a, b))))))))
                    g := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 496)), add(s, add(g, xor(f, and(h, xor(e, f))))))))
                }
                g := xor(g, xor(shr(23, g), shr(15, g)))
                a := shr(23, a)
                e := shr(13, e)
                { // round 62: T <<< 30 = 0x9ea1e762
                    let a12 := shr(20, c)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x9ea1e762, add(g, a12)))))
                    b := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 504)), mload(add(w, 536))), add(xor(s, a12), add(b, or(and(d, a), and(c, or(d, a))))))))
                    f := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 504)), add(s, add(f, xor(e, and(g, xor(h, e))))))))
                }
                f := xor(f, xor(shr(23, f), shr(15, f)))
                d := shr(23, d)
                h := shr(13, h)
                { // round 63: T <<< 31 = 0x3d43cec5
                    let a12 := shr(20, b)
                    let s := shr(25, mul(0x100000001, and(0xffffffff, add(0x3d43cec5, add(f, a12)))))
                    a := mul(0x100000001, and(0xffffffff, add(xor(mload(add(w, 512)), mload(add(w, 544))), add(xor(s, a12), add(a, or(and(c, d), and(b, or(c, d))))))))
                    e := mul(0x10000000100000001, and(0xffffffff, add(mload(add(w, 512)), add(s, add(e, xor(h, and(f, xor(g, h))))))))
                }
                e := xor(e, xor(shr(23, e), shr(15, e)))
                c := shr(23, c)
                g := shr(13, g)
                v := add(w, 640)
                mstore(v, and(0xffffffff, xor(a, mload(v))))
                mstore(add(v, 32), and(0xffffffff, xor(b, mload(add(v, 32)))))
                mstore(add(v, 64), and(0xffffffff, xor(c, mload(add(v, 64)))))
                mstore(add(v, 96), and(0xffffffff, xor(d, mload(add(v, 96)))))
                mstore(add(v, 128), and(0xffffffff, xor(e, mload(add(v, 128)))))
                mstore(add(v, 160), and(0xffffffff, xor(f, mload(add(v, 160)))))
                mstore(add(v, 192), and(0xffffffff, xor(g, mload(add(v, 192)))))
                mstore(add(v, 224), and(0xffffffff, xor(h, mload(add(v, 224)))))
            }

            // Scratch layout: W slots (w + 32 .. w + 608) | lane mask | V (8 words) | padded message.
            let w := mload(0x40)
            let v := add(w, 640)
            let buf := add(v, 256)
            let len := mload(data)
            // data ‖ 0x80 ‖ zeros ‖ 64-bit bit length, a multiple of 64 bytes.
            let total := shl(6, shr(6, add(len, 72)))
            mcopy(buf, add(data, 32), len)
            let pad := add(buf, len)
            mstore(pad, shl(248, 0x80))
            mstore(add(pad, 32), 0)
            mstore(add(pad, 64), 0)
            mstore(add(buf, sub(total, 8)), shl(192, shl(3, add(len, prefixLength))))

            for { let i := 0 } lt(i, 8) { i := add(i, 1) } {
                mstore(add(v, shl(5, i)), and(shr(sub(224, shl(5, i)), midstate), 0xffffffff))
            }
            mstore(add(w, 608), 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff)

            let end := add(buf, total)
            for { let src := buf } lt(src, end) { src := add(src, 64) } {
                expand(w, src)
                compress(w)
            }

            digest := or(
                or(or(shl(224, mload(v)), shl(192, mload(add(v, 32)))),
                    or(shl(160, mload(add(v, 64))), shl(128, mload(add(v, 96))))),
                or(or(shl(96, mload(add(v, 128))), shl(64, mload(add(v, 160)))),
                    or(shl(32, mload(add(v, 192))), mload(add(v, 224))))
            )
        }
    }
}
