"""The SM2 curve in plain Python integers.

Used for what must not depend on the native library: validating public points before
they are loaded, computing Z_A, and the known-answer tests that fix the nonce.  Nothing
here is constant time, so it is only ever given public values — except by the
``reference_*`` functions, which exist for test vectors and are never on a signing path.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SM2P256", "CurveParams", "Point"]

#: An affine point; ``None`` is the point at infinity.
Point = tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class CurveParams:
    """A short-Weierstrass curve y² = x³ + ax + b over GF(p) with a base point of order n.

    Attributes:
        name: Human-readable name.
        p: Field prime.
        a: Coefficient a.
        b: Coefficient b.
        gx: Base point x.
        gy: Base point y.
        n: Order of the base point.
    """

    name: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    @property
    def g(self) -> tuple[int, int]:
        """The base point."""
        return (self.gx, self.gy)

    def is_on_curve(self, x: int, y: int) -> bool:
        """Whether (x, y) is a finite point of the curve with canonical coordinates."""
        if not (0 <= x < self.p and 0 <= y < self.p):
            return False
        return (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0

    def za_prefix(self) -> bytes:
        """The curve part of Z_A: a ‖ b ‖ xG ‖ yG, each 32 bytes (GB/T 32918.2, 5.5)."""
        return b"".join(v.to_bytes(32, "big") for v in (self.a, self.b, self.gx, self.gy))

    # -- arithmetic (Jacobian coordinates; variable time, public inputs only) --------

    def add(self, p1: Point, p2: Point) -> Point:
        """Return p1 + p2."""
        return self._to_affine(self._jadd(self._to_jac(p1), self._to_jac(p2)))

    def mul(self, k: int, point: Point) -> Point:
        """Return k·point by double-and-add."""
        acc: tuple[int, int, int] = (1, 1, 0)
        base = self._to_jac(point)
        for bit in bin(k % self.n)[2:]:
            acc = self._jdouble(acc)
            if bit == "1":
                acc = self._jadd(acc, base)
        return self._to_affine(acc)

    def _to_jac(self, pt: Point) -> tuple[int, int, int]:
        return (1, 1, 0) if pt is None else (pt[0], pt[1], 1)

    def _to_affine(self, pt: tuple[int, int, int]) -> Point:
        x, y, z = pt
        if z == 0:
            return None
        zi = pow(z, -1, self.p)
        zi2 = zi * zi % self.p
        return (x * zi2 % self.p, y * zi2 * zi % self.p)

    def _jdouble(self, pt: tuple[int, int, int]) -> tuple[int, int, int]:
        x, y, z = pt
        p = self.p
        if z == 0 or y == 0:
            return (1, 1, 0)
        yy = y * y % p
        s = 4 * x * yy % p
        z2 = z * z % p
        m = (3 * x * x + self.a * z2 * z2) % p
        x3 = (m * m - 2 * s) % p
        y3 = (m * (s - x3) - 8 * yy * yy) % p
        z3 = 2 * y * z % p
        return (x3, y3, z3)

    def _jadd(self, p1: tuple[int, int, int], p2: tuple[int, int, int]) -> tuple[int, int, int]:
        x1, y1, z1 = p1
        x2, y2, z2 = p2
        p = self.p
        if z1 == 0:
            return p2
        if z2 == 0:
            return p1
        z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
        u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
        s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
        if u1 == u2:
            return self._jdouble(p1) if s1 == s2 else (1, 1, 0)
        h, r = (u2 - u1) % p, (s2 - s1) % p
        hh = h * h % p
        hhh = h * hh % p
        v = u1 * hh % p
        x3 = (r * r - hhh - 2 * v) % p
        y3 = (r * (v - x3) - s1 * hhh) % p
        z3 = h * z1 * z2 % p
        return (x3, y3, z3)

    # -- reference signature (test vectors only) --------------------------------------

    def reference_sign(self, d: int, e: int, k: int) -> tuple[int, int]:
        """Sign the digest ``e`` with key ``d`` and the given nonce ``k`` (A.1–A.7).

        For reproducing the standard's worked examples only: the nonce is the caller's
        and the arithmetic is not constant time.
        """
        kg = self.mul(k, self.g)
        if kg is None:
            raise ValueError("k·G is the point at infinity")
        r = (e + kg[0]) % self.n
        if r == 0 or r + k == self.n:
            raise ValueError("nonce gives r = 0 or r + k = n")
        s = pow(1 + d, -1, self.n) * (k - r * d) % self.n
        if s == 0:
            raise ValueError("nonce gives s = 0")
        return r, s

    def reference_verify(self, x: int, y: int, e: int, r: int, s: int) -> bool:
        """Verify (r, s) over the digest ``e`` (GB/T 32918.2, 7.1 B1–B7)."""
        if not (1 <= r < self.n and 1 <= s < self.n) or not self.is_on_curve(x, y):
            return False
        t = (r + s) % self.n
        if t == 0:
            return False
        pt = self.add(self.mul(s, self.g), self.mul(t, (x, y)))
        return pt is not None and (e + pt[0]) % self.n == r


#: The SM2 recommended 256-bit curve (GB/T 32918.5), ``sm2p256v1``.
SM2P256 = CurveParams(
    name="sm2p256v1",
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
)
