/*
 * Ed25519 verification from RFC 8032 §5.1 (edwards25519: -x^2 + y^2 = 1 + d x^2 y^2
 * over GF(p), p = 2^255 - 19). Constants are printed from their definitions by
 * tools/constants.py.
 *
 * Field elements are 16 limbs of 16 bits held in int64_t: a product of two
 * limbs stays below 2^34 and a column of 16 products below 2^38, so a
 * multiplication needs no 128-bit type — it runs unchanged on the ESP32's
 * 32-bit Xtensa cores, where each limb product is one 32x32->64 multiply.
 * Limbs are kept non-negative (subtraction adds 4p first), so every shift
 * below is of a non-negative value.
 */
#include "tm_ed25519.h"

#include <string.h>

#include "tm_sha512.h"

typedef struct {
  int64_t v[16];
} fe;

/* Extended coordinates (RFC 8032 §5.1.4): x = X/Z, y = Y/Z, x*y = T/Z. */
typedef struct {
  fe X, Y, Z, T;
} ge;

static const uint8_t D_BYTES[32] = {
    0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
    0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52,
};
static const uint8_t SQRTM1_BYTES[32] = {
    0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
    0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b,
};
/* The base point B is (x, 4/5) with x even (RFC 8032 §5.1): its encoding is y with sign bit 0. */
static const uint8_t BASE_BYTES[32] = {
    0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
};
/* L = 2^252 + 27742317777372353535851937790883648493, the order of B. */
static const uint8_t L_BYTES[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};
/* Exponents, little-endian: p - 2 (inversion, Fermat) and (p - 5) / 8 (square root, §5.1.3). */
static const uint8_t EXP_P_MINUS_2[32] = {
    0xeb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
};
static const uint8_t EXP_P_MINUS_5_OVER_8[32] = {
    0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f,
};

/* p's limbs: 0xffed, fourteen 0xffff, 0x7fff. */
static int64_t p_limb(int i) { return i == 0 ? 0xffed : i == 15 ? 0x7fff : 0xffff; }

/*
 * Brings every limb below 2^16 (limb 0 may end up to 38 above), folding the
 * carry out of limb 15 back into limb 0 as x38, since 2^256 = 2 * 2^255 = 38 (mod p).
 * Three passes suffice for any product of carried inputs (< 2^42 per limb).
 */
static void fe_carry(fe *a) {
  for (int pass = 0; pass < 3; pass++) {
    for (int i = 0; i < 16; i++) {
      int64_t c = a->v[i] >> 16;
      a->v[i] &= 0xffff;
      if (i < 15) {
        a->v[i + 1] += c;
      } else {
        a->v[0] += 38 * c;
      }
    }
  }
}

static void fe_set(fe *r, int64_t small) {
  memset(r, 0, sizeof *r);
  r->v[0] = small;
}

static void fe_add(fe *r, const fe *a, const fe *b) {
  for (int i = 0; i < 16; i++) r->v[i] = a->v[i] + b->v[i];
  fe_carry(r);
}

/* a - b + 4p: each limb of 4p (>= 0x1fffc) exceeds a carried limb of b, so no limb goes negative. */
static void fe_sub(fe *r, const fe *a, const fe *b) {
  for (int i = 0; i < 16; i++) r->v[i] = a->v[i] + 4 * p_limb(i) - b->v[i];
  fe_carry(r);
}

static void fe_mul(fe *r, const fe *a, const fe *b) {
  int64_t t[31];
  memset(t, 0, sizeof t);
  for (int i = 0; i < 16; i++) {
    for (int j = 0; j < 16; j++) {
      /* Carried limbs are below 2^17: one widening 32x32 multiply each. */
      t[i + j] += (int64_t)((uint64_t)(uint32_t)a->v[i] * (uint32_t)b->v[j]);
    }
  }
  for (int i = 0; i < 15; i++) t[i] += 38 * t[i + 16];
  for (int i = 0; i < 16; i++) r->v[i] = t[i];
  fe_carry(r);
}

static void fe_sq(fe *r, const fe *a) { fe_mul(r, a, a); }

/* a^e for a little-endian exponent whose top bit (255) is clear. */
static void fe_pow(fe *r, const fe *a, const uint8_t e[32]) {
  fe acc;
  fe_set(&acc, 1);
  for (int bit = 254; bit >= 0; bit--) {
    fe_sq(&acc, &acc);
    if ((e[bit >> 3] >> (bit & 7)) & 1) fe_mul(&acc, &acc, a);
  }
  *r = acc;
}

static void fe_frombytes(fe *r, const uint8_t s[32]) {
  for (int i = 0; i < 16; i++) r->v[i] = (int64_t)s[2 * i] | (int64_t)s[2 * i + 1] << 8;
  r->v[15] &= 0x7fff; /* the top bit is x's sign in a point encoding */
}

/* The canonical encoding: the unique value in [0, p), little-endian. */
static void fe_tobytes(uint8_t out[32], const fe *a) {
  fe t = *a;
  fe_carry(&t);
  fe_carry(&t); /* now every limb < 2^16, so t < 2^256 < 3p */
  for (int round = 0; round < 2; round++) {
    int64_t m[16];
    int64_t borrow = 0;
    for (int i = 0; i < 16; i++) {
      int64_t d = t.v[i] - p_limb(i) - borrow;
      borrow = d < 0;
      m[i] = borrow ? d + 65536 : d;
    }
    if (!borrow) memcpy(t.v, m, sizeof m);
  }
  for (int i = 0; i < 16; i++) {
    out[2 * i] = (uint8_t)(t.v[i] & 0xff);
    out[2 * i + 1] = (uint8_t)(t.v[i] >> 8);
  }
}

static int fe_equal(const fe *a, const fe *b) {
  uint8_t x[32], y[32];
  fe_tobytes(x, a);
  fe_tobytes(y, b);
  return memcmp(x, y, 32) == 0;
}

static int fe_is_odd(const fe *a) {
  uint8_t s[32];
  fe_tobytes(s, a);
  return s[0] & 1;
}

static int fe_is_zero(const fe *a) {
  fe z;
  fe_set(&z, 0);
  return fe_equal(a, &z);
}

static void fe_neg(fe *r, const fe *a) {
  fe z;
  fe_set(&z, 0);
  fe_sub(r, &z, a);
}

/* RFC 8032 §5.1.4, addition in extended coordinates (a = -1). */
static void ge_add(ge *r, const ge *p, const ge *q) {
  fe a, b, c, d, e, f, g, h, t, d2;
  fe_sub(&a, &p->Y, &p->X);
  fe_sub(&t, &q->Y, &q->X);
  fe_mul(&a, &a, &t);
  fe_add(&b, &p->Y, &p->X);
  fe_add(&t, &q->Y, &q->X);
  fe_mul(&b, &b, &t);
  fe_frombytes(&d2, D_BYTES);
  fe_add(&d2, &d2, &d2);
  fe_mul(&c, &p->T, &d2);
  fe_mul(&c, &c, &q->T);
  fe_mul(&d, &p->Z, &q->Z);
  fe_add(&d, &d, &d);
  fe_sub(&e, &b, &a);
  fe_sub(&f, &d, &c);
  fe_add(&g, &d, &c);
  fe_add(&h, &b, &a);
  fe_mul(&r->X, &e, &f);
  fe_mul(&r->Y, &g, &h);
  fe_mul(&r->T, &e, &h);
  fe_mul(&r->Z, &f, &g);
}

/* RFC 8032 §5.1.4, doubling. */
static void ge_double(ge *r, const ge *p) {
  fe a, b, c, e, f, g, h, t;
  fe_sq(&a, &p->X);
  fe_sq(&b, &p->Y);
  fe_sq(&c, &p->Z);
  fe_add(&c, &c, &c);
  fe_add(&h, &a, &b);
  fe_add(&t, &p->X, &p->Y);
  fe_sq(&t, &t);
  fe_sub(&e, &h, &t);
  fe_sub(&g, &a, &b);
  fe_add(&f, &c, &g);
  fe_mul(&r->X, &e, &f);
  fe_mul(&r->Y, &g, &h);
  fe_mul(&r->T, &e, &h);
  fe_mul(&r->Z, &f, &g);
}

static void ge_identity(ge *r) {
  fe_set(&r->X, 0);
  fe_set(&r->Y, 1);
  fe_set(&r->Z, 1);
  fe_set(&r->T, 0);
}

/* RFC 8032 §5.1.3: decoding a point; 0 when `s` encodes none. */
static int ge_decode(ge *r, const uint8_t s[32]) {
  int x0 = s[31] >> 7;
  fe y, u, v, x, t, v3, vx2, one, d;
  uint8_t canon[32], ys[32];
  memcpy(ys, s, 32);
  ys[31] &= 0x7f;
  fe_frombytes(&y, s);
  fe_tobytes(canon, &y);
  if (memcmp(canon, ys, 32) != 0) return 0; /* y >= p */
  fe_set(&one, 1);
  fe_frombytes(&d, D_BYTES);
  fe_sq(&u, &y);
  fe_mul(&v, &u, &d);
  fe_sub(&u, &u, &one); /* u = y^2 - 1 */
  fe_add(&v, &v, &one); /* v = d y^2 + 1 */
  /* x = u v^3 (u v^7)^((p-5)/8) */
  fe_sq(&v3, &v);
  fe_mul(&v3, &v3, &v);
  fe_sq(&t, &v3);
  fe_mul(&t, &t, &v);
  fe_mul(&t, &t, &u);
  fe_pow(&t, &t, EXP_P_MINUS_5_OVER_8);
  fe_mul(&x, &t, &v3);
  fe_mul(&x, &x, &u);
  fe_sq(&vx2, &x);
  fe_mul(&vx2, &vx2, &v);
  if (!fe_equal(&vx2, &u)) {
    fe neg_u;
    fe_neg(&neg_u, &u);
    if (!fe_equal(&vx2, &neg_u)) return 0; /* no square root: not a point */
    fe sqrtm1;
    fe_frombytes(&sqrtm1, SQRTM1_BYTES);
    fe_mul(&x, &x, &sqrtm1);
  }
  if (fe_is_zero(&x) && x0) return 0;
  if (fe_is_odd(&x) != x0) fe_neg(&x, &x);
  r->X = x;
  r->Y = y;
  fe_set(&r->Z, 1);
  fe_mul(&r->T, &x, &y);
  return 1;
}

static void ge_encode(uint8_t out[32], const ge *p) {
  fe zinv, x, y;
  fe_pow(&zinv, &p->Z, EXP_P_MINUS_2);
  fe_mul(&x, &p->X, &zinv);
  fe_mul(&y, &p->Y, &zinv);
  fe_tobytes(out, &y);
  out[31] |= (uint8_t)(fe_is_odd(&x) << 7);
}

static int bit_of(const uint8_t s[32], int i) { return (s[i >> 3] >> (i & 7)) & 1; }

/* [a]P + [b]Q by one double-and-add pass over both scalars (Straus/Shamir). */
static void ge_double_scalarmult(ge *r, const uint8_t a[32], const ge *p, const uint8_t b[32],
                                 const ge *q) {
  ge sum, acc;
  ge_add(&sum, p, q);
  ge_identity(&acc);
  for (int i = 255; i >= 0; i--) {
    ge_double(&acc, &acc);
    int ba = bit_of(a, i), bb = bit_of(b, i);
    if (ba && bb) {
      ge_add(&acc, &acc, &sum);
    } else if (ba) {
      ge_add(&acc, &acc, p);
    } else if (bb) {
      ge_add(&acc, &acc, q);
    }
  }
  *r = acc;
}

/* Little-endian 256-bit numbers as eight 32-bit words. */
static void words_of(uint32_t w[8], const uint8_t s[32]) {
  for (int i = 0; i < 8; i++) {
    w[i] = (uint32_t)s[4 * i] | (uint32_t)s[4 * i + 1] << 8 | (uint32_t)s[4 * i + 2] << 16 |
           (uint32_t)s[4 * i + 3] << 24;
  }
}

static int words_geq(const uint32_t a[8], const uint32_t b[8]) {
  for (int i = 7; i >= 0; i--) {
    if (a[i] != b[i]) return a[i] > b[i];
  }
  return 1;
}

static void words_sub(uint32_t a[8], const uint32_t b[8]) {
  uint32_t borrow = 0;
  for (int i = 0; i < 8; i++) {
    uint64_t d = (uint64_t)a[i] - b[i] - borrow;
    a[i] = (uint32_t)d;
    borrow = (uint32_t)(d >> 63);
  }
}

/*
 * The 512-bit little-endian SHA-512 digest modulo L (RFC 8032 §5.1.7 step 2),
 * by binary long division: simple to check and, at 512 shift-and-subtract
 * steps on 8 words, far cheaper than the point arithmetic that follows.
 */
static void reduce_mod_l(uint8_t out[32], const uint8_t h[64]) {
  uint32_t r[8] = {0}, l[8];
  words_of(l, L_BYTES);
  for (int bit = 511; bit >= 0; bit--) {
    uint32_t in = (h[bit >> 3] >> (bit & 7)) & 1;
    for (int i = 0; i < 8; i++) { /* r = 2r + bit; r < L < 2^253 keeps it in 256 bits */
      uint32_t out_bit = r[i] >> 31;
      r[i] = r[i] << 1 | in;
      in = out_bit;
    }
    if (words_geq(r, l)) words_sub(r, l);
  }
  for (int i = 0; i < 8; i++) {
    for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(r[i] >> (8 * j));
  }
}

int tm_ed25519_verify(const uint8_t signature[TM_ED25519_SIGNATURE_BYTES], const uint8_t *message,
                      size_t len, const uint8_t public_key[TM_ED25519_PUBLIC_KEY_BYTES]) {
  const uint8_t *r_bytes = signature, *s_bytes = signature + 32;
  uint32_t s_words[8], l_words[8];
  words_of(s_words, s_bytes);
  words_of(l_words, L_BYTES);
  if (words_geq(s_words, l_words)) return 0; /* §5.1.7 step 1: S must be below L */
  ge a, r, b, check;
  if (!ge_decode(&a, public_key) || !ge_decode(&r, r_bytes)) return 0;
  if (!ge_decode(&b, BASE_BYTES)) return 0;

  /* Step 2: k = SHA-512(R || A || M) mod L (Ed25519 has no dom2 prefix). */
  tm_sha512_ctx sha;
  uint8_t digest[64], k[32];
  tm_sha512_init(&sha);
  tm_sha512_update(&sha, r_bytes, 32);
  tm_sha512_update(&sha, public_key, 32);
  tm_sha512_update(&sha, message, len);
  tm_sha512_final(&sha, digest);
  reduce_mod_l(k, digest);

  /* Step 3: [S]B - [k]A must encode to R. */
  fe_neg(&a.X, &a.X);
  fe_neg(&a.T, &a.T);
  ge_double_scalarmult(&check, s_bytes, &b, k, &a);
  uint8_t encoded[32];
  ge_encode(encoded, &check);
  return memcmp(encoded, r_bytes, 32) == 0;
}
