// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Sm3} from "./Sm3.sol";

/**
 * @title Sm2
 * @notice SM2 signature verification (GB/T 32918.2) on the recommended 256-bit curve
 * sm2p256v1 (GB/T 32918.5), with e = SM3(Z_A ‖ M) and the default user ID "1234567812345678".
 * @dev No function here reverts on bad input: malformed keys, signatures and out-of-range
 * values give `false`. The scalar multiplication s·G + t·P uses Jacobian coordinates with the
 * a = −3 doubling formulas and Shamir's trick: one doubling per bit and a mixed addition of G,
 * P or G + P (affine, one modular inversion through the modexp precompile 0x05) for each
 * bit pair that is not (0, 0). The final comparison needs no inversion: with x1 = X / Z²,
 * (e + x1) mod n = r holds iff X = v·Z² or X = (v + n)·Z² (mod p), with v = (r − e) mod n.
 */
library Sm2 {
    /// @notice The field prime p = 2^256 − 2^224 − 2^96 + 2^64 − 1.
    uint256 internal constant P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF;
    /// @notice The curve coefficient a = p − 3.
    uint256 internal constant A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC;
    /// @notice The curve coefficient b.
    uint256 internal constant B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93;
    /// @notice The order n of the base point.
    uint256 internal constant N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123;
    /// @notice The base point's x coordinate.
    uint256 internal constant GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7;
    /// @notice The base point's y coordinate.
    uint256 internal constant GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0;

    /// @dev 2G, the table entry G + P when P = G (affine x, y).
    uint256 private constant G2X = 0x56CEFD60D7C87C000D58EF57FA73BA4D9C0DFA08C08A7331495C2E1DA3F2BD52;
    uint256 private constant G2Y = 0x31B7E7E6CC8189F668535CE0F8EAF1BD6DE84C182F6C8E716F780D3A970A23C3;

    /// @dev Z_A hashes ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ x ‖ y; with the default user ID
    /// (ENTL = 0x0080, ID = "1234567812345678") its first 128 bytes are constant: this is the
    /// SM3 chaining value after them, and the 18 bytes that follow, up to x.
    bytes32 private constant ZA_MIDSTATE = 0xadadedb50446043f08a87acee86d22438e232383bfc81fe2cf9117c84707011d;
    uint256 private constant ZA_MIDSTATE_LENGTH = 128;
    bytes18 private constant ZA_GY_TAIL = 0x2153d0a9877cc62a474002df32e52139f0a0;

    /// @notice Whether (x, y) is a point of the curve; false for coordinates ≥ p and for (0, 0),
    /// the usual encoding of the point at infinity.
    function isOnCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= P || y >= P || (x == 0 && y == 0)) return false;
        uint256 rhs = addmod(mulmod(addmod(mulmod(x, x, P), A, P), x, P), B, P);
        return mulmod(y, y, P) == rhs;
    }

    /// @notice Parse an uncompressed public key 0x04 ‖ x ‖ y (exactly 65 bytes) that lies on
    /// the curve; `ok` is false otherwise (compressed, hybrid or raw forms included).
    function parsePublicKey(bytes memory key) internal pure returns (bool ok, uint256 x, uint256 y) {
        if (key.length != 65 || key[0] != 0x04) return (false, 0, 0);
        assembly ("memory-safe") {
            x := mload(add(key, 33))
            y := mload(add(key, 65))
        }
        if (!isOnCurve(x, y)) return (false, 0, 0);
        return (true, x, y);
    }

    /// @notice Parse a strict DER signature SEQUENCE { INTEGER r, INTEGER s }: definite short
    /// lengths that match, minimal non-negative integers of at most 33 bytes (< 2^256), nothing
    /// after the sequence. Range checks on r and s are left to {verify}.
    function parseDerSignature(bytes memory sig) internal pure returns (bool ok, uint256 r, uint256 s) {
        uint256 len = sig.length;
        // Shortest: 30 06 02 01 xx 02 01 xx; longest: two 33-byte integers.
        if (len < 8 || len > 72) return (false, 0, 0);
        if (uint8(sig[0]) != 0x30 || uint8(sig[1]) != len - 2) return (false, 0, 0);
        uint256 pos;
        (ok, r, pos) = _readInteger(sig, 2);
        if (!ok) return (false, 0, 0);
        (ok, s, pos) = _readInteger(sig, pos);
        if (!ok || pos != len) return (false, 0, 0);
        return (true, r, s);
    }

    /// @notice Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ x ‖ y) with the default user ID.
    /// @dev The caller checks that (x, y) is on the curve (see {parsePublicKey}).
    function userHash(uint256 x, uint256 y) internal pure returns (bytes32) {
        return Sm3.hashResumed(ZA_MIDSTATE, ZA_MIDSTATE_LENGTH, abi.encodePacked(ZA_GY_TAIL, x, y));
    }

    /// @notice Whether (r, s) is an SM2 signature of `message` by the key (x, y) whose Z_A is `za`.
    /// @dev False for a key off the curve, r or s outside [1, n − 1], r + s ≡ 0 (mod n), or a
    /// sum s·G + t·P at infinity. `za` is trusted to be Z_A of (x, y): a wrong one only makes
    /// valid signatures fail.
    function verify(
        uint256 x,
        uint256 y,
        bytes32 za,
        bytes memory message,
        uint256 r,
        uint256 s
    ) internal view returns (bool) {
        if (r == 0 || r >= N || s == 0 || s >= N) return false;
        if (!isOnCurve(x, y)) return false;
        uint256 t = addmod(r, s, N);
        if (t == 0) return false;
        uint256 e = uint256(Sm3.hash(abi.encodePacked(za, message)));
        (bool ok, uint256 jx, uint256 jz) = _mulAdd(s, t, x, y);
        if (!ok) return false;
        // x1 = jx / jz²; accept iff x1 ≡ r − e (mod n), x1 ∈ [0, p).
        uint256 v = addmod(r, N - (e % N), N);
        uint256 zz = mulmod(jz, jz, P);
        if (mulmod(v, zz, P) == jx) return true;
        return v < P - N && mulmod(v + N, zz, P) == jx;
    }

    /// @dev One DER INTEGER at `pos`: tag 0x02, short length 1..33, minimal, non-negative.
    function _readInteger(bytes memory der, uint256 pos)
        private
        pure
        returns (bool ok, uint256 value, uint256 next)
    {
        if (pos + 3 > der.length || uint8(der[pos]) != 0x02) return (false, 0, 0);
        uint256 size = uint8(der[pos + 1]);
        uint256 start = pos + 2;
        next = start + size;
        if (size == 0 || size > 33 || next > der.length) return (false, 0, 0);
        uint8 first = uint8(der[start]);
        if (first >= 0x80) return (false, 0, 0); // negative
        if (size > 1 && first == 0 && uint8(der[start + 1]) < 0x80) return (false, 0, 0); // non-minimal
        if (size == 33 && first != 0) return (false, 0, 0); // ≥ 2^256
        assembly ("memory-safe") {
            switch size
            case 33 {
                value := mload(add(add(der, 33), start))
            }
            default {
                value := shr(shl(3, sub(32, size)), mload(add(add(der, 32), start)))
            }
        }
        return (true, value, next);
    }

    /// @dev s·G + t·Q for Q = (qx, qy) on the curve, as Jacobian X and Z (Y is not needed).
    /// `ok` is false when the sum is the point at infinity or the modexp call failed.
    function _mulAdd(uint256 s, uint256 t, uint256 qx, uint256 qy)
        private
        view
        returns (bool ok, uint256 jx, uint256 jz)
    {
        assembly ("memory-safe") {
            // Jacobian doubling for a = −3 (dbl-2001-b); Z = 0 (infinity) stays at Z = 0.
            function dbl(x, y, z) -> x3, y3, z3 {
                let p := 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
                let delta := mulmod(z, z, p)
                let gamma := mulmod(y, y, p)
                let beta := mulmod(x, gamma, p)
                let alpha := mulmod(3, mulmod(addmod(x, sub(p, delta), p), addmod(x, delta, p), p), p)
                x3 := addmod(mulmod(alpha, alpha, p), sub(p, mulmod(8, beta, p)), p)
                z3 := mulmod(addmod(y, y, p), z, p)
                y3 := addmod(
                    mulmod(alpha, addmod(mulmod(4, beta, p), sub(p, x3), p), p),
                    sub(p, mulmod(8, mulmod(gamma, gamma, p), p)),
                    p
                )
            }

            // Jacobian (x1, y1, z1) + affine (x2, y2), with the doubling and infinity cases.
            function madd(x1, y1, z1, x2, y2) -> x3, y3, z3 {
                let p := 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
                if iszero(z1) {
                    x3 := x2
                    y3 := y2
                    z3 := 1
                    leave
                }
                let zz := mulmod(z1, z1, p)
                let h := addmod(mulmod(x2, zz, p), sub(p, x1), p)
                let rr := addmod(mulmod(y2, mulmod(zz, z1, p), p), sub(p, y1), p)
                if iszero(h) {
                    switch rr
                    case 0 {
                        x3, y3, z3 := dbl(x1, y1, z1)
                    }
                    default {
                        x3 := 1
                        y3 := 1
                        z3 := 0
                    }
                    leave
                }
                let hh := mulmod(h, h, p)
                let hhh := mulmod(h, hh, p)
                let v := mulmod(x1, hh, p)
                x3 := addmod(addmod(mulmod(rr, rr, p), sub(p, hhh), p), sub(p, addmod(v, v, p)), p)
                y3 := addmod(mulmod(rr, addmod(v, sub(p, x3), p), p), sub(p, mulmod(y1, hhh, p)), p)
                z3 := mulmod(z1, h, p)
            }

            let p := 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
            let gx := 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
            let gy := 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
            // Table in scratch memory: entry k (1 = G, 2 = Q, 3 = G + Q) at tbl + 64·k.
            let tbl := mload(0x40)
            mstore(add(tbl, 64), gx)
            mstore(add(tbl, 96), gy)
            mstore(add(tbl, 128), qx)
            mstore(add(tbl, 160), qy)
            // Whether G + Q is the point at infinity (Q = −G): entry 3 is then skipped.
            let gqInfinite := 0
            ok := 1
            switch eq(qx, gx)
            case 1 {
                switch eq(qy, gy)
                case 1 {
                    mstore(add(tbl, 192), G2X)
                    mstore(add(tbl, 224), G2Y)
                }
                default {
                    gqInfinite := 1
                }
            }
            default {
                // λ = (qy − gy) / (qx − gx), the inverse by Fermat through modexp.
                let m := add(tbl, 256)
                mstore(m, 32)
                mstore(add(m, 32), 32)
                mstore(add(m, 64), 32)
                mstore(add(m, 96), addmod(qx, sub(p, gx), p))
                mstore(add(m, 128), sub(p, 2))
                mstore(add(m, 160), p)
                ok := staticcall(gas(), 0x05, m, 192, m, 32)
                let lambda := mulmod(addmod(qy, sub(p, gy), p), mload(m), p)
                let x3 := addmod(mulmod(lambda, lambda, p), sub(p, addmod(gx, qx, p)), p)
                mstore(add(tbl, 192), x3)
                mstore(add(tbl, 224), addmod(mulmod(lambda, addmod(gx, sub(p, x3), p), p), sub(p, gy), p))
            }

            let x := 1
            let y := 1
            let z := 0
            for { let i := 256 } i { } {
                i := sub(i, 1)
                x, y, z := dbl(x, y, z)
                let k := or(and(shr(i, s), 1), shl(1, and(shr(i, t), 1)))
                if and(iszero(iszero(k)), iszero(and(eq(k, 3), gqInfinite))) {
                    let entry := add(tbl, shl(6, k))
                    x, y, z := madd(x, y, z, mload(entry), mload(add(entry, 32)))
                }
            }
            jx := x
            jz := z
            ok := and(ok, iszero(iszero(z)))
        }
    }
}
