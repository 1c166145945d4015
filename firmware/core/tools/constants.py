#!/usr/bin/env python3
"""Prints the constants of tm_sha256.c, tm_sha512.c and tm_ed25519.c from their
definitions, so a reader can check every table without trusting a copy:

- SHA-256/SHA-512 round constants: the first 32/64 bits of the fractional parts
  of the cube roots of the first 64/80 primes (FIPS 180-4 §4.2.2, §4.2.3);
  initial hash values: the same of the square roots of the first 8 primes
  (§5.3.3, §5.3.5).
- Ed25519 (RFC 8032 §5.1): p = 2^255 - 19, d = -121665/121666 mod p,
  sqrt(-1) = 2^((p-1)/4) mod p, the base point's y = 4/5 mod p, and the group
  order L = 2^252 + 27742317777372353535851937790883648493.
Integers only (exact roots by bisection), no floating point.
"""


def primes(n):
    found, k = [], 2
    while len(found) < n:
        if all(k % q for q in found):
            found.append(k)
        k += 1
    return found


def iroot(x, k):
    lo, hi = 0, 1
    while hi**k <= x:
        hi *= 2
    while lo < hi - 1:
        mid = (lo + hi) // 2
        if mid**k <= x:
            lo = mid
        else:
            hi = mid
    return lo


def table(name, values, width):
    print(f"{name}:")
    per = 4 if width == 16 else 8
    for i in range(0, len(values), per):
        print("    " + ", ".join(f"0x{v:0{width}x}" for v in values[i : i + per]) + ",")


def le_bytes(name, x):
    b = x.to_bytes(32, "little")
    print(f"{name}:")
    for i in range(0, 32, 8):
        print("    " + ", ".join(f"0x{c:02x}" for c in b[i : i + 8]) + ",")


P = primes(80)
table("sha256 K", [iroot(q << 96, 3) & 0xFFFFFFFF for q in P[:64]], 8)
table("sha256 H0", [iroot(q << 64, 2) & 0xFFFFFFFF for q in P[:8]], 8)
table("sha512 K", [iroot(q << 192, 3) & (2**64 - 1) for q in P], 16)
table("sha512 H0", [iroot(q << 128, 2) & (2**64 - 1) for q in P[:8]], 16)

p = 2**255 - 19
le_bytes("ed25519 d", (-121665 * pow(121666, p - 2, p)) % p)
le_bytes("ed25519 sqrt(-1)", pow(2, (p - 1) // 4, p))
le_bytes("ed25519 base y", 4 * pow(5, p - 2, p) % p)
le_bytes("ed25519 L", 2**252 + 27742317777372353535851937790883648493)
